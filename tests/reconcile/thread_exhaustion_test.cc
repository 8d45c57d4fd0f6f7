// Out of threads (RLIMIT_NPROC reached, a cgroup's pids.max): every place
// that starts one degrades instead of ending in std::terminate. Run in a
// child process as user nobody with RLIMIT_NPROC 0, where thread creation
// really fails with EAGAIN.
#include <catch2/catch.hpp>

#include <grp.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <string>

#include "common/threads.h"
#include "reconcile/disk.h"
#include "reconcile/storage_lanes.h"

using namespace recsync;
using namespace std::chrono_literals;

namespace {

// Runs `body` in a child that cannot start threads; returns its exit code
// (0: every check held; n: check n failed; 100: set-up failed).
int WithoutThreads(const std::function<int()>& body) {
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const rlimit none{0, 0};
    if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0 ||
        ::setrlimit(RLIMIT_NPROC, &none) != 0) {
      _exit(100);
    }
    _exit(body());
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));  // not killed by std::terminate's abort
  return WEXITSTATUS(status);
}

}  // namespace

TEST_CASE("without threads, storage calls fail as unresponsive and bounded tasks at once") {
  if (::geteuid() != 0) {
    WARN("not run: needs root to become a user whose thread limit applies");
    return;
  }
  const int failed = WithoutThreads([] {
    StorageLanes lanes;
    auto call = lanes.Call<int>("/rec", LanePurpose::kProbe, 5s, [] { return 1; });
    if (call.ok() || call.status().code() != Code::kUnavailable) return 1;
    if (call.status().message().find("cannot start a thread") == std::string::npos) return 2;
    if (lanes.Post("/rec", LanePurpose::kArm, 5s, [] {}).ok()) return 3;
    TaskThread thread;
    if (thread.started()) return 4;
    const auto before = std::chrono::steady_clock::now();
    auto task = BoundedTask<int>::Start([] { return 1; }, 60s, &thread);
    if (task.Wait().has_value()) return 5;
    if (std::chrono::steady_clock::now() - before > 10s) return 6;  // failed at once, no wait
    auto inline_result = AsyncOrInline([] { return 42; });
    if (inline_result.get() != 42) return 7;
    if (StartThread("recsync-test", [] {}).ok()) return 8;
    return 0;
  });
  CHECK(failed == 0);
}
