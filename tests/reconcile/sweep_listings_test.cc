// A sweep remembers its folder listings for the next one (listing_cache.h):
// the next sweep lists only the folders that changed, and still archives
// exactly the rows whose files are gone, including ones in folders it did
// not list again.
#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <set>

#include "reconcile/listing_cache.h"
#include "tests/reconcile/sweep_fixture.h"
#include "tests/support/settled_disk.h"

using namespace recsync;
using namespace recsync::testing;

namespace {

// Listings are remembered only on local filesystems; a test directory on
// another kind (an overlay, NFS) cannot show reuse.
bool LocalTemp(const SweepReport& report) {
  if (RemembersListings(report.roots.at(0).fs_type)) return true;
  WARN("the test directory is on " << report.roots.at(0).fs_type
                                   << ", where listings are not remembered; not checked here");
  return false;
}

std::set<int64_t> Archived(TestDatabase& db) {
  auto ids = db.ArchivedMediaIds();
  return {ids.begin(), ids.end()};
}

}  // namespace

TEST_CASE_METHOD(SweepFixture, "the next sweep lists only the folders that changed and archives exactly what is gone") {
  std::vector<int64_t> ids;
  for (int i = 0; i < 12; ++i) {
    ids.push_back(AddRecording("12-00-" + std::to_string(10 + i) + ".mp4", 1 + i % 3));
  }
  auto disk = std::make_shared<SettledDisk>(tmp.Sub("fstab"));
  auto first = Sweep(Options(), disk);
  REQUIRE(first.ok());
  REQUIRE(first->roots.size() == 1);
  if (!LocalTemp(*first)) return;
  CHECK(first->roots[0].folders_listed == 3);
  CHECK(first->roots[0].folders_reused == 0);
  CHECK(first->archived() == 0);

  // A recording of camera 2 vanishes.
  AwaitNewerTimestamps(tmp.path(), CtimeNs(RecordingPath("", 2)));
  RemoveFile(RecordingPath("12-00-11.mp4", 2));
  auto second = Sweep(Options(), disk);
  REQUIRE(second.ok());
  CHECK(second->roots[0].folders_listed == 1);
  CHECK(second->roots[0].folders_reused == 2);
  CHECK(Archived(db) == std::set<int64_t>{ids[1]});

  // A row whose file is gone becomes active again (restored by hand) while
  // its folder stays unchanged: the remembered listing lacks the name, so
  // lstat is asked and the row is archived again.
  db.Exec("UPDATE Media SET archive = 0 WHERE id = " + std::to_string(ids[1]));
  auto third = Sweep(Options(), disk);
  REQUIRE(third.ok());
  CHECK(third->roots[0].folders_reused == 3);
  CHECK(third->archived() == 1);
  CHECK(Archived(db) == std::set<int64_t>{ids[1]});

  // A new row for a file that exists in an unchanged folder is present.
  const int64_t late = db.InsertMedia(RecordingPath("12-00-10.mp4", 1), std::time(nullptr) - 86400, 1);
  auto fourth = Sweep(Options(), disk);
  REQUIRE(fourth.ok());
  CHECK(fourth->archived() == 0);
  CHECK(Archived(db).count(late) == 0);
}

TEST_CASE_METHOD(SweepFixture, "relist and dry runs: every folder listed again, or nothing remembered") {
  for (int i = 0; i < 4; ++i) AddRecording("13-00-0" + std::to_string(i) + ".mp4", 1 + i % 2);
  auto disk = std::make_shared<SettledDisk>(tmp.Sub("fstab"));

  SweepOptions dry = Options();
  dry.dry_run = true;
  REQUIRE(Sweep(dry, disk).ok());
  auto after_dry = Sweep(Options(), disk);
  REQUIRE(after_dry.ok());
  if (!LocalTemp(*after_dry)) return;
  CHECK(after_dry->roots[0].folders_reused == 0);  // the dry run remembered nothing

  SweepOptions relist = Options();
  relist.reuse_listings = false;
  auto relisted = Sweep(relist, disk);
  REQUIRE(relisted.ok());
  CHECK(relisted->roots[0].folders_listed == 2);
  CHECK(relisted->roots[0].folders_reused == 0);

  auto reused = Sweep(Options(), disk);
  REQUIRE(reused.ok());
  CHECK(reused->roots[0].folders_listed == 0);
  CHECK(reused->roots[0].folders_reused == 2);
}

