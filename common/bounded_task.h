// Calls bounded in time: a TaskThread runs posted closures one after another,
// and a BoundedTask is one call on it whose caller waits at most until a
// deadline. For calls that may hang in a filesystem (a dead NFS server), so
// that a caller gives up on them, counts their answer as unknown and goes on.
//
// Thread rules: a TaskThread and a BoundedTask belong to the thread that made
// them (Post(), Start() and Wait() are not for concurrent callers); the
// closures run on the TaskThread's own thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace recsync {

// "10 s" or "250 ms", for messages about timeouts.
std::string FormatTimeout(std::chrono::milliseconds timeout);

// A thread that runs posted closures one after another, for a caller that
// starts many bounded tasks in a row (a sweep's chunks) and would otherwise
// create a thread for each. Never joined: a closure stuck in a hung mount
// keeps the thread, which exits once it is unstuck and the TaskThread is gone.
// For calls about a whole root (probes), StorageLanes keeps one such thread
// per root across calls instead (reconcile/storage_lanes.h).
class TaskThread {
 public:
  // Starts the thread; never throws. When no thread can be started (the
  // process is out of threads or memory), started() is false and every task
  // given to it fails at once (BoundedTask::Wait() returns nullopt).
  TaskThread();
  ~TaskThread();  // the queued closures still run; then the thread exits
  TaskThread(const TaskThread&) = delete;
  TaskThread& operator=(const TaskThread&) = delete;

  bool started() const { return started_; }
  void Post(std::function<void()> fn);

 private:
  struct Queue;
  std::shared_ptr<Queue> queue_;
  bool started_ = false;
};

// A call bounded in time, in two halves, so the caller can work meanwhile:
// Start() runs `fn` on `thread`; Wait() waits until the deadline given at
// Start and returns nullopt if it had not finished by then (the thread is
// left behind, stuck in the call; a TaskThread that timed out must not be
// given more work: it may never come back), if `fn` threw, or if the thread
// could not be started.
template <typename T>
class BoundedTask {
 public:
  static BoundedTask Start(std::function<T()> fn, std::chrono::milliseconds timeout,
                           TaskThread* thread);
  std::optional<T> Wait();

 private:
  struct State;
  std::shared_ptr<State> state_;
  std::chrono::steady_clock::time_point deadline_;
};

// ---- implementation ----

template <typename T>
struct BoundedTask<T>::State {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<T> result;
  bool failed = false;  // threw, or never ran
};

template <typename T>
BoundedTask<T> BoundedTask<T>::Start(std::function<T()> fn, std::chrono::milliseconds timeout,
                                     TaskThread* thread) {
  BoundedTask task;
  task.state_ = std::make_shared<State>();
  task.deadline_ = std::chrono::steady_clock::now() + timeout;
  if (!thread->started()) {
    task.state_->failed = true;
    return task;
  }
  thread->Post([state = task.state_, fn = std::move(fn)]() mutable {
    std::optional<T> value;
    try {
      value = fn();
    } catch (...) {
      // Seen as a failure, which is always treated safely (unknown).
    }
    std::lock_guard<std::mutex> lock(state->mu);
    state->failed = !value;
    state->result = std::move(value);
    state->cv.notify_all();
  });
  return task;
}

template <typename T>
std::optional<T> BoundedTask<T>::Wait() {
  std::unique_lock<std::mutex> lock(state_->mu);
  if (!state_->cv.wait_until(lock, deadline_,
                             [&] { return state_->failed || state_->result.has_value(); })) {
    return std::nullopt;
  }
  return std::move(state_->result);
}

}  // namespace recsync
