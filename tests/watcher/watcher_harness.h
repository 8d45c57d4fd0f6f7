// A real uv loop, a real InotifyWatcher and the events it reported, for tests.
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
#include "watcher/inotify_watcher.h"

namespace recsync::testing {

class WatcherHarness {
 public:
  explicit WatcherHarness(InotifyWatcher::Options options = {}) {
    REQUIRE(uv_loop_init(&loop_) == 0);
    REQUIRE(uv_timer_init(&loop_, &tick_) == 0);
    REQUIRE(uv_timer_start(&tick_, [](uv_timer_t*) {}, 50, 50) == 0);
    auto w = InotifyWatcher::Create(
        &loop_,
        [this](std::vector<WatchEvent> batch) {
          REQUIRE(!batch.empty());
          ++batches_;
          for (auto& e : batch) events_.push_back(std::move(e));
        },
        std::move(options));
    REQUIRE(w.ok());
    watcher_ = std::move(*w);
  }

  ~WatcherHarness() {
    watcher_.reset();
    uv_close(reinterpret_cast<uv_handle_t*>(&tick_), nullptr);
    uv_run(&loop_, UV_RUN_DEFAULT);  // runs the close callbacks
    uv_loop_close(&loop_);
  }

  InotifyWatcher& watcher() { return *watcher_; }
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
  std::unique_ptr<InotifyWatcher> watcher_;
  std::vector<WatchEvent> events_;
  int batches_ = 0;
  int cookies_ = 0;
};

}  // namespace recsync::testing
