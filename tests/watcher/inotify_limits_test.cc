// Both watcher backends at the edges: a queue overflow, an unmounted root and a
// mount below a root. Mounting needs root (CAP_SYS_ADMIN); those cases WARN and
// skip without it. Nothing system-wide is changed.
#include <sys/mount.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include <fmt/format.h>

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
  TempDir tmp;
  RECSYNC_FOR_EACH_BACKEND(backend, tmp.path());
  auto queued = ReadMaxUserWatches(fmt::format("/proc/sys/fs/{}/max_queued_events",
                                               testing::BackendName(backend)));
  REQUIRE(queued.has_value());
  if (*queued > 200000) {
    WARN("max_queued_events is " << *queued << ": too many events to overflow; skipped");
    return;
  }
  std::string root = tmp.Sub("rec");
  std::string dir = root + "/2026/11/24/000001";
  MakeDirs(dir);
  WatcherHarness h(backend);
  REQUIRE(h.watcher().AddRoot(root).ok());

  h.watcher().Pause();
  // Renames allocate no inodes, so they are cheap. Each queues IN_MOVED_FROM
  // and IN_MOVED_TO, or one FAN_RENAME; a new name each time, so fanotify
  // cannot merge two of them.
  std::string a = dir + "/a.mp4";
  WriteFile(a);
  const uint64_t renames = (h.inotify() ? *queued / 2 : *queued) + 100;
  uint64_t failures = 0;
  for (uint64_t i = 0; i < renames; ++i) {
    std::string from = fmt::format("{}/{}.mp4", dir, i);
    std::string to = fmt::format("{}/{}.mp4", dir, i + 1);
    failures += ::rename(i == 0 ? a.c_str() : from.c_str(), to.c_str()) != 0;
  }
  REQUIRE(failures == 0);
  h.watcher().Resume();
  REQUIRE(h.RunUntil([&] { return h.Find(K::kOverflow) >= 0; }));
  const WatchEvent& e = h.events()[h.Find(K::kOverflow)];
  CHECK(e.path.empty());
  CHECK(e.root.empty());
  CHECK(h.Count(K::kOverflow) == 1);
  // fanotify, after an overflow and until the roots are added again, cannot
  // tell a stale handle from anywhere on the filesystem (other tests' temp
  // trees) from a lost directory under the root, so it may say kUnknownWatch.
  if (h.inotify()) CHECK(h.Count(K::kUnknownWatch) == 0);
  REQUIRE(h.watcher().AddRoot(root).ok());  // what the daemon does after an overflow

  // The watcher goes on working afterwards.
  REQUIRE(h.Sync(root) >= 0);
  WriteFile(dir + "/after.mp4");
  RemoveFile(dir + "/after.mp4");
  REQUIRE(h.RunUntil([&] { return h.Find(K::kDeleted, dir + "/after.mp4") >= 0; }));
}

TEST_CASE("an unmounted tmpfs root gives kRootGone", "[watcher]") {
  TempDir tmp;
  RECSYNC_FOR_EACH_BACKEND(backend, tmp.path());
  std::string root = tmp.Sub("mnt");
  TmpfsMount mount(root);
  if (!mount.mounted()) {
    WARN("cannot mount a tmpfs (" << mount.error() << "; needs root): skipped");
    return;
  }
  WriteFile(root + "/2026/11/24/000001/a.mp4");
  if (testing::BackendUnavailable(backend, root)) return;
  WatcherHarness h(backend);
  REQUIRE(h.watcher().AddRoot(root).ok());
  CHECK(h.watcher().watch_count() == (h.inotify() ? 5u : 2u));

  REQUIRE(mount.Unmount());
  REQUIRE(h.RunUntil([&] { return h.Find(K::kRootGone) >= 0; }));
  const WatchEvent& e = h.events()[h.Find(K::kRootGone)];
  CHECK(e.path == root);
  CHECK(e.root == root);
  CHECK(ToText(e.kind) == "unmounted");
  REQUIRE(h.RunUntil([&] { return h.watcher().watch_count() == 0; }));
  CHECK(h.Count(K::kRootGone) == 1);
  CHECK(h.Count(K::kDirDeleted) == 0);
  CHECK(h.Count(K::kUnknownWatch) == 0);

  // Back again (the directory under the mount point is empty), it can be re-added.
  REQUIRE(h.watcher().AddRoot(root).ok());
  CHECK(h.watcher().watch_count() == (h.inotify() ? 1u : 2u));
}

TEST_CASE("watches do not cross into another mount below a root unless it is a root",
          "[watcher]") {
  TempDir tmp;
  RECSYNC_FOR_EACH_BACKEND(backend, tmp.path());
  std::string root = tmp.Sub("rec");
  std::string inner = root + "/2026/11/24/000001";
  MakeDirs(inner);
  TmpfsMount mount(inner);
  if (!mount.mounted()) {
    WARN("cannot mount a tmpfs (" << mount.error() << "; needs root): skipped");
    return;
  }
  WriteFile(inner + "/sub/a.mp4");
  if (testing::BackendUnavailable(backend, inner)) return;
  WatcherHarness h(backend);
  REQUIRE(h.watcher().AddRoot(root).ok());
  // inotify: rec, 2026, 11, 24, not the tmpfs; fanotify: the root's filesystem and the root.
  CHECK(h.watcher().watch_count() == (h.inotify() ? 4u : 2u));

  RemoveFile(inner + "/sub/a.mp4");
  REQUIRE(h.Sync(root) >= 0);
  CHECK(h.Count(K::kDeleted) == 0);

  // As a root of its own it is watched, and its events name it as their root.
  REQUIRE(h.watcher().AddRoot(inner).ok());
  CHECK(h.watcher().watch_count() == (h.inotify() ? 6u : 4u));
  WriteFile(inner + "/sub/b.mp4");
  RemoveFile(inner + "/sub/b.mp4");
  REQUIRE(h.RunUntil([&] { return h.Find(K::kDeleted, inner + "/sub/b.mp4") >= 0; }));
  CHECK(h.events()[h.Find(K::kDeleted)].root == inner);
}

}  // namespace
}  // namespace recsync
