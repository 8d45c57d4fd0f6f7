// Implementation of RunBounded (see disk.h).
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>

namespace recsync {

template <typename T>
std::optional<T> RunBounded(std::function<T()> fn, std::chrono::milliseconds timeout) {
  // Shared with the worker so an abandoned worker never touches freed memory.
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    std::optional<T> result;
  };
  auto state = std::make_shared<State>();
  std::thread([state, fn = std::move(fn)]() mutable {
    std::optional<T> value;
    try {
      value = fn();
    } catch (...) {
      // An exception must not terminate the process from a detached
      // thread; the caller sees a timeout, which is always treated safely.
      return;
    }
    std::lock_guard<std::mutex> lock(state->mu);
    state->result = std::move(value);
    state->cv.notify_all();
  }).detach();
  std::unique_lock<std::mutex> lock(state->mu);
  if (!state->cv.wait_for(lock, timeout, [&] { return state->result.has_value(); })) {
    return std::nullopt;
  }
  return std::move(state->result);
}

}  // namespace recsync
