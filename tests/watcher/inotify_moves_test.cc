// Renames seen by both watcher backends: files and whole directories, within a root,
// out of it and into it.
#include <cstdio>
#include <catch2/catch.hpp>
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

void Rename(const std::string& from, const std::string& to) {
  REQUIRE(std::rename(from.c_str(), to.c_str()) == 0);
}

TEST_CASE("a rename within a root gives kMovedFrom and kMovedTo with the same cookie",
          "[watcher]") {
  TempDir tmp;
  RECSYNC_FOR_EACH_BACKEND(backend, tmp.path());
  std::string root = tmp.Sub("rec");
  std::string from = root + "/2026/11/24/000001/10-00-00.mp4";
  std::string to = root + "/2026/11/25/000001/10-00-00-motion.mp4";
  WriteFile(from);
  MakeDirs(root + "/2026/11/25/000001");
  WatcherHarness h(backend);
  REQUIRE(h.watcher().AddRoot(root).ok());

  Rename(from, to);
  REQUIRE(h.RunUntil([&] { return h.Find(K::kMovedTo, to) >= 0; }));
  long f = h.Find(K::kMovedFrom, from);
  long t = h.Find(K::kMovedTo, to);
  REQUIRE(f >= 0);
  CHECK(f < t);
  CHECK(h.events()[f].move_cookie != 0);
  CHECK(h.events()[f].move_cookie == h.events()[t].move_cookie);
  CHECK_FALSE(h.events()[f].is_dir);
  CHECK(h.events()[t].root == root);
}

TEST_CASE("a move out of the root gives an unmatched kMovedFrom", "[watcher]") {
  TempDir tmp;
  RECSYNC_FOR_EACH_BACKEND(backend, tmp.path());
  std::string root = tmp.Sub("rec");
  std::string file = root + "/2026/11/24/000001/10-00-00.mp4";
  WriteFile(file);
  MakeDirs(tmp.Sub("elsewhere"));
  WatcherHarness h(backend);
  REQUIRE(h.watcher().AddRoot(root).ok());

  Rename(file, tmp.Sub("elsewhere/10-00-00.mp4"));
  REQUIRE(h.Sync(root) >= 0);
  REQUIRE(h.Find(K::kMovedFrom, file) >= 0);
  CHECK(h.events()[h.Find(K::kMovedFrom, file)].move_cookie != 0);
  CHECK(h.Count(K::kMovedTo) == 0);
}

TEST_CASE("a directory renamed within the root keeps reporting under its new name",
          "[watcher]") {
  TempDir tmp;
  RECSYNC_FOR_EACH_BACKEND(backend, tmp.path());
  std::string root = tmp.Sub("rec");
  WriteFile(root + "/2026/11/24/000001/a.mp4");
  WriteFile(root + "/2026/11/24/000001/b.mp4");
  MakeDirs(root + "/2026/12");
  WatcherHarness h(backend);
  REQUIRE(h.watcher().AddRoot(root).ok());
  size_t watches = h.watcher().watch_count();

  Rename(root + "/2026/11/24", root + "/2026/12/01");
  REQUIRE(h.Sync(root) >= 0);
  long t = h.Find(K::kMovedTo, root + "/2026/12/01");
  REQUIRE(t >= 0);
  CHECK(h.events()[t].is_dir);
  // Two more reads, so an unmatched half would have been resolved by now.
  REQUIRE(h.Sync(root) >= 0);
  REQUIRE(h.Sync(root) >= 0);
  CHECK(h.watcher().watch_count() == watches);

  RemoveFile(root + "/2026/12/01/000001/a.mp4");
  REQUIRE(h.RunUntil([&] { return h.Find(K::kDeleted, root + "/2026/12/01/000001/a.mp4") >= 0; }));
  CHECK(h.Count(K::kDeleted) == 1);
}

TEST_CASE("a directory moved out is unwatched and one moved in is armed", "[watcher]") {
  TempDir tmp;
  RECSYNC_FOR_EACH_BACKEND(backend, tmp.path());
  std::string root = tmp.Sub("rec");
  WriteFile(root + "/2026/11/24/000001/a.mp4");
  WriteFile(tmp.Sub("restore/000009/r.mp4"));
  WatcherHarness h(backend);
  REQUIRE(h.watcher().AddRoot(root).ok());
  size_t watches = h.watcher().watch_count();

  Rename(root + "/2026/11/24", tmp.Sub("day-out"));
  REQUIRE(h.Sync(root) >= 0);
  REQUIRE(h.Sync(root) >= 0);  // the next read settles the unmatched half
  REQUIRE(h.Find(K::kMovedFrom, root + "/2026/11/24") >= 0);
  CHECK(h.watcher().watch_count() == (h.inotify() ? watches - 2 : watches));
  RemoveFile(tmp.Sub("day-out/000001/a.mp4"));

  Rename(tmp.Sub("restore"), root + "/2026/11/24");
  REQUIRE(h.Sync(root) >= 0);
  CHECK(h.Find(K::kMovedTo, root + "/2026/11/24") >= 0);
  CHECK(h.watcher().watch_count() == watches);
  RemoveFile(root + "/2026/11/24/000009/r.mp4");
  REQUIRE(h.RunUntil([&] { return h.Find(K::kDeleted, root + "/2026/11/24/000009/r.mp4") >= 0; }));
  CHECK(h.Count(K::kDeleted) == 1);  // nothing from the directory that left
  CHECK(h.Count(K::kUnknownWatch) == 0);
}

}  // namespace
}  // namespace recsync
