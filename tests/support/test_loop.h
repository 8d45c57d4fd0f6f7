// TestLoop: a libuv loop run by the test's own thread, which is thus the loop
// thread, for tests of the daemon's loop-side pieces.
#pragma once

#include <uv.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <functional>

namespace recsync::testing {

class TestLoop {
 public:
  TestLoop() { REQUIRE(uv_loop_init(&loop_) == 0); }
  ~TestLoop() {
    // Let handles closed by their owners finish closing, then close the loop.
    uv_run(&loop_, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop_) == 0);
  }
  uv_loop_t* get() { return &loop_; }

  // Runs the loop until `pred()` holds (true) or `limit` passes (false). The
  // loop wakes for each post; a one-shot timer wakes it at the deadline.
  bool RunUntil(const std::function<bool()>& pred,
                std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    uv_timer_t deadline;
    bool expired = false;
    uv_timer_init(&loop_, &deadline);
    deadline.data = &expired;
    uv_timer_start(
        &deadline, [](uv_timer_t* t) { *static_cast<bool*>(t->data) = true; },
        static_cast<uint64_t>(limit.count()), 0);
    while (!pred() && !expired) uv_run(&loop_, UV_RUN_ONCE);
    uv_close(reinterpret_cast<uv_handle_t*>(&deadline), nullptr);
    uv_run(&loop_, UV_RUN_NOWAIT);  // the close completes before `deadline` goes away
    return pred();
  }

  // One pass that handles whatever is ready now (e.g. a wake-up already sent).
  void RunReady() { uv_run(&loop_, UV_RUN_NOWAIT); }

 private:
  uv_loop_t loop_{};
};

}  // namespace recsync::testing
