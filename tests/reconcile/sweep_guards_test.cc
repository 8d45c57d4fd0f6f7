// The safety rules: offline and suspect roots, the missing-ratio guard and
// --force, and "only ENOENT is missing".
#include <sys/mount.h>
#include <unistd.h>

#include "tests/reconcile/sweep_fixture.h"
#include "tests/support/virtual_disk.h"

using namespace recsync;
using namespace recsync::testing;

TEST_CASE_METHOD(SweepFixture, "a sweep that would archive too large a share archives nothing there unless forced") {
  for (int i = 0; i < 10; ++i) AddRecording("10-00-0" + std::to_string(i) + ".mp4");
  for (int i = 0; i < 6; ++i) RemoveFile(RecordingPath("10-00-0" + std::to_string(i) + ".mp4"));

  auto refused = Sweep(Options());
  REQUIRE(refused.ok());
  CHECK(refused->roots[0].refused);
  CHECK_THAT(refused->roots[0].refused_reason, Catch::Contains("6 of 10"));
  CHECK(refused->incomplete());
  CHECK(refused->archived() == 0);
  CHECK(db.ArchivedMediaIds().empty());

  auto options = Options();
  options.force = true;
  auto forced = Sweep(options);
  REQUIRE(forced.ok());
  CHECK(forced->archived() == 6);
  CHECK(db.ArchivedMediaIds().size() == 6);
}

TEST_CASE_METHOD(SweepFixture, "an empty root holding rows is suspect and refused unless forced") {
  for (int i = 0; i < 3; ++i) AddRecording("11-00-0" + std::to_string(i) + ".mp4", 1, false);

  auto refused = Sweep(Options());
  REQUIRE(refused.ok());
  CHECK(refused->roots[0].state == RootState::kSuspect);
  CHECK(refused->roots[0].refused);
  CHECK(refused->incomplete());
  CHECK(db.ArchivedMediaIds().empty());

  auto options = Options();
  options.force = true;
  auto forced = Sweep(options);
  REQUIRE(forced.ok());
  CHECK(forced->archived() == 3);
}

TEST_CASE_METHOD(SweepFixture, "a tmpfs root unmounted after a sweep is offline and untouched even when forced") {
  if (::geteuid() != 0) {
    WARN("needs root to mount tmpfs; not run");
    return;
  }
  REQUIRE(::mount("tmpfs", root.c_str(), "tmpfs", 0, "size=4m") == 0);
  struct Unmount {
    std::string path;
    bool done = false;
    ~Unmount() {
      if (!done) ::umount2(path.c_str(), MNT_DETACH);
    }
  } unmount{root};
  std::vector<int64_t> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(AddRecording("12-00-0" + std::to_string(i) + ".mp4"));
  auto first = Sweep(Options());
  REQUIRE(first.ok());
  CHECK(first->roots[0].state == RootState::kOnline);
  CHECK(first->roots[0].mount_point);
  CHECK(first->roots[0].fs_type == "tmpfs");

  REQUIRE(::umount2(root.c_str(), 0) == 0);
  unmount.done = true;
  // The mount point is a directory again; put a file there so the root is not
  // merely "empty" (the stronger rule must catch it).
  WriteFile(root + "/lost+found-ish", "");
  auto options = Options();
  options.force = true;
  auto after = Sweep(options);
  REQUIRE(after.ok());
  CHECK(after->roots[0].state == RootState::kOffline);
  CHECK_THAT(after->roots[0].reason, Catch::Contains("was a mount point"));
  CHECK(after->incomplete());
  CHECK(after->archived() == 0);
  CHECK(db.ArchivedMediaIds().empty());
}

TEST_CASE_METHOD(SweepFixture, "only ENOENT counts as missing on the real filesystem") {
  for (int i = 0; i < 6; ++i) AddRecording("13-00-0" + std::to_string(i) + ".mp4");
  // ENOTDIR: the camera folder of another day is a plain file.
  const std::string blocked = root + "/2026/11/22/000001";
  WriteFile(blocked, "not a directory");
  const int64_t notdir = db.InsertMedia(blocked + "/13-00-00.mp4", std::time(nullptr) - 86400, 1);
  // ELOOP: a symlink loop in the path.
  MakeDirs(root + "/2026/11/21");
  REQUIRE(::symlink("000002", (root + "/2026/11/21/000002").c_str()) == 0);
  const int64_t loop = db.InsertMedia(root + "/2026/11/21/000002/x.mp4", std::time(nullptr) - 86400, 2);
  const int64_t gone = AddRecording("13-30-00.mp4", 1, /*create_file=*/false);

  auto report = Sweep(Options());
  REQUIRE(report.ok());
  CHECK(report->unknown() == 2);
  CHECK(report->missing() == 1);
  CHECK(db.MediaArchived(gone));
  CHECK_FALSE(db.MediaArchived(notdir));
  CHECK_FALSE(db.MediaArchived(loop));
}

