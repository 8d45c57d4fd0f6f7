#include "daemon/loop_timer.h"

#include <utility>

namespace recsync {

LoopTimer::LoopTimer(uv_loop_t* loop, std::function<void()> on_fire)
    : timer_(new uv_timer_t), on_fire_(std::move(on_fire)) {
  uv_timer_init(loop, timer_);
  timer_->data = this;
}

LoopTimer::~LoopTimer() {
  timer_->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(timer_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
}

void LoopTimer::Start(uint64_t delay_ms, uint64_t repeat_ms) {
  uv_timer_start(timer_, &LoopTimer::OnFire, delay_ms, repeat_ms);
}

void LoopTimer::Stop() { uv_timer_stop(timer_); }

void LoopTimer::OnFire(uv_timer_t* timer) {
  if (auto* self = static_cast<LoopTimer*>(timer->data)) self->on_fire_();
}

}  // namespace recsync
