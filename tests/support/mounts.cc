#include "tests/support/mounts.h"

#include <signal.h>
#include <spawn.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <vector>

#include "fs/mount_table.h"

extern char** environ;

namespace recsync::testing {

bool CanMount() { return ::geteuid() == 0; }

bool IsMountPoint(const std::string& path) {
  auto table = ReadMountTable();
  REQUIRE(table.ok());
  for (const auto& m : *table) {
    if (m.mount_point == path) return true;
  }
  return false;
}

ScopedMount::ScopedMount(std::string source, std::string target, std::string type,
                         unsigned long flags)
    : source_(std::move(source)), target_(std::move(target)), type_(std::move(type)),
      flags_(flags) {
  Mount();
}

ScopedMount ScopedMount::Tmpfs(const std::string& target) {
  return ScopedMount("tmpfs", target, "tmpfs", 0);
}

ScopedMount ScopedMount::Bind(const std::string& source, const std::string& target) {
  return ScopedMount(source, target, "", MS_BIND);
}

ScopedMount::ScopedMount(ScopedMount&& other) noexcept
    : source_(std::move(other.source_)), target_(std::move(other.target_)),
      type_(std::move(other.type_)), flags_(other.flags_), mounted_(other.mounted_) {
  other.mounted_ = false;
}

ScopedMount::~ScopedMount() {
  if (mounted_) ::umount2(target_.c_str(), MNT_DETACH);
}

void ScopedMount::Mount() {
  INFO("mount " << source_ << " on " << target_ << ": " << std::strerror(errno));
  REQUIRE(::mount(source_.c_str(), target_.c_str(), type_.empty() ? nullptr : type_.c_str(),
                  flags_, type_ == "tmpfs" ? "size=64m" : nullptr) == 0);
  mounted_ = true;
}

void ScopedMount::Unmount() {
  INFO("umount " << target_ << ": " << std::strerror(errno));
  REQUIRE(::umount2(target_.c_str(), 0) == 0);
  mounted_ = false;
}

HangingFuse::HangingFuse(const std::string& source, const std::string& mountpoint)
    : mountpoint_(mountpoint) {
  std::vector<std::string> argv = {"/usr/bin/bindfs", "-f", "--no-allow-other", source,
                                   mountpoint};
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  // Its complaint that the test unmounted it first says nothing.
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  const int rc = posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  INFO("bindfs (apt-get install bindfs fuse3; scripts/deps.sh installs it)");
  REQUIRE(rc == 0);
  // /proc/self/mountinfo polls POLLPRI when the mount table changes.
  const int table = ::open(kMountInfoPath, O_RDONLY | O_CLOEXEC);
  REQUIRE(table >= 0);
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!IsMountPoint(mountpoint) && std::chrono::steady_clock::now() < until) {
    int status = 0;
    REQUIRE(::waitpid(pid_, &status, WNOHANG) == 0);  // it must not have exited
    pollfd changed{table, POLLPRI, 0};
    ::poll(&changed, 1, 100);
    char buf[4096];
    ::lseek(table, 0, SEEK_SET);
    while (::read(table, buf, sizeof(buf)) > 0) {
    }
  }
  ::close(table);
  REQUIRE(IsMountPoint(mountpoint));
}

HangingFuse::~HangingFuse() {
  Answer();
  ::umount2(mountpoint_.c_str(), MNT_DETACH);
  ::kill(pid_, SIGTERM);
  ::waitpid(pid_, nullptr, 0);
}

void HangingFuse::Hang() {
  REQUIRE(::kill(pid_, SIGSTOP) == 0);
  hung_ = true;
}

void HangingFuse::Answer() {
  if (hung_) ::kill(pid_, SIGCONT);
  hung_ = false;
}

}  // namespace recsync::testing
