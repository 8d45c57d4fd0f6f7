// Out of threads (RLIMIT_NPROC reached, a cgroup's pids.max): every place
// that starts one degrades instead of ending in std::terminate. Run in a
// child process as user nobody with RLIMIT_NPROC 0, where thread creation
// really fails with EAGAIN.
#include <catch2/catch.hpp>

#include <sys/resource.h>

#include <string>

#include "common/bounded_task.h"
#include "common/threads.h"
#include "reconcile/storage_lanes.h"
#include "tests/support/as_nobody.h"

using namespace recsync;
using namespace std::chrono_literals;
using recsync::testing::AsNobody;
using recsync::testing::CanBecomeNobody;

TEST_CASE("without threads, storage calls fail as unresponsive and bounded tasks at once") {
  if (!CanBecomeNobody()) {
    WARN("not run: needs root to become a user whose thread limit applies");
    return;
  }
  // A user nobody whose RLIMIT_NPROC is 0: no thread can start, for real.
  auto no_threads = [] {
    const rlimit none{0, 0};
    return ::setrlimit(RLIMIT_NPROC, &none) == 0;
  };
  const std::string failed = AsNobody([]() -> std::string {
    StorageLanes lanes;
    auto call = lanes.Call<int>("/rec", LanePurpose::kProbe, 5s, [] { return 1; });
    if (call.ok() || call.status().code() != Code::kUnavailable) return "lanes called";
    if (call.status().message().find("cannot start a thread") == std::string::npos) {
      return "lanes said: " + call.status().message();
    }
    if (lanes.Post("/rec", LanePurpose::kArm, 5s, [] {}).ok()) return "lanes posted";
    TaskThread thread;
    if (thread.started()) return "a task thread started";
    const auto before = std::chrono::steady_clock::now();
    auto task = BoundedTask<int>::Start([] { return 1; }, 60s, &thread);
    if (task.Wait().has_value()) return "a bounded task ran";
    if (std::chrono::steady_clock::now() - before > 10s) return "a bounded task waited";
    if (AsyncOrInline([] { return 42; }).get() != 42) return "no inline result";
    if (StartThread("recsync-test", [] {}).ok()) return "a thread started";
    return "";
  }, no_threads);
  CHECK(failed.empty());
}