TEST_CASE_METHOD(SweepFixture, "EACCES, EIO, ESTALE and ENOTCONN are unknown, never archived") {
  auto disk = std::make_shared<VirtualDisk>();
  disk->AddDir(root);
  std::vector<int64_t> unknown_ids;
  int n = 0;
  for (int err : {EACCES, EIO, ESTALE, ENOTCONN}) {
    const std::string name = "14-00-0" + std::to_string(n++) + ".mp4";
    unknown_ids.push_back(AddRecording(name, 1, false));
    disk->errors[RecordingPath(name)] = err;
  }
  for (int i = 0; i < 6; ++i) {
    const std::string name = "14-10-0" + std::to_string(i) + ".mp4";
    AddRecording(name, 1, false);
    disk->files.insert(RecordingPath(name));
  }
  const int64_t gone = AddRecording("14-20-00.mp4", 1, false);

  auto report = Sweep(Options(), disk);
  REQUIRE(report.ok());
  CHECK(report->unknown() == 4);
  CHECK(report->missing() == 1);
  CHECK(db.ArchivedMediaIds() == std::vector<int64_t>{gone});
}

TEST_CASE_METHOD(SweepFixture, "a root that hangs while files are checked is offline and nothing under it is archived") {
  auto disk = std::make_shared<VirtualDisk>();
  disk->AddDir(root);
  for (int i = 0; i < 3; ++i) AddRecording("15-00-0" + std::to_string(i) + ".mp4", 1, false);
  disk->hung = {root + "/2026"};  // the root answers, its files do not
  auto options = Options();
  options.probe_timeout = std::chrono::milliseconds(100);
  auto report = Sweep(options, disk);
  disk->Unblock();
  REQUIRE(report.ok());
  CHECK(report->roots[0].state == RootState::kOffline);
  CHECK_THAT(report->roots[0].reason, Catch::Contains("unresponsive"));
  CHECK(db.ArchivedMediaIds().empty());
}

TEST_CASE_METHOD(SweepFixture, "a file that reappears before its batch is archived is kept") {
  // The re-check happens right before each batch; a disk whose first answer
  // is "missing" and second is "present" shows it.
  struct FlipDisk : VirtualDisk {
    std::map<std::string, int> calls;
    PathCheck Check(const std::string& path) override {
      if (++calls[path] == 1) return {Presence::kMissing, ENOENT};
      return {Presence::kPresent, 0};
    }
  };
  auto disk = std::make_shared<FlipDisk>();
  disk->AddDir(root);
  for (int i = 0; i < 4; ++i) AddRecording("16-00-0" + std::to_string(i) + ".mp4", 1, false);
  auto options = Options();
  options.force = true;
  auto report = Sweep(options, disk);
  REQUIRE(report.ok());
  CHECK(report->missing() == 4);
  CHECK(report->archived() == 0);
  CHECK(db.ArchivedMediaIds().empty());
}

TEST_CASE_METHOD(SweepFixture, "a file its folder's listing lacks but lstat finds is never archived") {
  // A listing taken just before the file was written (or a name in another
  // case on a case-insensitive filesystem) calls it missing; lstat, asked
  // before the batch is archived, has the last word.
  struct LaggingListing : VirtualDisk {
    std::string hidden;
    DirListing ListDir(const std::string& dir) override {
      files.erase(hidden);
      DirListing listing = VirtualDisk::ListDir(dir);
      files.insert(hidden);
      return listing;
    }
  };
  auto disk = std::make_shared<LaggingListing>();
  disk->AddDir(root);
  const int64_t gone = AddRecording("18-00-00.mp4", 1, false);
  AddRecording("18-00-01.mp4", 1, false);
  disk->files.insert(RecordingPath("18-00-01.mp4"));
  AddRecording("18-00-02.mp4", 1, false);
  disk->files.insert(RecordingPath("18-00-02.mp4"));
  disk->hidden = RecordingPath("18-00-02.mp4");
  auto options = Options();
  options.force = true;
  auto report = Sweep(options, disk);
  REQUIRE(report.ok());
  CHECK(report->missing() == 2);  // the gone file and the one the listing lacked
  CHECK(report->archived() == 1);
  CHECK(db.ArchivedMediaIds() == std::vector<int64_t>{gone});
}

