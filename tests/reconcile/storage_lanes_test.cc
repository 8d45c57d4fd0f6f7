// StorageLanes: a hung root costs one thread per lane, never one per attempt.
// The "hung" calls here block on a future, as a call into a hung mount
// blocks in the kernel; tests/cli/hung_storage_test.cc does it with a real
// FUSE mount.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <vector>

#include "reconcile/storage_lanes.h"

using namespace recsync;
using namespace std::chrono_literals;

namespace {

// A call that blocks until Release(), like one into a hung mount.
struct Hang {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::shared_ptr<std::promise<void>> entered = std::make_shared<std::promise<void>>();
  std::future<void> entered_seen = entered->get_future();

  std::function<int()> Fn() {
    return [released = released, entered = entered] {
      entered->set_value();
      released.wait();
      return 1;
    };
  }
  void Release() { release.set_value(); }
};

}  // namespace

TEST_CASE("calls on one lane run in order on one thread that is reused") {
  StorageLanes lanes;
  std::vector<int> order;  // written only by the lane's thread
  for (int i = 0; i < 100; ++i) {
    auto got = lanes.Call<int>("/rec", LanePurpose::kProbe, 10s, [i, &order] {
      order.push_back(i);
      return i;
    });
    REQUIRE(got.ok());
    CHECK(*got == i);
  }
  CHECK(order.size() == 100);
  CHECK(order.back() == 99);
  CHECK(lanes.threads_started() == 1);
}

TEST_CASE("a hung root: one call times out, later ones fail at once without a new thread") {
  StorageLanes lanes;
  Hang hang;
  // The lane's thread is up and idle, so the hung call starts at once.
  REQUIRE(lanes.Call<int>("/nas", LanePurpose::kProbe, 10s, [] { return 0; }).ok());
  auto first = lanes.Call<int>("/nas", LanePurpose::kProbe, 300ms, hang.Fn());
  CHECK(hang.entered_seen.wait_for(0s) == std::future_status::ready);
  REQUIRE_FALSE(first.ok());
  CHECK(first.status().code() == Code::kTimeout);
  CHECK(first.status().message().find("/nas") != std::string::npos);
  REQUIRE(lanes.StuckFor("/nas", LanePurpose::kProbe).has_value());

  std::atomic<int> ran{0};
  for (int i = 0; i < 1000; ++i) {
    auto again = lanes.Call<int>("/nas", LanePurpose::kProbe, 10s, [&ran] { return ++ran; });
    REQUIRE_FALSE(again.ok());
    CHECK(again.status().code() == Code::kTimeout);
    CHECK(again.status().message().find("still stuck") != std::string::npos);
  }
  CHECK(lanes.Post("/nas", LanePurpose::kProbe, 1s, [&ran] { ++ran; }).code() == Code::kTimeout);
  CHECK(lanes.threads_started() == 1);

  // The storage answers at last: the lane is usable again, on the same thread.
  hang.Release();
  Result<int> back = Status(Code::kTimeout, "not yet");
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (!back.ok() && std::chrono::steady_clock::now() < until) {
    back = lanes.Call<int>("/nas", LanePurpose::kProbe, 1s, [] { return 7; });
  }
  REQUIRE(back.ok());
  CHECK(*back == 7);
  CHECK(ran == 0);  // nothing asked while it was stuck ever ran
  CHECK(lanes.threads_started() == 1);
}

TEST_CASE("a hung root does not hold up other roots or its own arming lane") {
  StorageLanes lanes;
  Hang hang;
  REQUIRE(lanes.Call<int>("/nas", LanePurpose::kProbe, 10s, [] { return 0; }).ok());
  CHECK_FALSE(lanes.Call<int>("/nas", LanePurpose::kProbe, 300ms, hang.Fn()).ok());
  REQUIRE(lanes.StuckFor("/nas", LanePurpose::kProbe).has_value());
  auto other = lanes.Call<int>("/local", LanePurpose::kProbe, 10s, [] { return 2; });
  REQUIRE(other.ok());
  CHECK(*other == 2);
  auto arm = lanes.Call<int>("/nas", LanePurpose::kArm, 10s, [] { return 3; });
  REQUIRE(arm.ok());
  CHECK(*arm == 3);
  hang.Release();
}

TEST_CASE("a call still queued when its caller gives up never runs") {
  StorageLanes lanes;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  // A slow call, posted with a long deadline: the lane is busy, not stuck.
  REQUIRE(lanes.Post("/rec", LanePurpose::kProbe, 60s, [released] { released.wait(); }).ok());
  std::atomic<bool> ran{false};
  auto queued = lanes.Call<int>("/rec", LanePurpose::kProbe, 30ms, [&ran] {
    ran = true;
    return 1;
  });
  CHECK(queued.status().code() == Code::kTimeout);
  release.set_value();
  auto after = lanes.Call<int>("/rec", LanePurpose::kProbe, 10s, [] { return 5; });
  REQUIRE(after.ok());  // it ran after the dropped one was passed over
  CHECK_FALSE(ran);
}

TEST_CASE("a posted job's deadline counts from its start, not from when it was queued") {
  StorageLanes lanes;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  REQUIRE(lanes.Post("/rec", LanePurpose::kArm, 60s, [released] { released.wait(); }).ok());
  // Queued behind the slow walk with a short limit of its own.
  auto done = std::make_shared<std::promise<void>>();
  auto done_seen = done->get_future();
  REQUIRE(lanes.Post("/rec", LanePurpose::kArm, 5s, [done] { done->set_value(); }).ok());
  CHECK_FALSE(lanes.StuckFor("/rec", LanePurpose::kArm).has_value());
  release.set_value();
  CHECK(done_seen.wait_for(10s) == std::future_status::ready);
}

TEST_CASE("an exception from a call is an error naming the root, not a crash") {
  StorageLanes lanes;
  auto got = lanes.Call<int>("/rec", LanePurpose::kProbe, 10s,
                             []() -> int { throw std::runtime_error("boom"); });
  REQUIRE_FALSE(got.ok());
  CHECK(got.status().code() == Code::kUnavailable);
  CHECK(got.status().message() == "storage /rec: boom");
}

TEST_CASE("dropping the lanes while one is stuck does not wait for it") {
  Hang hang;
  {
    StorageLanes lanes;
    CHECK_FALSE(lanes.Call<int>("/nas", LanePurpose::kProbe, 300ms, hang.Fn()).ok());
    CHECK(hang.entered_seen.wait_for(10s) == std::future_status::ready);
  }  // returns although the lane's thread is still in its call
  hang.Release();  // the thread finishes its call and exits on its own
}
