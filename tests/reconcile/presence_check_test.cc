// The listing-based presence check gives, for every path, the answer lstat
// gives: proven on random trees on the real filesystem and on a virtual disk
// with failing listings, and end to end by comparing what a sweep archives
// with what a per-row lstat says is missing.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <set>

#include "reconcile/presence_check.h"
#include "tests/reconcile/sweep_fixture.h"
#include "tests/support/virtual_disk.h"

using namespace recsync;
using namespace recsync::testing;

namespace {

// A random recordings tree under `root`: some folders gone, some files gone,
// a file where a folder should be, odd names, a symlinked folder. Returns
// every path a catalog row could name (existing or not), in random order.
std::vector<std::string> RandomTree(const std::string& root, std::mt19937& rng) {
  std::vector<std::string> paths;
  std::uniform_int_distribution<int> pct(0, 99);
  const char* odd[] = {"it's a \"clip\".mp4", "new\nline.mp4", "sp ace.mp4", "\xff\xfe.mp4"};
  for (int day = 1; day <= 3; ++day) {
    for (int cam = 1; cam <= 4; ++cam) {
      const std::string dir = root + "/2026/11/0" + std::to_string(day) + "/00000" +
                              std::to_string(cam);
      const int mode = pct(rng);
      const int files = 1 + pct(rng) % 30;
      for (int i = 0; i < files; ++i) {
        std::string name = std::to_string(i) + (i % 4 == 0 ? "-motion.mp4" : ".mp4");
        if (i == 7) name = odd[pct(rng) % 4];
        paths.push_back(dir + "/" + name);
        if (mode < 10) continue;  // the whole folder never existed / is gone
        MakeDirs(dir);
        if (pct(rng) < 70) WriteFile(dir + "/" + name);
      }
      if (mode >= 10 && mode < 15) {
        // The folder is a file: every row under it gets ENOTDIR.
        RunProcess({"/bin/rm", "-rf", dir});
        WriteFile(dir, "not a dir");
      }
    }
  }
  // A camera folder that is a symlink to another one.
  MakeDirs(root + "/2026/11/04");
  MakeDirs(root + "/elsewhere");
  WriteFile(root + "/elsewhere/1.mp4");
  REQUIRE(::symlink((root + "/elsewhere").c_str(), (root + "/2026/11/04/000009").c_str()) == 0);
  paths.push_back(root + "/2026/11/04/000009/1.mp4");
  paths.push_back(root + "/2026/11/04/000009/2.mp4");
  std::shuffle(paths.begin(), paths.end(), rng);
  return paths;
}

// Every answer equals lstat's (presence and errno), path by path.
void CheckSameAsLstat(const std::vector<std::string>& paths, const std::vector<PathCheck>& got,
                      const std::vector<PathCheck>& expected) {
  REQUIRE(got.size() == expected.size());
  for (size_t i = 0; i < paths.size(); ++i) {
    INFO(paths[i]);
    CHECK(got[i].presence == expected[i].presence);
    CHECK(got[i].err == expected[i].err);
  }
}

}  // namespace

TEST_CASE("on random trees the listing check answers exactly as lstat does") {
  for (unsigned seed = 1; seed <= 20; ++seed) {
    INFO("seed " << seed);
    TempDir tmp;
    std::mt19937 rng(seed);
    const auto paths = RandomTree(tmp.Sub("rec"), rng);
    auto disk = std::shared_ptr<DiskInterface>(MakeRealDisk());
    const auto expected = CheckEach(*disk, paths);
    // A tiny cache, so listings are evicted and taken again; random chunks.
    PresenceCheck check(disk, 1 + seed % 4);
    std::vector<PathCheck> got;
    for (size_t i = 0; i < paths.size();) {
      const size_t n = std::min(paths.size() - i, size_t{1} + rng() % 40);
      auto part = check.Check(std::vector<std::string>(
          paths.begin() + static_cast<long>(i), paths.begin() + static_cast<long>(i + n)));
      got.insert(got.end(), part.begin(), part.end());
      i += n;
    }
    CheckSameAsLstat(paths, got, expected);
  }
}

TEST_CASE("checked as row batches, interleaved rows of many folders answer exactly as lstat does") {
  for (unsigned seed = 1; seed <= 20; ++seed) {
    INFO("seed " << seed);
    TempDir tmp;
    std::mt19937 rng(seed);
    const auto paths = RandomTree(tmp.Sub("rec"), rng);
    auto disk = std::shared_ptr<DiskInterface>(MakeRealDisk());
    const auto expected = CheckEach(*disk, paths);
    // Folder numbers as the sweep hands them out; odd seeds spread them far
    // apart, which takes the check's other way of grouping rows by folder.
    std::map<std::string, uint32_t> folder;
    for (const auto& p : paths) {
      const std::string dir = p.substr(0, p.rfind('/'));
      if (!folder.count(dir)) {
        folder[dir] = static_cast<uint32_t>(folder.size()) * (seed % 2 ? 100000u : 1u);
      }
    }
    PresenceCheck check(disk, 1 + seed % 4);
    std::vector<PathCheck> got;
    for (size_t i = 0; i < paths.size();) {
      const size_t n = std::min(paths.size() - i, size_t{1} + rng() % 40);
      RowBatch batch;
      for (size_t k = i; k < i + n; ++k) {
        batch.Add(static_cast<int64_t>(k), 0, paths[k],
                  folder[paths[k].substr(0, paths[k].rfind('/'))]);
      }
      auto part = check.Check(batch);
      REQUIRE(part.size() == n);
      got.insert(got.end(), part.begin(), part.end());
      i += n;
    }
    CheckSameAsLstat(paths, got, expected);
  }
}

