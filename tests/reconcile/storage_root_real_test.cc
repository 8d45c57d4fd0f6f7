// Storage roots on the real filesystem: what a probe says of symlinks,
// spellings and permissions, as the daemon and the sweep see them.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "reconcile/storage_root.h"
#include "tests/support/temp_dir.h"

using namespace recsync;
using recsync::testing::MakeDirs;
using recsync::testing::TempDir;

namespace {

constexpr std::chrono::milliseconds kTimeout{5000};

RootStatus Assess(const std::string& root) {
  static StorageLanes lanes;
  std::shared_ptr<DiskInterface> disk = MakeRealDisk("/nonexistent/fstab");
  auto tables = ReadMountTables(*disk);
  REQUIRE(tables.ok());
  return AssessRoot(lanes, disk, root, *tables, std::nullopt, kTimeout);
}

}  // namespace

TEST_CASE("a symlinked root, its target and odd spellings of either have one identity") {
  TempDir tmp;
  const std::string target = tmp.Sub("nas/rec");
  MakeDirs(target + "/2026");
  const std::string link = tmp.Sub("recordings");
  REQUIRE(::symlink(target.c_str(), link.c_str()) == 0);
  for (const std::string& spelling :
       {target, link, link + "/", tmp.path() + "//recordings", tmp.path() + "/./nas//rec/"}) {
    INFO(spelling);
    RootStatus s = Assess(NormalizeRoot(spelling));
    CHECK(s.state == RootState::kOnline);
    CHECK(s.real_path == target);
  }
}

TEST_CASE("a symlinked root whose target went is offline, naming the target") {
  TempDir tmp;
  const std::string link = tmp.Sub("recordings");
  REQUIRE(::symlink(tmp.Sub("nas/rec").c_str(), link.c_str()) == 0);
  RootStatus s = Assess(link);
  CHECK(s.state == RootState::kOffline);
  CHECK(s.reason == "is a symlink to " + tmp.Sub("nas/rec") + ", which does not exist (not mounted?)");
}

TEST_CASE("a root recsync may not read is offline, saying permission with mode and owner") {
  if (::geteuid() != 0) {
    WARN("not run: needs root to probe as another user");
    return;
  }
  // Under /tmp, which anyone may enter (the test's own TMPDIR may not be).
  char dir[] = "/tmp/recsync-perm-XXXXXX";
  REQUIRE(::mkdtemp(dir) != nullptr);
  struct Cleanup {
    std::string path;
    ~Cleanup() { std::filesystem::remove_all(path); }
  } cleanup{dir};
  REQUIRE(::chmod(dir, 0755) == 0);
  const std::string root = std::string(dir) + "/rec";
  MakeDirs(root);
  REQUIRE(::chmod(root.c_str(), 0750) == 0);  // root:root, others may not enter
  // As user nobody, in a child, the way a service without the group runs.
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0) _exit(2);
    StorageLanes lanes;
    std::shared_ptr<DiskInterface> disk = MakeRealDisk("/nonexistent/fstab");
    MountTables none;
    const std::string reason = AssessRoot(lanes, disk, root, none, std::nullopt, kTimeout).reason;
    (void)!::write(fds[1], reason.data(), reason.size());
    _exit(0);
  }
  ::close(fds[1]);
  std::string reason;
  char buf[512];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof(buf))) > 0;) reason.append(buf, size_t(n));
  ::close(fds[0]);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  CHECK(reason == "permission denied: " + root + " is mode 0750, owner root:root, and recsync "
                  "runs as nobody; give that user read and search access to it (e.g. add it to "
                  "the group)");
}
