// LoopMailbox: how worker threads hand results back to the libuv loop.
//
// The daemon's state belongs to the loop thread alone; workers never touch
// it. They Post() a closure instead, and the loop runs it on its own thread,
// in posting order, soon after (uv_async_t coalesces wake-ups, so a burst of
// posts costs one wake-up).
//
// A thread that may outlive the mailbox (a storage lane stuck in a hung
// mount returns whenever the server answers, perhaps after the daemon has
// stopped) posts through a Ref: once the mailbox is closed or gone, its posts
// are dropped.
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace recsync {

class LoopMailbox {
 private:
  struct State;

 public:
  // A copyable handle for posting; valid whatever happens to the mailbox.
  class Ref {
   public:
    // Queues `fn` to run on the loop thread, or drops it when the mailbox is
    // closed or gone. Any thread.
    void Post(std::function<void()> fn) const;

   private:
    friend class LoopMailbox;
    explicit Ref(std::shared_ptr<State> state) : state_(std::move(state)) {}
    std::shared_ptr<State> state_;
  };

  // Registers the async handle on `loop`. Loop thread.
  explicit LoopMailbox(uv_loop_t* loop);
  // Closes the handle (the loop must run once more to free it); closures
  // still queued are dropped. Loop thread.
  ~LoopMailbox();
  LoopMailbox(const LoopMailbox&) = delete;
  LoopMailbox& operator=(const LoopMailbox&) = delete;

  // Queues `fn` to run on the loop thread. Any thread; after Close() a no-op.
  void Post(std::function<void()> fn) { ref().Post(std::move(fn)); }
  Ref ref() const { return Ref(state_); }
  // Stops accepting posts. Any thread.
  void Close();

 private:
  static void OnAsync(uv_async_t* handle);

  std::shared_ptr<State> state_;
  uv_async_t* handle_;  // the same as state_->async until closed; freed by its close callback
};

}  // namespace recsync
