// InstanceLock: creation, conflicts within one process and across processes,
// release on destruction, on exit and on kill -9, and IsHeld().
#include "common/instance_lock.h"

#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "tests/support/temp_dir.h"

namespace recsync {
namespace {

using testing::Exists;
using testing::TempDir;
using testing::WriteFile;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

int WaitChild(pid_t pid) {
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Exit codes of a child that tries the lock.
constexpr int kChildGotIt = 0;
constexpr int kChildBusy = 10;
constexpr int kChildOther = 11;

int TryInChild(const std::string& path) {
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    auto lock = InstanceLock::Acquire(path);
    ::_exit(lock.ok() ? kChildGotIt
                      : lock.status().code() == Code::kBusy ? kChildBusy : kChildOther);
  }
  return WaitChild(child);
}

// A child that takes the lock, says so with one byte on a pipe, and holds it
// until the parent closes the other pipe (or kills it).
class HoldingChild {
 public:
  explicit HoldingChild(const std::string& path) {
    int ready[2], release[2];
    REQUIRE(::pipe(ready) == 0);
    REQUIRE(::pipe(release) == 0);
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::close(ready[0]);
      ::close(release[1]);
      auto lock = InstanceLock::Acquire(path);
      if (!lock.ok()) ::_exit(1);
      char byte = 'y';
      if (::write(ready[1], &byte, 1) != 1) ::_exit(2);
      while (::read(release[0], &byte, 1) > 0) {
      }
      ::_exit(0);
    }
    ::close(ready[1]);
    ::close(release[0]);
    release_ = release[1];
    pollfd p{ready[0], POLLIN, 0};
    REQUIRE(::poll(&p, 1, 10000) == 1);
    char byte = 0;
    REQUIRE(::read(ready[0], &byte, 1) == 1);
    ::close(ready[0]);
  }
  ~HoldingChild() {
    if (release_ >= 0) ::close(release_);
    if (pid_ > 0) WaitChild(pid_);
  }

