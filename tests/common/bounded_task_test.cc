// Bounded tasks on a reused thread: the sweep's listers post a chunk after
// chunk to one TaskThread each, and must still give up on a hung mount.
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <vector>

#include "common/bounded_task.h"

using namespace recsync;
using namespace std::chrono_literals;

TEST_CASE("tasks given to one TaskThread run one after another, in the order started") {
  TaskThread thread;
  std::vector<int> order;  // only the task thread writes, one task at a time
  std::vector<BoundedTask<int>> tasks;
  for (int i = 0; i < 50; ++i) {
    tasks.push_back(BoundedTask<int>::Start(
        [i, &order] {
          order.push_back(i);
          return i * 2;
        },
        10s, &thread));
  }
  for (int i = 0; i < 50; ++i) {
    auto got = tasks[static_cast<size_t>(i)].Wait();
    REQUIRE(got);
    CHECK(*got == i * 2);
  }
  std::vector<int> expected(50);
  for (int i = 0; i < 50; ++i) expected[static_cast<size_t>(i)] = i;
  CHECK(order == expected);
}

TEST_CASE("a task stuck past its deadline times out, and dropping its TaskThread does not wait") {
  std::promise<void> unstick;
  std::shared_future<void> stuck = unstick.get_future().share();
  // Shared with the task, which may outlive this test if it fails.
  auto finished = std::make_shared<std::promise<void>>();
  std::future<void> finished_seen = finished->get_future();
  std::optional<BoundedTask<int>> task;
  {
    TaskThread thread;
    task = BoundedTask<int>::Start(
        [stuck, finished] {
          stuck.wait();  // a call into a hung mount
          finished->set_value();
          return 1;
        },
        50ms, &thread);
    CHECK_FALSE(task->Wait());  // the deadline passes: nullopt, not a hang
  }  // ~TaskThread returns although its thread is still stuck
  CHECK(finished_seen.wait_for(0s) == std::future_status::timeout);
  unstick.set_value();  // the storage answers at last; the thread finishes and exits
  CHECK(finished_seen.wait_for(10s) == std::future_status::ready);
}

TEST_CASE("a task that throws is seen as a timeout, never as a result") {
  TaskThread thread;
  auto task = BoundedTask<int>::Start([]() -> int { throw std::runtime_error("boom"); }, 200ms,
                                      &thread);
  CHECK_FALSE(task.Wait());
  // The thread survives and runs the next task.
  auto next = BoundedTask<int>::Start([] { return 7; }, 10s, &thread);
  auto got = next.Wait();
  REQUIRE(got);
  CHECK(*got == 7);
}