TEST_CASE_METHOD(SweepFixture, "a root unmounted in the middle of a sweep archives nothing, even when forced") {
  // The storage goes away once the sweep has started looking at files;
  // from then on every file looks deleted, as on a real unmount.
  struct UnmountingDisk : VirtualDisk {
    std::string root;
    void Unmount() {
      std::lock_guard<std::mutex> lock(mu);
      files.clear();
      mounts = {{"/", "ext4"}};
      dirs[root].st_dev = 1;
    }
    DirListing ListDir(const std::string& dir) override {
      Unmount();
      return VirtualDisk::ListDir(dir);
    }
    DirProbe ProbeDir(const std::string& path) override {
      std::lock_guard<std::mutex> lock(mu);
      return VirtualDisk::ProbeDir(path);
    }
    Result<std::vector<MountEntry>> Mounts() override {
      std::lock_guard<std::mutex> lock(mu);
      return mounts;
    }
    std::mutex mu;
  };
  auto disk = std::make_shared<UnmountingDisk>();
  disk->root = root;
  disk->AddDir(root, 9);
  disk->mounts = {{"/", "ext4"}, {root, "nfs4"}};
  std::vector<int64_t> ids;
  for (int i = 0; i < 10; ++i) {
    const std::string name = "17-00-0" + std::to_string(i) + ".mp4";
    AddRecording(name, 1, false);
    disk->files.insert(RecordingPath(name));
  }
  auto options = Options();
  options.force = true;
  auto report = Sweep(options, disk);
  REQUIRE(report.ok());
  CHECK(report->missing() > 0);  // the checks did see files vanish...
  CHECK(report->roots[0].state == RootState::kOffline);  // ...and the re-assessment caught why
  CHECK_THAT(report->roots[0].reason, Catch::Contains("changed during the sweep"));
  CHECK(db.ArchivedMediaIds().empty());
}

TEST_CASE_METHOD(SweepFixture, "a storage nested below a configured root is assessed on its own") {
  for (int i = 0; i < 6; ++i) AddRecording("18-00-0" + std::to_string(i) + ".mp4");
  // An old storage inside the root, whose disk is not there any more.
  const std::string nested = root + "/nas";
  std::vector<int64_t> nested_ids;
  for (int i = 0; i < 2; ++i) {
    nested_ids.push_back(AddRecording("18-10-0" + std::to_string(i) + ".mp4", 1, false, nested));
  }
  auto options = Options();
  options.force = true;
  auto report = Sweep(options);
  REQUIRE(report.ok());
  for (int64_t id : nested_ids) CHECK_FALSE(db.MediaArchived(id));
  REQUIRE(report->roots.size() == 2);
  CHECK(report->roots[1].path == nested);
  CHECK(report->roots[1].state == RootState::kOffline);
}

TEST_CASE_METHOD(SweepFixture, "unknown answers do not dilute the missing-ratio guard") {
  auto disk = std::make_shared<VirtualDisk>();
  disk->AddDir(root);
  for (int i = 0; i < 5; ++i) {
    const std::string name = "19-00-0" + std::to_string(i) + ".mp4";
    AddRecording(name, 1, false);
    disk->errors[RecordingPath(name)] = ESTALE;
  }
  for (int i = 0; i < 5; ++i) AddRecording("19-10-0" + std::to_string(i) + ".mp4", 1, false);
  auto report = Sweep(Options(), disk);
  REQUIRE(report.ok());
  CHECK(report->roots[0].refused);
  CHECK(db.ArchivedMediaIds().empty());
}

TEST_CASE("storage roots that could match too much are rejected") {
  CHECK_FALSE(CheckRootPath("/").empty());
  CHECK_FALSE(CheckRootPath("//").empty());
  CHECK_FALSE(CheckRootPath("/./").empty());
  CHECK_FALSE(CheckRootPath("relative").empty());
  // Other spellings are resolved by realpath() when the root is probed.
  CHECK(CheckRootPath("/srv//rec").empty());
  CHECK(CheckRootPath("/srv/rec").empty());
}

TEST_CASE_METHOD(SweepFixture, "a share pushed past the ratio by the last rows archives nothing, though rows went missing early") {
  // The first half has 10 % missing, batches' worth of them found while
  // rows still stream; the second half is all gone, which makes 55 % in all.
  constexpr int kRows = 40000;
  AddManyRecordings(kRows, 400, [](int i) { return i < kRows / 2 && i % 10 != 3; });
  auto options = Options();
  options.batch_size = 500;
  auto report = Sweep(options);
  REQUIRE(report.ok());
  CHECK(report->roots[0].missing == 22000);
  CHECK(report->roots[0].refused);
  CHECK(report->roots[0].archived == 0);
  CHECK(db.ArchivedMediaIds().empty());
  CHECK(db.MediaIdsWithArchivedEvents().empty());
}
