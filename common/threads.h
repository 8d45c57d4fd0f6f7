// Starting threads without std::terminate.
//
// std::thread and std::async throw std::system_error when the process is out
// of threads (EAGAIN: RLIMIT_NPROC, a cgroup's pids.max, kernel.threads-max)
// or memory. Uncaught, that ends the daemon. These helpers turn it into
// something the caller can act on: run the work on the calling thread, treat
// the storage as unresponsive, or refuse to start with a clear line.
//
// Thread-safety: any thread.
#pragma once

#include <future>
#include <string>
#include <system_error>
#include <thread>
#include <type_traits>
#include <utility>

#include "common/status.h"

namespace recsync {

// Starts `fn` on a new thread named `name` (15 characters show in top -H),
// or returns kUnavailable naming it and the reason.
template <typename F>
Result<std::thread> StartThread(const std::string& name, F&& fn);

// std::async(std::launch::async, fn), or, when no thread can be started,
// `fn` run right here with its result in a ready future: the same result,
// only without the overlap.
template <typename F>
auto AsyncOrInline(F&& fn) -> std::future<std::invoke_result_t<F&>>;

// ---- implementation ----

void NameThread(std::thread& thread, const std::string& name);
void NoteInlineFallback(const std::system_error& e);

template <typename F>
Result<std::thread> StartThread(const std::string& name, F&& fn) {
  try {
    std::thread thread(std::forward<F>(fn));
    NameThread(thread, name);
    return thread;
  } catch (const std::system_error& e) {
    return Status(Code::kUnavailable, "cannot start thread " + name + ": " + e.what() +
                                          " (out of threads or memory: see ulimit -u, "
                                          "kernel.threads-max and the service's TasksMax)");
  }
}

template <typename F>
auto AsyncOrInline(F&& fn) -> std::future<std::invoke_result_t<F&>> {
  using R = std::invoke_result_t<F&>;
  try {
    return std::async(std::launch::async, fn);
  } catch (const std::system_error& e) {
    NoteInlineFallback(e);
    std::promise<R> done;
    if constexpr (std::is_void_v<R>) {
      fn();
      done.set_value();
    } else {
      done.set_value(fn());
    }
    return done.get_future();
  }
}

}  // namespace recsync
