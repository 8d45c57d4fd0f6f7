#include <uv.h>

#include <catch2/catch.hpp>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "daemon/loop_mailbox.h"
#include "tests/support/test_loop.h"

namespace recsync::testing {
namespace {

TEST_CASE("closures posted from several threads run on the loop thread, each thread's in the "
          "order it posted them") {
  TestLoop loop;
  auto mailbox = std::make_unique<LoopMailbox>(loop.get());
  const auto loop_thread = std::this_thread::get_id();

  constexpr int kThreads = 4;
  constexpr int kPosts = 2000;
  // Touched only on the loop thread, by the closures.
  std::vector<std::vector<int>> ran(kThreads);
  int off_loop = 0;
  int total = 0;

  std::vector<std::thread> posters;
  for (int t = 0; t < kThreads; ++t) {
    posters.emplace_back([&, t] {
      for (int i = 0; i < kPosts; ++i) {
        mailbox->Post([&, t, i] {
          if (std::this_thread::get_id() != loop_thread) ++off_loop;
          ran[t].push_back(i);
          ++total;
        });
      }
    });
  }
  const bool all_ran = loop.RunUntil([&] { return total == kThreads * kPosts; });
  for (auto& p : posters) p.join();
  REQUIRE(all_ran);

  CHECK(off_loop == 0);
  for (int t = 0; t < kThreads; ++t) {
    REQUIRE(ran[t].size() == static_cast<size_t>(kPosts));
    bool in_order = true;
    for (int i = 0; i < kPosts; ++i) in_order = in_order && ran[t][i] == i;
    CHECK(in_order);
  }
  mailbox.reset();
}

TEST_CASE("a closure posted after Close is dropped, from any thread") {
  TestLoop loop;
  auto mailbox = std::make_unique<LoopMailbox>(loop.get());
  bool before = false;
  mailbox->Post([&] { before = true; });
  REQUIRE(loop.RunUntil([&] { return before; }));

  mailbox->Close();
  bool after_here = false;
  std::atomic<bool> after_there{false};
  mailbox->Post([&] { after_here = true; });
  std::thread poster([&] { mailbox->Post([&] { after_there = true; }); });
  poster.join();
  // Had either been queued, its wake-up would already be pending and handled here.
  loop.RunReady();
  loop.RunReady();
  CHECK_FALSE(after_here);
  CHECK_FALSE(after_there);

  mailbox.reset();
  loop.RunReady();
  CHECK_FALSE(after_here);
  CHECK_FALSE(after_there);
}

TEST_CASE("closures still queued when the mailbox is destroyed never run and the loop closes "
          "cleanly") {
  bool ran = false;
  {
    TestLoop loop;
    auto mailbox = std::make_unique<LoopMailbox>(loop.get());
    std::thread poster([&] { mailbox->Post([&] { ran = true; }); });
    poster.join();
    mailbox.reset();  // before the loop ever ran
    // ~TestLoop runs the loop to the end and checks uv_loop_close succeeds.
  }
  CHECK_FALSE(ran);
}

}  // namespace
}  // namespace recsync::testing
