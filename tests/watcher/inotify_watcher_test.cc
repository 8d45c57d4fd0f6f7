// Both watcher backends on a real directory tree: deletions, new
// directories, cookies, byte paths; and, inotify only, unknown watches and
// running out of watches.
#include <sys/inotify.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cerrno>
#include <filesystem>
#include <string>
#include <thread>

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

TEST_CASE("rm of a recording and of its .jpg sidecar gives kDeleted with the exact paths",
          "[watcher]") {
  TempDir tmp;
  RECSYNC_FOR_EACH_BACKEND(backend, tmp.path());
  std::string root = tmp.Sub("rec");
  std::string mp4 = root + "/2026/11/24/000001/10-00-00.mp4";
  std::string jpg = root + "/2026/11/24/000001/10-00-00.jpg";
  WriteFile(mp4);
  WriteFile(jpg);
  WatcherHarness h(backend);
  REQUIRE(h.watcher().AddRoot(root + "/").ok());  // a trailing slash is normalised away
  // inotify: rec, 2026, 11, 24, 000001; fanotify: the filesystem and the root.
  CHECK(h.watcher().watch_count() == (h.inotify() ? 5u : 2u));
  CHECK_FALSE(h.watcher().degraded());

  RemoveFile(mp4);
  RemoveFile(jpg);
  REQUIRE(h.RunUntil([&] { return h.Count(K::kDeleted) == 2; }));
  const WatchEvent& e = h.events()[h.Find(K::kDeleted, mp4)];
  CHECK(e.root == root);
  CHECK(e.move_cookie == 0);
  CHECK(e.time_ms > 0);
  CHECK(h.Find(K::kDeleted, jpg) >= 0);
}

TEST_CASE("rm -rf of a day folder with 1,000 files gives 1,000 kDeleted and kDirDeleted",
          "[watcher]") {
  TempDir tmp;
  RECSYNC_FOR_EACH_BACKEND(backend, tmp.path());
  std::string root = tmp.Sub("rec");
  std::string day = root + "/2026/11/24";
  for (int i = 0; i < 1000; ++i) {
    WriteFile(day + "/000001/" + std::to_string(100000 + i) + (i % 2 ? ".mp4" : ".jpg"));
  }
  MakeDirs(root + "/2026/11/25/000001");
  WatcherHarness h(backend);
  REQUIRE(h.watcher().AddRoot(root).ok());
  size_t before = h.watcher().watch_count();

  std::filesystem::remove_all(day);
  REQUIRE(h.RunUntil([&] { return h.Count(K::kDirDeleted, day) == 1; }));
  CHECK(h.Count(K::kDeleted) == 1000);
  CHECK(h.Count(K::kDirDeleted) == 2);
  long device_dir = h.Find(K::kDirDeleted, day + "/000001");
  REQUIRE(device_dir >= 0);
  // Files first, then the device folder, then the day folder.
  CHECK(static_cast<size_t>(device_dir) == 1000);
  CHECK(h.Find(K::kDirDeleted, day) == 1001);
  CHECK(h.Count(K::kUnknownWatch) == 0);
  REQUIRE(h.Sync(root) >= 0);
  CHECK(h.watcher().watch_count() == (h.inotify() ? before - 2 : before));
  CHECK(h.batches() >= 1);
}

TEST_CASE("a folder tree made at once after start is watched to its leaves", "[watcher]") {
  TempDir tmp;
  RECSYNC_FOR_EACH_BACKEND(backend, tmp.path());
  std::string root = tmp.Sub("rec");
  MakeDirs(root + "/2026/11/24/000001");
  WatcherHarness h(backend);
  REQUIRE(h.watcher().AddRoot(root).ok());

  // mkdir -p and a file in the deepest folder, with no loop iteration in
  // between: b and c exist before the watcher even knows about a.
  std::string leaf = root + "/2027/01/02/000007";
  WriteFile(leaf + "/10-00-00.mp4");
  REQUIRE(h.Sync(root) >= 0);  // the IN_CREATE of 2027 has been handled: all armed
  CHECK(h.Count(K::kDirCreated, root + "/2027") == 1);
  CHECK(h.Count(K::kDirCreated, root + "/2027/01") == 1);
  CHECK(h.Count(K::kDirCreated, root + "/2027/01/02") == 1);
  CHECK(h.Count(K::kDirCreated, leaf) == 1);
  CHECK(h.Count(K::kDirCreated) == 4);
  CHECK(h.events()[h.Find(K::kDirCreated, leaf)].root == root);

  RemoveFile(leaf + "/10-00-00.mp4");
  REQUIRE(h.RunUntil([&] { return h.Find(K::kDeleted, leaf + "/10-00-00.mp4") >= 0; }));

  // A new camera folder in an existing day, and one deeper tree.
  WriteFile(root + "/2026/11/24/000002/a.mp4");
  WriteFile(root + "/2028/01/01/000003/b.mp4");
  REQUIRE(h.Sync(root) >= 0);
  RemoveFile(root + "/2026/11/24/000002/a.mp4");
  RemoveFile(root + "/2028/01/01/000003/b.mp4");
  REQUIRE(h.RunUntil([&] { return h.Count(K::kDeleted) == 3; }));
  CHECK(h.Count(K::kDirCreated, root + "/2026/11/24/000002") == 1);
  CHECK(h.Count(K::kDirCreated, root + "/2028/01/01/000003") == 1);
  CHECK(h.Count(K::kDirCreated) == 4 + 1 + 4);
}