  pid_t pid() const { return pid_; }
  // Lets the child exit normally and reaps it.
  int Release() {
    ::close(release_);
    release_ = -1;
    int code = WaitChild(pid_);
    pid_ = -1;
    return code;
  }
  void Kill() {
    REQUIRE(::kill(pid_, SIGKILL) == 0);
    CHECK(WaitChild(pid_) == -1);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
  int release_ = -1;
};

TEST_CASE("Acquire creates the lock file and its directories and writes our pid", "[lock]") {
  TempDir tmp;
  std::string path = tmp.Sub("run/recsync/recsync.lock");
  mode_t old_umask = ::umask(022);
  auto lock = InstanceLock::Acquire(path);
  ::umask(old_umask);
  INFO(lock.status().message());
  REQUIRE(lock.ok());
  CHECK(lock->path() == path);
  CHECK(ReadAll(path) == std::to_string(::getpid()) + "\n");
  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0640);
  REQUIRE(::stat(tmp.Sub("run/recsync").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0750);
}

TEST_CASE("a second open of the same file in one process is kBusy and names our pid",
          "[lock]") {
  TempDir tmp;
  std::string path = tmp.Sub("recsync.lock");
  WriteFile(path, "999999999\n");  // a leftover pid is replaced
  auto first = InstanceLock::Acquire(path);
  REQUIRE(first.ok());
  auto second = InstanceLock::Acquire(path);
  REQUIRE_FALSE(second.ok());
  CHECK(second.status().code() == Code::kBusy);
  CHECK(second.status().message().find(path) != std::string::npos);
  CHECK(second.status().message().find("(pid " + std::to_string(::getpid()) + ")") !=
        std::string::npos);
  // The refused attempt did not disturb the holder's pid.
  CHECK(ReadAll(path) == std::to_string(::getpid()) + "\n");
}

TEST_CASE("the lock goes with the object that holds it, not with a moved-from one", "[lock]") {
  TempDir tmp;
  std::string path = tmp.Sub("recsync.lock");
  std::optional<InstanceLock> held;
  {
    auto lock = InstanceLock::Acquire(path);
    REQUIRE(lock.ok());
    InstanceLock moved(std::move(*lock));
    held.emplace(std::move(moved));
  }  // the moved-from objects are gone
  CHECK(InstanceLock::IsHeld(path));
  CHECK(InstanceLock::Acquire(path).status().code() == Code::kBusy);

  auto other = InstanceLock::Acquire(tmp.Sub("other.lock"));
  REQUIRE(other.ok());
  *held = std::move(*other);  // move-assigning releases the first lock
  CHECK_FALSE(InstanceLock::IsHeld(path));
  CHECK(InstanceLock::IsHeld(tmp.Sub("other.lock")));
  held.reset();
  CHECK_FALSE(InstanceLock::IsHeld(tmp.Sub("other.lock")));
  CHECK(Exists(path));  // never unlinked
  CHECK(InstanceLock::Acquire(path).ok());
}

TEST_CASE("IsHeld is false for a missing file and does not create it", "[lock]") {
  TempDir tmp;
  std::string path = tmp.Sub("none/recsync.lock");
  CHECK_FALSE(InstanceLock::IsHeld(path));
  CHECK_FALSE(Exists(path));
  WriteFile(path, "");
  CHECK_FALSE(InstanceLock::IsHeld(path));  // a file nobody locks
}

TEST_CASE("a child process cannot take a lock its parent holds", "[lock]") {
  TempDir tmp;
  std::string path = tmp.Sub("recsync.lock");
  {
    auto lock = InstanceLock::Acquire(path);
    REQUIRE(lock.ok());
    // The child's own open() is a new open file description: it conflicts.
    CHECK(TryInChild(path) == kChildBusy);
  }
  CHECK(TryInChild(path) == kChildGotIt);
}

TEST_CASE("a lock held by another process is kBusy with its pid until it exits", "[lock]") {
  TempDir tmp;
  std::string path = tmp.Sub("recsync.lock");
  HoldingChild child(path);
  CHECK(InstanceLock::IsHeld(path));
  auto refused = InstanceLock::Acquire(path);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == Code::kBusy);
  CHECK(refused.status().message().find("(pid " + std::to_string(child.pid()) + ")") !=
        std::string::npos);

  CHECK(child.Release() == 0);
  CHECK_FALSE(InstanceLock::IsHeld(path));
  CHECK(InstanceLock::Acquire(path).ok());
}

TEST_CASE("kill -9 of the holder releases the lock", "[lock]") {
  TempDir tmp;
  std::string path = tmp.Sub("recsync.lock");
  HoldingChild child(path);
  REQUIRE(InstanceLock::IsHeld(path));
  child.Kill();
  CHECK_FALSE(InstanceLock::IsHeld(path));
  auto lock = InstanceLock::Acquire(path);
  REQUIRE(lock.ok());
  CHECK(ReadAll(path) == std::to_string(::getpid()) + "\n");
}

TEST_CASE("a lock path under a regular file is an error naming the path", "[lock]") {
  TempDir tmp;
  WriteFile(tmp.Sub("plain"), "x");
  std::string path = tmp.Sub("plain/recsync.lock");
  auto lock = InstanceLock::Acquire(path);
  REQUIRE_FALSE(lock.ok());
  CHECK(lock.status().code() != Code::kBusy);
  CHECK(lock.status().message().find(tmp.Sub("plain")) != std::string::npos);
}

}  // namespace
}  // namespace recsync

namespace recsync {
namespace {

TEST_CASE("Intact tells whether the path still names the locked file", "[lock]") {
  TempDir tmp;
  std::string path = tmp.Sub("recsync.lock");
  auto lock = InstanceLock::Acquire(path);
  REQUIRE(lock.ok());
  CHECK(lock->Intact());
  REQUIRE(::unlink(path.c_str()) == 0);
  CHECK_FALSE(lock->Intact());
  WriteFile(path, "");  // another file under the same name
  CHECK_FALSE(lock->Intact());
}

}  // namespace
}  // namespace recsync
