#include "daemon/loop_mailbox.h"

namespace recsync {

LoopMailbox::LoopMailbox(uv_loop_t* loop) : async_(new uv_async_t) {
  uv_async_init(loop, async_, &LoopMailbox::OnAsync);
  async_->data = this;
}

LoopMailbox::~LoopMailbox() {
  Close();
  async_->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(async_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_async_t*>(h); });
}

void LoopMailbox::Post(std::function<void()> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return;
  queue_.push_back(std::move(fn));
  // Under the lock, so Close() + the destructor cannot free the handle between
  // the check above and this call.
  uv_async_send(async_);
}

void LoopMailbox::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
  queue_.clear();
}

void LoopMailbox::OnAsync(uv_async_t* handle) {
  if (auto* self = static_cast<LoopMailbox*>(handle->data)) self->Drain();
}

void LoopMailbox::Drain() {
  std::vector<std::function<void()>> batch;
  {
    std::lock_guard<std::mutex> lock(mu_);
    batch.swap(queue_);
  }
  for (auto& fn : batch) fn();
}

}  // namespace recsync
