// StorageLanes: one thread per storage root (and purpose) for the calls that
// can block in that root's filesystem, so that hung network storage costs a
// fixed number of threads, never one per attempt.
//
// A call into a hung NFS or FUSE mount cannot be cancelled: the thread that
// made it stays stuck until the server answers. Starting a fresh thread for
// every probe of such a root (as a bare RunBounded does) leaks one thread per
// attempt until thread creation fails. A lane is one long-lived thread that
// runs the calls given to it one after another:
// - Call() waits for its result until its timeout and then gives up; a call
//   still queued when its timeout passes is dropped without running.
// - A call that is still running past its deadline leaves the lane *stuck*:
//   from then on, until it returns, Call() and Post() fail at once, without
//   queuing anything behind it. So a hung root has at most one call in flight
//   on each of its lanes, and asking about it again costs nothing.
// - A lane's thread is started on first use and kept. If it cannot be started
//   (the process is out of threads or memory), the call fails with the reason
//   and the caller treats the root as unresponsive; nothing throws.
//
// Lanes are named by root and purpose (a quick probe must not wait behind the
// walk that arms a large tree). StorageLanes may be destroyed while a lane is
// stuck: stuck threads are detached and exit once their call returns.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "common/status.h"

namespace recsync {

enum class LanePurpose {
  kProbe,  // quick calls: probes, statvfs, lstat of a few files, cookies
  kArm,    // walking the tree to arm watches, which can take long legitimately
};

class StorageLanes {
 public:
  StorageLanes();
  ~StorageLanes();
  StorageLanes(const StorageLanes&) = delete;
  StorageLanes& operator=(const StorageLanes&) = delete;

  // Runs `fn` on `root`'s lane for `purpose` and waits for it at most
  // `timeout`. kTimeout when it did not finish in time (the lane is stuck if
  // it is still running) or when the lane was already stuck; kUnavailable when
  // the lane's thread could not be started. An exception from `fn` is
  // reported as kUnavailable too. Messages name the root.
  template <typename T>
  Result<T> Call(const std::string& root, LanePurpose purpose, std::chrono::milliseconds timeout,
                 std::function<T()> fn);

  // Queues `fn` on the lane and returns at once. `deadline`, counted from when
  // `fn` starts, only says when a still-running `fn` makes the lane stuck. An
  // exception from `fn` is swallowed: `fn` reports through its own state.
  // Fails (and drops `fn`) like Call() when the lane is stuck or has no thread.
  Status Post(const std::string& root, LanePurpose purpose, std::chrono::milliseconds deadline,
              std::function<void()> fn);

  // When the call running on the lane passed its deadline: since how long.
  std::optional<std::chrono::milliseconds> StuckFor(const std::string& root,
                                                    LanePurpose purpose) const;
  // Threads started so far (each lane starts one, once).
  size_t threads_started() const;
  // Lanes stuck in a call past its deadline now.
  size_t stuck_lanes() const;

 private:
  struct Lane;
  using Clock = std::chrono::steady_clock;
  // The lane, with its thread started; nullptr and `why` when it is stuck or
  // has no thread.
  std::shared_ptr<Lane> Ready(const std::string& root, LanePurpose purpose, Status* why);
  // Queues `job` on a ready lane. While it runs the lane counts as stuck
  // after `deadline`, or, with `limit`, that long after the job started. A
  // job must check for itself whether it still should run.
  static void Enqueue(Lane& lane, Clock::time_point deadline,
                      std::optional<std::chrono::milliseconds> limit, std::function<void()> job);

  mutable std::mutex mu_;
  std::map<std::pair<std::string, LanePurpose>, std::shared_ptr<Lane>> lanes_;
  size_t threads_started_ = 0;
};

// ---- implementation of Call ----

namespace lanes_internal {
template <typename T>
struct CallState {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<T> value;
  bool done = false;  // finished, failed or dropped
  std::string error;  // why there is no value, when done without one
};
}  // namespace lanes_internal

template <typename T>
Result<T> StorageLanes::Call(const std::string& root, LanePurpose purpose,
                             std::chrono::milliseconds timeout, std::function<T()> fn) {
  auto state = std::make_shared<lanes_internal::CallState<T>>();
  const auto deadline = Clock::now() + timeout;
  Status why;
  auto lane = Ready(root, purpose, &why);
  if (!lane) return why;
  Enqueue(*lane, deadline, std::nullopt, [state, deadline, fn = std::move(fn)]() mutable {
    std::optional<T> value;
    std::string error;
    if (Clock::now() >= deadline) {
      error = "dropped: its caller stopped waiting before it could start";
    } else {
      try {
        value = fn();
      } catch (const std::exception& e) {
        error = e.what();
      } catch (...) {
        error = "unknown exception";
      }
    }
    std::lock_guard<std::mutex> lock(state->mu);
    state->value = std::move(value);
    state->error = std::move(error);
    state->done = true;
    state->cv.notify_all();
  });
  std::unique_lock<std::mutex> lock(state->mu);
  if (!state->cv.wait_until(lock, deadline, [&] { return state->done; })) {
    return Status(Code::kTimeout, "storage " + root + " did not answer within " +
                                      std::to_string(timeout.count()) +
                                      " ms (hung network storage?)");
  }
  if (!state->value) {
    return Status(Code::kUnavailable, "storage " + root + ": " + state->error);
  }
  return std::move(*state->value);
}

}  // namespace recsync