TEST_CASE_METHOD(SweepFixture, "folders just written are not remembered: their times are inside the settle margin") {
  for (int i = 0; i < 3; ++i) AddRecording("14-00-0" + std::to_string(i) + ".mp4");
  // The real disk: the folder was written a moment ago.
  REQUIRE(Sweep(Options()).ok());
  auto again = Sweep(Options());
  REQUIRE(again.ok());
  CHECK(again->roots[0].folders_listed == 1);
  CHECK(again->roots[0].folders_reused == 0);
}

TEST_CASE_METHOD(SweepFixture, "a root whose folders hang when stat-ed for reuse is unresponsive and nothing under it is archived") {
  for (int i = 0; i < 4; ++i) AddRecording("15-00-0" + std::to_string(i) + ".mp4", 1 + i % 2);
  auto settled = std::make_shared<SettledDisk>(tmp.Sub("fstab"));
  auto first = Sweep(Options(), settled);
  REQUIRE(first.ok());
  if (!LocalTemp(*first)) return;
  RemoveFile(RecordingPath("15-00-01.mp4", 2));

  // The storage hangs in stat of its folders, as a dead NFS server does.
  struct HangingStamps : SettledDisk {
    using SettledDisk::SettledDisk;
    std::optional<FolderStamp> StampDir(const std::string& dir) override {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return released; });
      return SettledDisk::StampDir(dir);
    }
    void Release() {
      std::lock_guard<std::mutex> lock(mu);
      released = true;
      cv.notify_all();
    }
    std::mutex mu;
    std::condition_variable cv;
    bool released = false;
  };
  auto hanging = std::make_shared<HangingStamps>(tmp.Sub("fstab"));
  SweepOptions options = Options();
  options.probe_timeout = std::chrono::milliseconds(300);
  auto report = Sweep(options, hanging);
  hanging->Release();
  REQUIRE(report.ok());
  REQUIRE(report->roots.size() == 1);
  CHECK(report->roots[0].state == RootState::kOffline);
  CHECK(report->roots[0].reason.find("unresponsive") != std::string::npos);
  CHECK(report->archived() == 0);
  CHECK(Archived(db).empty());
}

TEST_CASE_METHOD(SweepFixture, "remembered listings of folders no longer there are dropped, however old") {
  for (int i = 0; i < 4; ++i) AddRecording("14-00-0" + std::to_string(i) + ".mp4", 1 + i % 2);
  auto disk = std::make_shared<SettledDisk>(tmp.Sub("fstab"));
  const std::string gone = root + "/2020/01/01/000009";  // under the root, long gone
  const std::string elsewhere = tmp.Sub("other/2026/11/23/000001");  // under no root swept
  // Under a storage nested in the root that is offline (not there) this time.
  const std::string nested = root + "/nas";
  const std::string offline = nested + "/2026/11/23/000001";
  {
    // Taken years ago (too old to be loaded for reuse) and in no format this
    // recsync reads: such entries used to stay in the journal for ever.
    auto journal = OpenJournal();
    REQUIRE(journal
                ->UpdateListings({{gone, 1, 2, 3, 4, /*listed_ms=*/1000, 0, "x"},
                                  {elsewhere, 1, 2, 3, 4, 1000, 0, "x"},
                                  {offline, 1, 2, 3, 4, 1000, 0, "x"}},
                                 {})
                .ok());
  }
  auto dirs = [&] {
    auto listed = OpenJournal()->ListingDirs();
    REQUIRE(listed.ok());
    return std::set<std::string>(listed->begin(), listed->end());
  };
  SweepOptions relist = Options();
  relist.roots = {root, nested};
  relist.reuse_listings = false;  // as the daemon's startup sweep
  auto first = Sweep(relist, disk);
  REQUIRE(first.ok());
  REQUIRE(first->roots.size() == 2);
  REQUIRE(first->roots[1].state == RootState::kOffline);
  // Whatever the filesystem: only the gone folder's listing is dropped.
  CHECK(dirs().count(gone) == 0);
  CHECK(dirs().count(elsewhere) == 1);
  CHECK(dirs().count(offline) == 1);
  if (!LocalTemp(*first)) return;
  auto folder = [&](int device) {
    std::string path = RecordingPath("", device);
    path.pop_back();  // the trailing slash
    return path;
  };
  CHECK(dirs() == std::set<std::string>{folder(1), folder(2), elsewhere, offline});
  SweepOptions again = Options();
  again.roots = {root, nested};
  auto second = Sweep(again, disk);
  REQUIRE(second.ok());
  CHECK(second->roots[0].folders_reused == 2);
  CHECK(dirs().size() == 4);
}
