// LoopMailbox: how worker threads hand results back to the libuv loop.
//
// The daemon's state belongs to the loop thread alone; workers never touch
// it. They Post() a closure instead, and the loop runs it on its own thread,
// in posting order, soon after (uv_async_t coalesces wake-ups, so a burst of
// posts costs one wake-up).
#pragma once

#include <uv.h>

#include <functional>
#include <mutex>
#include <vector>

namespace recsync {

class LoopMailbox {
 public:
  // Registers the async handle on `loop`. Loop thread.
  explicit LoopMailbox(uv_loop_t* loop);
  // Closes the handle (the loop must run once more to free it); closures
  // still queued are dropped. Loop thread.
  ~LoopMailbox();
  LoopMailbox(const LoopMailbox&) = delete;
  LoopMailbox& operator=(const LoopMailbox&) = delete;

  // Queues `fn` to run on the loop thread. Any thread; after Close() a no-op.
  void Post(std::function<void()> fn);
  // Stops accepting posts. Any thread.
  void Close();

 private:
  static void OnAsync(uv_async_t* handle);
  void Drain();

  uv_async_t* async_;  // freed by its close callback
  std::mutex mu_;
  bool closed_ = false;
  std::vector<std::function<void()>> queue_;
};

}  // namespace recsync
