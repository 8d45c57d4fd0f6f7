#include "daemon/loop_mailbox.h"

namespace recsync {

struct LoopMailbox::State {
  std::mutex mu;
  uv_async_t* async = nullptr;  // null once closed; freed by its close callback
  std::vector<std::function<void()>> queue;

  void Drain() {
    std::vector<std::function<void()>> batch;
    {
      std::lock_guard<std::mutex> lock(mu);
      batch.swap(queue);
    }
    for (auto& fn : batch) fn();
  }
};

LoopMailbox::LoopMailbox(uv_loop_t* loop)
    : state_(std::make_shared<State>()), handle_(new uv_async_t) {
  uv_async_init(loop, handle_, &LoopMailbox::OnAsync);
  handle_->data = state_.get();
  state_->async = handle_;
}

LoopMailbox::~LoopMailbox() {
  Close();
  handle_->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(handle_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_async_t*>(h); });
}

void LoopMailbox::Ref::Post(std::function<void()> fn) const {
  std::lock_guard<std::mutex> lock(state_->mu);
  if (state_->async == nullptr) return;
  state_->queue.push_back(std::move(fn));
  // Under the lock, so the destructor cannot close the handle between the
  // check above and this call.
  uv_async_send(state_->async);
}

void LoopMailbox::Close() {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->async = nullptr;
  state_->queue.clear();
}

void LoopMailbox::OnAsync(uv_async_t* handle) {
  if (auto* state = static_cast<State*>(handle->data)) state->Drain();
}

}  // namespace recsync
