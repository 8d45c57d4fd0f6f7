// LoopTimer: a libuv timer that calls a std::function, owned like any other
// member.
//
// A uv_timer_t must stay allocated until its close callback has run, which
// is only on the loop's next turn; LoopTimer allocates it and lets that
// callback free it, so the owner may be destroyed at any time (typically in
// the middle of a loop callback, while stopping).
//
// Thread rules: loop thread only. The callback never runs after the
// LoopTimer is destroyed.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>

namespace recsync {

class LoopTimer {
 public:
  LoopTimer(uv_loop_t* loop, std::function<void()> on_fire);
  ~LoopTimer();
  LoopTimer(const LoopTimer&) = delete;
  LoopTimer& operator=(const LoopTimer&) = delete;

  // Fires after `delay_ms`, then every `repeat_ms` if non-zero; restarts a
  // running timer.
  void Start(uint64_t delay_ms, uint64_t repeat_ms = 0);
  void Stop();

 private:
  static void OnFire(uv_timer_t* timer);

  uv_timer_t* timer_;  // freed by its close callback
  std::function<void()> on_fire_;
};

}  // namespace recsync
