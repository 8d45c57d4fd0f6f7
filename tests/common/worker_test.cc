#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/worker.h"

namespace recsync::testing {
namespace {

// A context that records which thread used it and when it was closed.
struct Recorder {
  std::vector<std::string> seen;
  std::thread::id used_on;
  std::atomic<bool>* closed;
  explicit Recorder(std::atomic<bool>* c) : closed(c) {}
  ~Recorder() { *closed = true; }
};

// Blocks the caller until Open(): lets a test hold a worker inside a task.
class Gate {
 public:
  void Open() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }
  bool WaitOpen(std::chrono::seconds deadline) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, deadline, [&] { return open_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

TEST_CASE("a worker runs its tasks in posting order on its own thread, with its context") {
  std::atomic<bool> closed{false};
  auto started = Worker<Recorder>::Start("test-worker", std::make_unique<Recorder>(&closed));
  REQUIRE(started.ok());
  auto& worker = *started;
  Gate done;
  for (const char* name : {"a", "b", "c"}) {
    worker->Post([name](Recorder& r) {
      r.seen.push_back(name);
      r.used_on = std::this_thread::get_id();
    });
  }
  std::vector<std::string> seen;
  std::thread::id used_on;
  worker->Post([&](Recorder& r) {
    seen = r.seen;
    used_on = r.used_on;
    done.Open();
  });
  REQUIRE(done.WaitOpen(std::chrono::seconds(10)));
  CHECK(seen == std::vector<std::string>{"a", "b", "c"});
  CHECK(used_on != std::this_thread::get_id());
  CHECK_FALSE(closed);
}

TEST_CASE("stopping a worker lets the running task finish before its context is closed; "
          "later tasks are dropped") {
  std::atomic<bool> closed{false};
  auto started = Worker<Recorder>::Start("test-worker", std::make_unique<Recorder>(&closed));
  REQUIRE(started.ok());
  auto& worker = *started;
  Gate entered, release;
  std::atomic<bool> running_finished{false}, late_ran{false}, closed_while_running{false};
  worker->Post([&](Recorder&) {
    entered.Open();
    release.WaitOpen(std::chrono::seconds(10));
    closed_while_running = closed.load();
    running_finished = true;
  });
  REQUIRE(entered.WaitOpen(std::chrono::seconds(10)));
  std::thread stopper([&] { worker->Stop(); });
  release.Open();
  stopper.join();
  CHECK(running_finished);
  CHECK_FALSE(closed_while_running);
  CHECK(closed);
  worker->Post([&](Recorder&) { late_ran = true; });  // after Stop: dropped
  CHECK_FALSE(late_ran);
}

}  // namespace
}  // namespace recsync::testing
