// What only the fanotify backend has to get right: placing events by file
// handle (stale handles after rm -rf, events elsewhere on the filesystem),
// renames synthesized from one FAN_RENAME, and choosing a backend. Skipped
// with a WARN where fanotify cannot be used.
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <set>
#include <string>

#include <fmt/format.h>

#include "tests/support/temp_dir.h"
#include "tests/watcher/watcher_harness.h"

namespace recsync {
namespace {

using K = WatchEvent::Kind;
using testing::Backend;
using testing::MakeDirs;
using testing::RemoveFile;
using testing::TempDir;
using testing::WatcherHarness;
using testing::WriteFile;

void Rename(const std::string& from, const std::string& to) {
  REQUIRE(std::rename(from.c_str(), to.c_str()) == 0);
}

TEST_CASE("fanotify: rm -rf of a deep tree reports every file from the handle cache",
          "[watcher][fanotify]") {
  TempDir tmp;
  if (testing::BackendUnavailable(Backend::kFanotify, tmp.path())) return;
  std::string root = tmp.Sub("rec");
  // Eight levels, files at every level: by the time the events are read every
  // directory is gone, so no handle can be opened; only the cache knows them.
  std::set<std::string> files;
  std::string dir = root + "/tree";
  for (int level = 0; level < 8; ++level) {
    dir += fmt::format("/d{}", level);
    for (int i = 0; i < 5; ++i) files.insert(fmt::format("{}/f{}.mp4", dir, i));
  }
  for (const auto& f : files) WriteFile(f);
  WatcherHarness h(Backend::kFanotify);
  REQUIRE(h.watcher().AddRoot(root).ok());

  std::filesystem::remove_all(root + "/tree");
  REQUIRE(h.RunUntil([&] { return h.Find(K::kDirDeleted, root + "/tree") >= 0; }));
  std::set<std::string> deleted;
  for (const auto& e : h.events()) {
    if (e.kind == K::kDeleted) deleted.insert(e.path);
  }
  CHECK(deleted == files);
  CHECK(h.Count(K::kDirDeleted) == 9);
  CHECK(h.Count(K::kUnknownWatch) == 0);
}

TEST_CASE("fanotify: events elsewhere on the same filesystem are not reported",
          "[watcher][fanotify]") {
  TempDir tmp;
  if (testing::BackendUnavailable(Backend::kFanotify, tmp.path())) return;
  std::string root = tmp.Sub("rec");
  MakeDirs(root + "/2026");
  std::string other = tmp.Sub("other");
  WriteFile(other + "/a/b/old.mp4");
  WatcherHarness h(Backend::kFanotify);
  REQUIRE(h.watcher().AddRoot(root).ok());

  WriteFile(other + "/a/new.mp4");
  RemoveFile(other + "/a/new.mp4");
  Rename(other + "/a/b/old.mp4", other + "/a/renamed.mp4");
  MakeDirs(other + "/c/d");
  WriteFile(other + "/.recsync-cookie-not-a-root");
  std::filesystem::remove_all(other);
  WriteFile(tmp.Sub("rec-sibling/x.mp4"));  // "rec-sibling" is not below "rec"
  RemoveFile(tmp.Sub("rec-sibling/x.mp4"));
  REQUIRE(h.Sync(root) >= 0);
  REQUIRE(h.events().size() == 1);  // the cookie alone
  CHECK(h.events()[0].kind == K::kCookie);
}

TEST_CASE("fanotify: renames within a root pair up and a move out gives only kMovedFrom",
          "[watcher][fanotify]") {
  TempDir tmp;
  if (testing::BackendUnavailable(Backend::kFanotify, tmp.path())) return;
  std::string root = tmp.Sub("rec");
  WriteFile(root + "/2026/11/24/000001/a.mp4");
  WriteFile(root + "/2026/11/24/000001/b.mp4");
  MakeDirs(root + "/2026/11/25/000002");
  MakeDirs(tmp.Sub("outside"));
  WatcherHarness h(Backend::kFanotify);
  REQUIRE(h.watcher().AddRoot(root).ok());

  // A file to another camera's folder, then a whole day to another month.
  const std::string to = root + "/2026/11/25/000002/a.mp4";
  Rename(root + "/2026/11/24/000001/a.mp4", to);
  Rename(root + "/2026/11/24", root + "/2026/12");
  REQUIRE(h.Sync(root) >= 0);
  long f1 = h.Find(K::kMovedFrom, root + "/2026/11/24/000001/a.mp4");
  long t1 = h.Find(K::kMovedTo, to);
  long f2 = h.Find(K::kMovedFrom, root + "/2026/11/24");
  long t2 = h.Find(K::kMovedTo, root + "/2026/12");
  REQUIRE((f1 >= 0 && t1 >= 0 && f2 >= 0 && t2 >= 0));
  CHECK(f1 < t1);
  CHECK(h.events()[f1].move_cookie != 0);
  CHECK(h.events()[f1].move_cookie == h.events()[t1].move_cookie);
  CHECK(h.events()[f2].move_cookie == h.events()[t2].move_cookie);
  CHECK(h.events()[f1].move_cookie != h.events()[f2].move_cookie);
  CHECK(h.events()[t2].is_dir);
  CHECK_FALSE(h.events()[t1].is_dir);

  // The renamed directory's files are placed under its new name, and a file
  // moved out of the root gives kMovedFrom alone.
  RemoveFile(root + "/2026/12/000001/b.mp4");
  Rename(to, tmp.Sub("outside/a.mp4"));
  REQUIRE(h.Sync(root) >= 0);
  CHECK(h.Find(K::kDeleted, root + "/2026/12/000001/b.mp4") >= 0);
  long out = h.Find(K::kMovedFrom, to);
  REQUIRE(out >= 0);
  CHECK(h.events()[out].move_cookie != 0);
  CHECK(h.Count(K::kMovedTo) == 2);

  // And one moved in from outside gives kMovedTo alone; its subtree is known.
  WriteFile(tmp.Sub("restore/000009/r.mp4"));
  Rename(tmp.Sub("restore"), root + "/2026/11/26");
  REQUIRE(h.Sync(root) >= 0);
  CHECK(h.Find(K::kMovedTo, root + "/2026/11/26") >= 0);
  CHECK(h.Count(K::kMovedFrom) == 3);
  std::filesystem::remove_all(root + "/2026/11/26");
  REQUIRE(h.RunUntil([&] { return h.Find(K::kDirDeleted, root + "/2026/11/26") >= 0; }));
  CHECK(h.Find(K::kDeleted, root + "/2026/11/26/000009/r.mp4") >= 0);
  CHECK(h.Count(K::kUnknownWatch) == 0);
}

TEST_CASE("fanotify: after an overflow, a tree the cache never saw is placed by its deletion",
          "[watcher][fanotify]") {
  TempDir tmp;
  if (testing::BackendUnavailable(Backend::kFanotify, tmp.path())) return;
  auto queued = ReadMaxUserWatches("/proc/sys/fs/fanotify/max_queued_events");
  REQUIRE(queued.has_value());
  if (*queued > 200000) {
    WARN("fs.fanotify.max_queued_events is " << *queued << ": too many events; skipped");
    return;
  }
  std::string root = tmp.Sub("rec");
  std::string dir = root + "/2026/11/24/000001";
  MakeDirs(dir);
  WriteFile(tmp.Sub("outside/x/y/lost-outside.mp4"));
  WatcherHarness h(Backend::kFanotify);
  REQUIRE(h.watcher().AddRoot(root).ok());

  // Fill the queue, then make a tree whose creation the kernel drops.
  h.watcher().Pause();
  WriteFile(dir + "/0.mp4");
  for (uint64_t i = 0; i < *queued + 100; ++i) {
    Rename(fmt::format("{}/{}.mp4", dir, i), fmt::format("{}/{}.mp4", dir, i + 1));
  }
  const std::string lost = root + "/2026/11/25/000007/a/b";
  WriteFile(lost + "/lost-1.mp4");
  WriteFile(lost + "/../lost-2.mp4");
  h.watcher().Resume();
  REQUIRE(h.RunUntil([&] { return h.Find(K::kOverflow) >= 0; }));
  REQUIRE(h.Sync(root) >= 0);
  CHECK(h.Find(K::kDirCreated, root + "/2026/11/25") < 0);

  // Not added again: the cache is incomplete, and both trees are gone (their
  // handles stale) by the time their events are read.
  std::filesystem::remove_all(root + "/2026/11/25");
  std::filesystem::remove_all(tmp.Sub("outside"));
  REQUIRE(h.RunUntil([&] { return h.Find(K::kDirDeleted, root + "/2026/11/25") >= 0; }));
  CHECK(h.Find(K::kDeleted, lost + "/lost-1.mp4") >= 0);
  CHECK(h.Find(K::kDeleted, root + "/2026/11/25/000007/a/lost-2.mp4") >= 0);
  CHECK(h.Find(K::kDirDeleted, lost) >= 0);
  // The outside tree is placed outside through its surviving ancestor
  // (open_by_handle_at), not reported, and nothing of ours is unknown.
  size_t outside = 0, unknown = 0;
  for (const auto& e : h.events()) {
    outside += e.path.find("lost-outside") != std::string::npos;
    unknown += e.kind == K::kUnknownWatch && e.path.starts_with("lost-");
  }
  CHECK(outside == 0);
  CHECK(unknown == 0);
}

TEST_CASE("auto picks fanotify where it works, inotify when asked or where it cannot",
          "[watcher][fanotify]") {
  TempDir tmp;
  std::string root = tmp.Sub("rec");
  MakeDirs(root);
  auto forced = ChooseWatcher("inotify", {root});
  REQUIRE(forced.ok());
  CHECK(forced->backend == "inotify");
  CHECK(ChooseWatcher("kqueue", {root}).status().code() == Code::kInvalid);
  {
    WatcherHarness h([&](uv_loop_t* loop, Watcher::Sink sink) {
      return CreateWatcher(loop, std::move(sink), "inotify", {root});
    });
    CHECK(std::string(h.watcher().backend()) == "inotify");
  }
  if (testing::BackendUnavailable(Backend::kFanotify, root)) {
    auto fallback = ChooseWatcher("auto", {root});
    REQUIRE(fallback.ok());
    CHECK(fallback->backend == "inotify");
    CHECK_FALSE(fallback->reason.empty());
    return;
  }
  WatcherHarness h([&](uv_loop_t* loop, Watcher::Sink sink) {
    return CreateWatcher(loop, std::move(sink), "auto", {root});
  });
  CHECK(std::string(h.watcher().backend()) == "fanotify");
  REQUIRE(h.watcher().AddRoot(root).ok());
  REQUIRE(h.Sync(root) >= 0);

  // procfs has no file handles: auto falls back and says why; fanotify refuses.
  auto proc = ChooseWatcher("auto", {root, "/proc/self"});
  REQUIRE(proc.ok());
  CHECK(proc->backend == "inotify");
  CHECK_THAT(proc->reason, Catch::Contains("/proc/self"));
  auto refused = ChooseWatcher("fanotify", {"/proc/self"});
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == Code::kInvalid);
}

}  // namespace
}  // namespace recsync