TEST_CASE("a cookie arrives after every earlier event and its removal is not reported",
          "[watcher]") {
  TempDir tmp;
  RECSYNC_FOR_EACH_BACKEND(backend, tmp.path());
  std::string root = tmp.Sub("rec");
  std::string file = root + "/2026/11/24/000001/10-00-00.mp4";
  WriteFile(file);
  WatcherHarness h(backend);
  REQUIRE(h.watcher().AddRoot(root).ok());

  RemoveFile(file);
  long cookie = h.Sync(root);
  REQUIRE(cookie >= 0);
  long deleted = h.Find(K::kDeleted, file);
  REQUIRE(deleted >= 0);
  CHECK(deleted < cookie);
  CHECK(h.events()[cookie].path == CookiePath(root, "1"));
  CHECK(h.events()[cookie].root == root);

  // The first cookie's deletion comes before the second cookie and is not reported.
  long second = h.Sync(root);
  REQUIRE(second > cookie);
  CHECK(h.Count(K::kDeleted) == 1);
  // A cookie-like name below the root is an ordinary file.
  std::string deep = root + "/2026/.recsync-cookie-x";
  WriteFile(deep);
  RemoveFile(deep);
  REQUIRE(h.RunUntil([&] { return h.Find(K::kDeleted, deep) >= 0; }));
  CHECK(h.Count(K::kCookie) == 2);
}

TEST_CASE("paths are bytes: spaces, newlines and invalid UTF-8 come back exactly",
          "[watcher]") {
  TempDir tmp;
  RECSYNC_FOR_EACH_BACKEND(backend, tmp.path());
  std::string root = tmp.Sub("rec root");
  std::string dir = root + "/cam \n\xff";
  std::string file = dir + "/a\nb \xc3\x28\xfe.mp4";
  WriteFile(file);
  WatcherHarness h(backend);
  REQUIRE(h.watcher().AddRoot(root).ok());

  RemoveFile(file);
  REQUIRE(h.RunUntil([&] { return h.Find(K::kDeleted, file) >= 0; }));
  std::string later = dir + "/new\tdir\x80";
  WriteFile(later + "/x\x01.mp4");
  REQUIRE(h.Sync(root) >= 0);
  CHECK(h.Find(K::kDirCreated, later) >= 0);
  RemoveFile(later + "/x\x01.mp4");
  REQUIRE(h.RunUntil([&] { return h.Find(K::kDeleted, later + "/x\x01.mp4") >= 0; }));
}

TEST_CASE("an event on a watch descriptor the watcher does not know is kUnknownWatch",
          "[watcher]") {
  TempDir tmp;
  std::string root = tmp.Sub("rec");
  std::string stray = tmp.Sub("stray");
  MakeDirs(root + "/2026");
  MakeDirs(stray);
  InotifyWatcher::Options options;
  // Also watches a directory behind the watcher's back, on its own fd.
  options.add_watch = [stray](int fd, const char* path, uint32_t mask) {
    if (std::string(path).ends_with("/2026")) ::inotify_add_watch(fd, stray.c_str(), IN_DELETE);
    return ::inotify_add_watch(fd, path, mask);
  };
  WatcherHarness h(options);
  REQUIRE(h.watcher().AddRoot(root).ok());

  WriteFile(stray + "/f");
  RemoveFile(stray + "/f");
  REQUIRE(h.RunUntil([&] { return h.Find(K::kUnknownWatch) >= 0; }));
  const WatchEvent& e = h.events()[h.Find(K::kUnknownWatch)];
  CHECK(e.path == "f");
  CHECK(e.root.empty());
}

TEST_CASE("running out of watches degrades the watcher with one clear line", "[watcher]") {
  TempDir tmp;
  std::string root = tmp.Sub("rec");
  MakeDirs(root + "/2026/11/24/000001");
  MakeDirs(root + "/2026/11/25/000002");  // 7 directories in all
  int allowed = 3;
  InotifyWatcher::Options options;
  options.add_watch = [&allowed](int fd, const char* path, uint32_t mask) {
    if (allowed <= 0) {
      errno = ENOSPC;
      return -1;
    }
    --allowed;
    return ::inotify_add_watch(fd, path, mask);
  };
  options.max_user_watches = [] { return std::optional<uint64_t>(3); };
  WatcherHarness h(options);

  Status st = h.watcher().AddRoot(root);
  REQUIRE_FALSE(st.ok());
  CHECK(st.message() == WatchLimitMessage(3, 7));
  CHECK(h.watcher().degraded());
  CHECK(h.watcher().degraded_reason() == st.message());
  CHECK(h.watcher().watch_count() == 3);

  // What was armed still reports, and a new directory that cannot be armed is
  // still reported as created.
  REQUIRE(h.Sync(root) >= 0);
  MakeDirs(root + "/2027");
  REQUIRE(h.RunUntil([&] { return h.Find(K::kDirCreated, root + "/2027") >= 0; }));
}

