// InotifyWatcher at the edges: a queue overflow, an unmounted root and a
// mount below a root. Mounting needs root (CAP_SYS_ADMIN); those cases WARN and
// skip without it. Nothing system-wide is changed.
#include <sys/mount.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "tests/support/temp_dir.h"
#include "tests/watcher/watcher_harness.h"

namespace recsync {
namespace {

using K = WatchEvent::Kind;
using testing::MakeDirs;
using testing::RemoveFile;
using testing::TempDir;
using testing::WatcherHarness;
using testing::WriteFile;

// A tmpfs mounted at a directory for the scope; unmounted (lazily) at the end
// if the test did not unmount it itself.
class TmpfsMount {
 public:
  explicit TmpfsMount(std::string dir) : dir_(std::move(dir)) {
    MakeDirs(dir_);
    if (::mount("tmpfs", dir_.c_str(), "tmpfs", 0, "size=4m") == 0) {
      mounted_ = true;
    } else {
      error_ = std::strerror(errno);
    }
  }
  ~TmpfsMount() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }
  bool Unmount() {
    if (::umount2(dir_.c_str(), 0) != 0) return false;
    mounted_ = false;
    return true;
  }

 private:
  std::string dir_;
  bool mounted_ = false;
  std::string error_;
};

TEST_CASE("more events than max_queued_events while paused give a kOverflow", "[watcher]") {
  auto queued = ReadMaxUserWatches("/proc/sys/fs/inotify/max_queued_events");
  REQUIRE(queued.has_value());
  if (*queued > 200000) {
    WARN("fs.inotify.max_queued_events is " << *queued << ": too many events to overflow; skipped");
    return;
  }
  TempDir tmp;
  std::string root = tmp.Sub("rec");
  std::string dir = root + "/2026/11/24/000001";
  MakeDirs(dir);
  WatcherHarness h;
  REQUIRE(h.watcher().AddRoot(root).ok());

  h.watcher().Pause();
  // Each rename queues IN_MOVED_FROM and IN_MOVED_TO (never merged: names and
  // cookies differ), and allocates no inodes, so it is cheap.
  std::string a = dir + "/a.mp4";
  std::string b = dir + "/b.mp4";
  WriteFile(a);
  uint64_t failures = 0;
  for (uint64_t i = 0; i < *queued / 2 + 100; ++i) {
    failures += ::rename(i % 2 ? b.c_str() : a.c_str(), i % 2 ? a.c_str() : b.c_str()) != 0;
  }
  REQUIRE(failures == 0);
  h.watcher().Resume();
  REQUIRE(h.RunUntil([&] { return h.Find(K::kOverflow) >= 0; }));
  const WatchEvent& e = h.events()[h.Find(K::kOverflow)];
  CHECK(e.path.empty());
  CHECK(e.root.empty());
  CHECK(h.Count(K::kOverflow) == 1);
  CHECK(h.Count(K::kUnknownWatch) == 0);

  // The watcher goes on working afterwards.
  REQUIRE(h.Sync(root) >= 0);
  WriteFile(dir + "/after.mp4");
  RemoveFile(dir + "/after.mp4");
  REQUIRE(h.RunUntil([&] { return h.Find(K::kDeleted, dir + "/after.mp4") >= 0; }));
}

TEST_CASE("an unmounted tmpfs root gives kRootGone", "[watcher]") {
  TempDir tmp;
  std::string root = tmp.Sub("mnt");
  TmpfsMount mount(root);
  if (!mount.mounted()) {
    WARN("cannot mount a tmpfs (" << mount.error() << "; needs root): skipped");
    return;
  }
  WriteFile(root + "/2026/11/24/000001/a.mp4");
  WatcherHarness h;
  REQUIRE(h.watcher().AddRoot(root).ok());
  CHECK(h.watcher().watch_count() == 5);

  REQUIRE(mount.Unmount());
  REQUIRE(h.RunUntil([&] { return h.Find(K::kRootGone) >= 0; }));
  const WatchEvent& e = h.events()[h.Find(K::kRootGone)];
  CHECK(e.path == root);
  CHECK(e.root == root);
  CHECK(std::string(KindName(e.kind)) == "unmounted");
  REQUIRE(h.RunUntil([&] { return h.watcher().watch_count() == 0; }));
  CHECK(h.Count(K::kRootGone) == 1);
  CHECK(h.Count(K::kDirDeleted) == 0);
  CHECK(h.Count(K::kUnknownWatch) == 0);

  // Back again (the directory under the mount point is empty), it can be re-added.
  REQUIRE(h.watcher().AddRoot(root).ok());
  CHECK(h.watcher().watch_count() == 1);
}

TEST_CASE("watches do not cross into another mount below a root unless it is a root",
          "[watcher]") {
  TempDir tmp;
  std::string root = tmp.Sub("rec");
  std::string inner = root + "/2026/11/24/000001";
  MakeDirs(inner);
  TmpfsMount mount(inner);
  if (!mount.mounted()) {
    WARN("cannot mount a tmpfs (" << mount.error() << "; needs root): skipped");
    return;
  }
  WriteFile(inner + "/sub/a.mp4");
  WatcherHarness h;
  REQUIRE(h.watcher().AddRoot(root).ok());
  CHECK(h.watcher().watch_count() == 4);  // rec, 2026, 11, 24: not the tmpfs

  RemoveFile(inner + "/sub/a.mp4");
  REQUIRE(h.Sync(root) >= 0);
  CHECK(h.Count(K::kDeleted) == 0);

  // As a root of its own it is watched, and its events name it as their root.
  REQUIRE(h.watcher().AddRoot(inner).ok());
  CHECK(h.watcher().watch_count() == 6);
  WriteFile(inner + "/sub/b.mp4");
  RemoveFile(inner + "/sub/b.mp4");
  REQUIRE(h.RunUntil([&] { return h.Find(K::kDeleted, inner + "/sub/b.mp4") >= 0; }));
  CHECK(h.events()[h.Find(K::kDeleted)].root == inner);
}

}  // namespace
}  // namespace recsync
