// Real mounts for tests, which need root: a tmpfs or bind mount detached on
// scope exit, and a FUSE mount (bindfs) whose server can be stopped, so that
// every call into the mount hangs as on a dead NFS server.
#pragma once

#include <sys/types.h>

#include <string>

namespace recsync::testing {

// Whether this process may mount (it runs as root).
bool CanMount();

// A mount at `target`, unmounted (lazily) when the object goes.
class ScopedMount {
 public:
  static ScopedMount Tmpfs(const std::string& target);
  static ScopedMount Bind(const std::string& source, const std::string& target);
  ScopedMount(ScopedMount&& other) noexcept;
  ~ScopedMount();
  ScopedMount(const ScopedMount&) = delete;
  ScopedMount& operator=(const ScopedMount&) = delete;

  void Unmount();  // fails the test if the kernel refuses
  void Mount();    // again, after Unmount()

 private:
  ScopedMount(std::string source, std::string target, std::string type, unsigned long flags);
  std::string source_, target_, type_;
  unsigned long flags_ = 0;
  bool mounted_ = false;
};

// bindfs showing `source` at `mountpoint`, run in the foreground by the test.
// Hang() stops the server (SIGSTOP): from then on every call into the mount
// that reaches it blocks until Answer(). The destructor lets it answer,
// unmounts and reaps it.
class HangingFuse {
 public:
  HangingFuse(const std::string& source, const std::string& mountpoint);
  ~HangingFuse();
  HangingFuse(const HangingFuse&) = delete;
  HangingFuse& operator=(const HangingFuse&) = delete;

  void Hang();
  void Answer();
  const std::string& mountpoint() const { return mountpoint_; }

 private:
  std::string mountpoint_;
  pid_t pid_ = -1;
  bool hung_ = false;
};

// Whether `path` is a mount point now (/proc/self/mountinfo).
bool IsMountPoint(const std::string& path);

}  // namespace recsync::testing
