// Waiting for another thread without sleeping as synchronisation: poll a
// predicate until it holds or a deadline passes, and say which it was.
#pragma once

#include <chrono>
#include <thread>

namespace recsync::testing {

inline constexpr std::chrono::seconds kAwaitLimit{10};

// True as soon as `pred()` holds; false when it still does not after `limit`.
template <typename Pred>
bool Await(Pred pred, std::chrono::milliseconds limit = kAwaitLimit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return pred();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // poll interval only
  }
  return true;
}

}  // namespace recsync::testing
