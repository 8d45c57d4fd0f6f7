// Implementation of RunBounded (see disk.h).
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>

namespace recsync {

template <typename T>
struct BoundedTask<T>::State {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<T> result;
};

template <typename T>
BoundedTask<T> BoundedTask<T>::Start(std::function<T()> fn, std::chrono::milliseconds timeout,
                                     TaskThread* thread) {
  BoundedTask task;
  task.state_ = std::make_shared<State>();
  task.deadline_ = std::chrono::steady_clock::now() + timeout;
  auto job = [state = task.state_, fn = std::move(fn)]() mutable {
    std::optional<T> value;
    try {
      value = fn();
    } catch (...) {
      return;  // seen as a timeout, which is always treated safely
    }
    std::lock_guard<std::mutex> lock(state->mu);
    state->result = std::move(value);
    state->cv.notify_all();
  };
  if (thread) {
    thread->Post(std::move(job));
  } else {
    std::thread(std::move(job)).detach();
  }
  return task;
}

template <typename T>
std::optional<T> BoundedTask<T>::Wait() {
  std::unique_lock<std::mutex> lock(state_->mu);
  if (!state_->cv.wait_until(lock, deadline_, [&] { return state_->result.has_value(); })) {
    return std::nullopt;
  }
  return std::move(state_->result);
}

template <typename T>
std::optional<T> RunBounded(std::function<T()> fn, std::chrono::milliseconds timeout) {
  return BoundedTask<T>::Start(std::move(fn), timeout).Wait();
}

}  // namespace recsync