TEST_CASE("a folder with thousands of files is listed whole, across several getdents calls") {
  TempDir tmp;
  const std::string dir = tmp.Sub("big");
  MakeDirs(dir);
  std::vector<std::string> paths;
  for (int i = 0; i < 3000; ++i) {  // far more than one 32 KiB buffer of entries
    paths.push_back(dir + "/" + std::string(40, 'a') + std::to_string(i) + ".mp4");
    if (i % 10 != 3) WriteFile(paths.back());
  }
  auto disk = std::shared_ptr<DiskInterface>(MakeRealDisk());
  const DirListing listing = disk->ListDir(dir);
  REQUIRE(listing.err == 0);
  CHECK(listing.size() == 2700);
  PresenceCheck check(disk);
  auto got = check.Check(paths);
  CHECK(check.listings() == 1);
  for (size_t i = 0; i < paths.size(); ++i) {
    CHECK(got[i].presence == (i % 10 == 3 ? Presence::kMissing : Presence::kPresent));
  }
  CHECK(disk->ListDir(dir + "/nope").err == ENOENT);
  CHECK(disk->ListDir(paths[0]).err == ENOTDIR);
}

TEST_CASE("rows in recording order cost one listing per folder and no lstat, gone files included") {
  TempDir tmp;
  std::vector<std::string> paths;
  for (int cam = 1; cam <= 4; ++cam) {
    for (int i = 0; i < 50; ++i) {
      paths.push_back(tmp.Sub("rec/2026/11/01/00000" + std::to_string(cam) + "/" +
                              std::to_string(i) + ".mp4"));
      if (i != 13) WriteFile(paths.back());
    }
  }
  // Interleaved as the cameras record side by side.
  std::vector<std::string> ordered;
  for (int i = 0; i < 50; ++i) {
    for (int cam = 0; cam < 4; ++cam) ordered.push_back(paths[static_cast<size_t>(cam * 50 + i)]);
  }
  PresenceCheck check{std::shared_ptr<DiskInterface>(MakeRealDisk())};
  auto got = check.Check(ordered);
  CHECK(check.listings() == 4);
  CHECK(check.lstats() == 0);  // each listing answers for its folder's gone file too
  int missing = 0;
  for (const auto& g : got) missing += g.presence == Presence::kMissing;
  CHECK(missing == 4);
}

TEST_CASE("the names . and .., which no listing holds, are asked of lstat") {
  TempDir tmp;
  WriteFile(tmp.Sub("rec/a/1.mp4"));
  const std::vector<std::string> paths = {tmp.Sub("rec/a/1.mp4"), tmp.Sub("rec/a/."),
                                          tmp.Sub("rec/a/.."), tmp.Sub("rec/a/2.mp4")};
  PresenceCheck check{std::shared_ptr<DiskInterface>(MakeRealDisk())};
  auto got = check.Check(paths);
  CheckSameAsLstat(paths, got, CheckEach(*MakeRealDisk(), paths));
  CHECK(check.lstats() == 2);
}

TEST_CASE("a folder whose listing fails falls back to lstat for each of its files") {
  auto disk = std::make_shared<VirtualDisk>();
  disk->files = {"/r/a/1.mp4", "/r/a/2.mp4", "/r/b/1.mp4"};
  disk->errors["/r/a/3.mp4"] = EIO;
  disk->list_errors["/r/a"] = EACCES;
  disk->list_errors["/r/b"] = EIO;
  const std::vector<std::string> paths = {"/r/a/1.mp4", "/r/a/2.mp4", "/r/a/3.mp4",
                                          "/r/a/4.mp4", "/r/b/1.mp4", "/r/b/2.mp4",
                                          "/r/c/1.mp4"};
  PresenceCheck check(disk);
  auto got = check.Check(paths);
  auto expected = CheckEach(*disk, paths);
  CheckSameAsLstat(paths, got, expected);
}

// latin1, so that the invalid UTF-8 name can be a row too.
TEST_CASE_METHOD(Latin1SweepFixture,
                 "a sweep archives exactly the rows whose files lstat calls missing") {
  std::mt19937 rng(42);
  const auto paths = RandomTree(root, rng);
  auto disk = MakeRealDisk(tmp.Sub("fstab"));
  std::set<int64_t> expected;
  std::vector<int64_t> ids;
  for (const auto& p : paths) {
    const int64_t id = db.InsertMedia(p, std::time(nullptr) - 86400);
    if (disk->Check(p).presence == Presence::kMissing) expected.insert(id);
  }
  auto options = Options();
  options.max_missing_ratio = 1.0;
  options.batch_size = 7;
  auto report = Sweep(options);
  REQUIRE(report.ok());
  auto archived = db.ArchivedMediaIds();
  CHECK(std::set<int64_t>(archived.begin(), archived.end()) == expected);
  CHECK(report->missing() == static_cast<int64_t>(expected.size()));
}
