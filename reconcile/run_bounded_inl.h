// Implementation of BoundedTask (see disk.h).
#pragma once

#include <condition_variable>
#include <mutex>

namespace recsync {

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