TEST_CASE("AddRoot refuses a missing root or a file; RemoveRoot stops the events",
          "[watcher]") {
  TempDir tmp;
  RECSYNC_FOR_EACH_BACKEND(backend, tmp.path());
  WriteFile(tmp.Sub("file"));
  WatcherHarness h(backend);
  Status missing = h.watcher().AddRoot(tmp.Sub("nope"));
  CHECK(missing.code() == Code::kNotFound);
  CHECK(h.watcher().AddRoot(tmp.Sub("file")).code() == Code::kInvalid);
  CHECK(h.watcher().AddRoot("relative/path").code() == Code::kInvalid);

  std::string a = tmp.Sub("a");
  std::string b = tmp.Sub("b");
  WriteFile(a + "/2026/x.mp4");
  WriteFile(b + "/2026/y.mp4");
  REQUIRE(h.watcher().AddRoot(a).ok());
  REQUIRE(h.watcher().AddRoot(b).ok());
  REQUIRE(h.watcher().AddRoot(b).ok());  // idempotent
  CHECK(h.watcher().watch_count() == (h.inotify() ? 4u : 3u));  // fanotify: one filesystem
  REQUIRE(h.watcher().RemoveRoot(a).ok());
  CHECK(h.watcher().watch_count() == 2);
  CHECK(h.watcher().RemoveRoot(a).code() == Code::kNotFound);

  RemoveFile(a + "/2026/x.mp4");
  RemoveFile(b + "/2026/y.mp4");
  REQUIRE(h.RunUntil([&] { return h.Find(K::kDeleted, b + "/2026/y.mp4") >= 0; }));
  REQUIRE(h.Sync(b) >= 0);
  CHECK(h.Find(K::kDeleted, a + "/2026/x.mp4") < 0);
  CHECK(h.Count(K::kUnknownWatch) == 0);
}

TEST_CASE("AddRoot on a worker thread while the loop runs and folders appear", "[watcher]") {
  TempDir tmp;
  RECSYNC_FOR_EACH_BACKEND(backend, tmp.path());
  std::string root = tmp.Sub("rec");
  for (int day = 10; day < 60; ++day) {
    for (int cam = 1; cam <= 4; ++cam) {
      MakeDirs(fmt::format("{}/2026/11/{}/00000{}", root, day, cam));
    }
  }
  const size_t initial = 3 + 50 + 200;
  WatcherHarness h(backend);
  std::atomic<bool> done{false};
  Status status;
  std::thread worker([&] {
    status = h.watcher().AddRoot(root);
    done = true;
  });
  int made = 0;
  REQUIRE(h.RunUntil([&] {
    if (made < 20) WriteFile(fmt::format("{}/2026/12/{}/000001/a.mp4", root, 10 + made++));
    return done && made == 20;
  }));
  worker.join();
  REQUIRE(status.ok());
  REQUIRE(h.Sync(root) >= 0);
  CHECK(h.watcher().watch_count() == (h.inotify() ? initial + 1 + 20 * 2 : 2));
  CHECK(h.Count(K::kUnknownWatch) == 0);
  for (int i = 0; i < 20; ++i) {
    RemoveFile(fmt::format("{}/2026/12/{}/000001/a.mp4", root, 10 + i));
  }
  REQUIRE(h.RunUntil([&] { return h.Count(K::kDeleted) == 20; }));
}

TEST_CASE("deleting a root reports its files, its folders, then kRootGone", "[watcher]") {
  TempDir tmp;
  RECSYNC_FOR_EACH_BACKEND(backend, tmp.path());
  std::string root = tmp.Sub("rec");
  WriteFile(root + "/2026/11/24/000001/a.mp4");
  WatcherHarness h(backend);
  REQUIRE(h.watcher().AddRoot(root).ok());

  std::filesystem::remove_all(root);
  REQUIRE(h.RunUntil([&] { return h.Find(K::kRootGone, root) >= 0; }));
  CHECK(h.Find(K::kDeleted, root + "/2026/11/24/000001/a.mp4") == 0);
  CHECK(h.Count(K::kDirDeleted) == 4);
  CHECK(h.Find(K::kRootGone, root) == 5);
  CHECK(h.events()[5].root == root);
  REQUIRE(h.RunUntil([&] { return h.watcher().watch_count() == 0; }));
  CHECK(h.Count(K::kUnknownWatch) == 0);
}

}  // namespace
}  // namespace recsync
