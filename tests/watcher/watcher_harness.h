// A real uv loop, a real watcher (inotify or fanotify) and the events it
// reported, for tests.
// The loop runs in the test thread, one iteration at a time, until a condition
// holds or a deadline passes; a repeating timer makes every iteration return
// within 50 ms, so nothing ever sleeps.
#pragma once

#include <uv.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"
#include "watcher/fanotify_watcher.h"
#include "watcher/inotify_watcher.h"
#include "watcher/watcher.h"

namespace recsync::testing {

enum class Backend { kInotify, kFanotify };

inline const char* BackendName(Backend b) { return b == Backend::kInotify ? "inotify" : "fanotify"; }

// True (after a WARN saying why) when `b` cannot watch `dir` here: fanotify
// needs CAP_SYS_ADMIN, Linux >= 5.17 and a filesystem with file handles.
inline bool BackendUnavailable(Backend b, const std::string& dir) {
  if (b == Backend::kInotify) return false;
  std::string why = FanotifyUnavailableReason({dir});
  if (why.empty()) return false;
  WARN("fanotify backend skipped: " << why);
  return true;
}

// Runs the rest of the test case once per backend (Catch2 generator),
// naming the backend in every failure, and skips an unavailable one.
#define RECSYNC_FOR_EACH_BACKEND(backend, dir)                                    \
  const ::recsync::testing::Backend backend =                                     \
      GENERATE(::recsync::testing::Backend::kInotify,                             \
               ::recsync::testing::Backend::kFanotify);                           \
  INFO("watcher backend: " << ::recsync::testing::BackendName(backend));          \
  if (::recsync::testing::BackendUnavailable(backend, dir)) return

class WatcherHarness {
 public:
  using Factory = std::function<Result<std::unique_ptr<Watcher>>(uv_loop_t*, Watcher::Sink)>;

  explicit WatcherHarness(InotifyWatcher::Options options = {})
      : WatcherHarness([options](uv_loop_t* loop, Watcher::Sink sink) -> Result<std::unique_ptr<Watcher>> {
          auto w = InotifyWatcher::Create(loop, std::move(sink), options);
          if (!w.ok()) return w.status();
          return std::unique_ptr<Watcher>(std::move(*w));
        }) {}

  explicit WatcherHarness(Backend backend)
      : WatcherHarness([backend](uv_loop_t* loop, Watcher::Sink sink) -> Result<std::unique_ptr<Watcher>> {
          if (backend == Backend::kInotify) {
            auto w = InotifyWatcher::Create(loop, std::move(sink));
            if (!w.ok()) return w.status();
            return std::unique_ptr<Watcher>(std::move(*w));
          }
          auto w = FanotifyWatcher::Create(loop, std::move(sink));
          if (!w.ok()) return w.status();
          return std::unique_ptr<Watcher>(std::move(*w));
        }) {}

  explicit WatcherHarness(const Factory& factory) {
    REQUIRE(uv_loop_init(&loop_) == 0);
    REQUIRE(uv_timer_init(&loop_, &tick_) == 0);
    REQUIRE(uv_timer_start(&tick_, [](uv_timer_t*) {}, 50, 50) == 0);
    auto w = factory(&loop_, [this](std::vector<WatchEvent> batch) {
      REQUIRE(!batch.empty());
      ++batches_;
      for (auto& e : batch) events_.push_back(std::move(e));
    });
    if (!w.ok()) FAIL("creating the watcher: " << w.status().message());
    watcher_ = std::move(*w);
  }

  ~WatcherHarness() {
    watcher_.reset();
    uv_close(reinterpret_cast<uv_handle_t*>(&tick_), nullptr);
    uv_run(&loop_, UV_RUN_DEFAULT);  // runs the close callbacks
    uv_loop_close(&loop_);
  }

  Watcher& watcher() { return *watcher_; }
  bool inotify() const { return std::string(watcher_->backend()) == "inotify"; }
  const std::vector<WatchEvent>& events() const { return events_; }
  int batches() const { return batches_; }

  // Runs the loop until `done()` or `deadline` passes; returns done().
  bool RunUntil(const std::function<bool()>& done,
                std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
    auto end = std::chrono::steady_clock::now() + deadline;
    while (!done()) {
      if (std::chrono::steady_clock::now() > end) return false;
      uv_run(&loop_, UV_RUN_ONCE);
    }
    return true;
  }

  // Creates a cookie in `root`, waits for its kCookie (so every earlier event
  // has been delivered), then removes the file. Returns the cookie's index in
  // events(), or -1 on timeout.
  long Sync(const std::string& root) {
    std::string path = CookiePath(root, std::to_string(++cookies_));
    WriteFile(path, "");
    long index = -1;
    RunUntil([&] {
      index = Find(WatchEvent::Kind::kCookie, path);
      return index >= 0;
    });
    RemoveFile(path);
    return index;
  }

  // Index of the first event of `kind` with `path` (any path when empty), or -1.
  long Find(WatchEvent::Kind kind, const std::string& path = "") const {
    for (size_t i = 0; i < events_.size(); ++i) {
      if (events_[i].kind == kind && (path.empty() || events_[i].path == path)) {
        return static_cast<long>(i);
      }
    }
    return -1;
  }

  size_t Count(WatchEvent::Kind kind, const std::string& path = "") const {
    size_t n = 0;
    for (const auto& e : events_) n += e.kind == kind && (path.empty() || e.path == path);
    return n;
  }

 private:
  uv_loop_t loop_;
  uv_timer_t tick_;
  std::unique_ptr<Watcher> watcher_;
  std::vector<WatchEvent> events_;
  int batches_ = 0;
  int cookies_ = 0;
};

}  // namespace recsync::testing
