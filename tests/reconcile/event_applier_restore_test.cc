// A file deleted and written again is never left archived: deletions settle
// before they apply, are checked again right before their transaction, and a
// recording that comes back restores the row recsync archived. Also: a rename
// onto a recording archives the one it replaced, and rows recorded under
// another spelling of the root are found.
#include <unistd.h>

#include "tests/reconcile/applier_fixture.h"

using namespace recsync;
using namespace recsync::testing;
using namespace std::chrono_literals;

namespace {

// The real disk, but the file at `path` is written again right after its
// first lstat: a re-creation that lands between a pass's first check and
// its transaction.
class RecreatingDisk : public DiskInterface {
 public:
  explicit RecreatingDisk(std::string path) : real_(MakeRealDisk()), path_(std::move(path)) {}
  PathCheck Check(const std::string& path) override {
    PathCheck c = real_->Check(path);
    if (path == path_ && !done_) {
      done_ = true;
      WriteFile(path_, "video again");
    }
    return c;
  }
  DirProbe ProbeDir(const std::string& path) override { return real_->ProbeDir(path); }
  DirListing ListDir(const std::string& dir) override { return real_->ListDir(dir); }
  Result<std::vector<MountEntry>> Mounts() override { return real_->Mounts(); }
  Result<std::vector<std::string>> DeclaredMountPoints() override {
    return real_->DeclaredMountPoints();
  }

 private:
  std::unique_ptr<DiskInterface> real_;
  std::string path_;
  bool done_ = false;
};

ApplierOptions Settling() {
  ApplierOptions options;
  options.settle = 30ms;
  return options;
}

}  // namespace

TEST_CASE_METHOD(ApplierFixture, "a deletion waits until its path stayed absent for the settle time") {
  const int64_t id = AddRecording("10-00-00.mp4");
  RemoveFile(RecordingPath("10-00-00.mp4"));
  const int64_t seq = Add(EventKind::kDeleted, RecordingPath("10-00-00.mp4"));
  auto applier = Applier(Settling());
  ApplyStats young = Pass(applier);
  CHECK(young.wait_until_ms == now.NowMs() + 30);
  CHECK_FALSE(young.caught_up);
  CHECK(Get(seq).state == EventState::kPending);
  CHECK(Get(seq).attempts == 0);  // untouched, not tried
  CHECK_FALSE(db.MediaArchived(id));
  now.Advance(30);
  CHECK(Pass(applier).archived == 1);
  CHECK(db.MediaArchived(id));
}

TEST_CASE_METHOD(ApplierFixture, "a file deleted and written again before it settled keeps its row") {
  const int64_t id = AddRecording("10-00-00.mp4");
  RemoveFile(RecordingPath("10-00-00.mp4"));
  const int64_t seq = Add(EventKind::kDeleted, RecordingPath("10-00-00.mp4"));
  WriteFile(RecordingPath("10-00-00.mp4"), "a restarted segment");
  now.Advance(30);
  auto applier = Applier(Settling());
  CHECK(Pass(applier).ignored == 1);
  CHECK(Get(seq).state == EventState::kIgnored);
  CHECK(Get(seq).last_error == "the file exists again");
  CHECK_FALSE(db.MediaArchived(id));
}

TEST_CASE_METHOD(ApplierFixture, "a file back between the first check and the transaction keeps its row") {
  const int64_t id = AddRecording("10-00-00.mp4");
  const int64_t other = AddRecording("10-15-00.mp4");
  RemoveFile(RecordingPath("10-00-00.mp4"));
  RemoveFile(RecordingPath("10-15-00.mp4"));
  const int64_t back = Add(EventKind::kDeleted, RecordingPath("10-00-00.mp4"));
  const int64_t gone = Add(EventKind::kDeleted, RecordingPath("10-15-00.mp4"));
  auto applier = Applier(Options(), std::make_shared<RecreatingDisk>(RecordingPath("10-00-00.mp4")));
  ApplyStats stats = Pass(applier);
  CHECK(stats.archived == 1);
  CHECK_FALSE(db.MediaArchived(id));
  CHECK(db.MediaArchived(other));
  CHECK(Get(back).state == EventState::kIgnored);
  CHECK(Get(gone).state == EventState::kApplied);
}

TEST_CASE_METHOD(ApplierFixture, "a recording that comes back gets the row recsync archived restored") {
  const bool with_index = GENERATE(false, true);
  if (with_index) AddFilepathIndex();
  const int64_t id = AddRecording("10-00-00.mp4");
  const std::string path = RecordingPath("10-00-00.mp4");
  RemoveFile(path);
  Add(EventKind::kDeleted, path);
  auto applier = Applier();
  CHECK(Pass(applier).archived == 1);
  REQUIRE(db.MediaArchived(id));
  REQUIRE(db.EventsArchivedFor(id));

  WriteFile(path, "the same recording, put back");
  const int64_t created = Add(EventKind::kCreated, path);
  ApplyStats stats = Pass(applier);
  CHECK(stats.restored == 1);
  CHECK(stats.applied == 1);
  CHECK_FALSE(db.MediaArchived(id));
  CHECK(db.QueryInt("SELECT COUNT(*) FROM EventsCam WHERE media_id = " + std::to_string(id) +
                    " AND archive = 1") == 0);
  CHECK(Get(created).media_ids == std::vector<int64_t>{id});
  auto actions = Actions();
  REQUIRE(actions.size() == 2);
  CHECK(actions[1].action == ActionKind::kRestore);
  CHECK(actions[1].cause == Cause::kEvent);
  CHECK(actions[1].cause_id == created);
  CHECK(actions[1].path == path);

  // Found again at its path: deleted once more, it is archived once more.
  RemoveFile(path);
  Add(EventKind::kDeleted, path);
  CHECK(Pass(applier).archived == 1);
  CHECK(db.MediaArchived(id));
  WriteFile(path, "and back again");
  Add(EventKind::kCreated, path);
  CHECK(Pass(applier).restored == 1);
  CHECK_FALSE(db.MediaArchived(id));
}

TEST_CASE_METHOD(ApplierFixture, "a row archived by anyone but recsync is never restored") {
  const int64_t id = AddRecording("10-00-00.mp4");
  db.Exec("UPDATE Media SET archive = 1 WHERE id = " + std::to_string(id));
  const int64_t created = Add(EventKind::kCreated, RecordingPath("10-00-00.mp4"));
  auto applier = Applier();
  CHECK(Pass(applier).ignored == 1);
  CHECK(Get(created).state == EventState::kIgnored);
  CHECK(db.MediaArchived(id));
  CHECK(Actions().empty());
}

TEST_CASE_METHOD(ApplierFixture, "an archive older than the restore window stays archived") {
  const int64_t id = AddRecording("10-00-00.mp4");
  const std::string path = RecordingPath("10-00-00.mp4");
  RemoveFile(path);
  Add(EventKind::kDeleted, path);
  ApplierOptions options = Options();
  options.restore_window = std::chrono::hours(24);
  auto applier = Applier(options);
  CHECK(Pass(applier).archived == 1);
  now.Advance(25 * 3600 * 1000);
  WriteFile(path);
  Add(EventKind::kCreated, path);
  CHECK(Pass(applier).ignored == 1);
  CHECK(db.MediaArchived(id));
}

TEST_CASE_METHOD(ApplierFixture, "a recording moved back in from outside the roots is restored") {
  const int64_t id = AddRecording("10-00-00.mp4");
  const std::string path = RecordingPath("10-00-00.mp4");
  Rename(path, tmp.Sub("outside.mp4"));
  Add(EventKind::kMovedFrom, path, 71, /*age_ms=*/1000);
  auto applier = Applier();
  CHECK(Pass(applier).archived == 1);
  Rename(tmp.Sub("outside.mp4"), path);
  const int64_t in = Add(EventKind::kMovedTo, path, 72);
  CHECK(Pass(applier).restored == 1);
  CHECK(Get(in).state == EventState::kApplied);
  CHECK_FALSE(db.MediaArchived(id));
}

TEST_CASE_METHOD(ApplierFixture, "a file renamed onto a recording archives the recording it replaced") {
  const int64_t moved = AddRecording("10-00-00.mp4");
  const int64_t replaced = AddRecording("10-15-00.mp4");
  const std::string from = RecordingPath("10-00-00.mp4");
  const std::string to = RecordingPath("10-15-00.mp4");
  Rename(from, to);  // rename(2) replaces the file at `to`
  const int64_t s1 = Add(EventKind::kMovedFrom, from, 81);
  Add(EventKind::kMovedTo, to, 81);
  auto applier = Applier();
  ApplyStats stats = Pass(applier);
  CHECK(stats.repathed == 1);
  CHECK(stats.archived == 1);
  CHECK(db.MediaPath(moved) == to);
  CHECK_FALSE(db.MediaArchived(moved));
  CHECK(db.MediaArchived(replaced));
  CHECK(db.EventsArchivedFor(replaced));
  auto actions = Actions();
  REQUIRE(actions.size() == 2);
  CHECK(actions[0].media_id == replaced);
  CHECK(actions[0].action == ActionKind::kArchive);
  CHECK(actions[0].cause_id == s1);
  CHECK(actions[0].detail == "replaced by a rename");
}

TEST_CASE_METHOD(ApplierFixture, "rows recorded under another spelling of the root are matched") {
  // The root is configured as a symlink; bc-server recorded some rows under
  // the link, the watcher reports the canonical path.
  const std::string link = tmp.Sub("recordings-link");
  REQUIRE(::symlink(root.c_str(), link.c_str()) == 0);
  const int64_t by_link = AddRecording("10-00-00.mp4", 1, true, link);
  const int64_t renamed = AddRecording("10-15-00.mp4", 1, true, link);
  ApplierOptions options = Options();
  options.aliases = [&](const std::string& path) {
    return std::vector<std::string>{link + path.substr(root.size())};
  };
  RemoveFile(RecordingPath("10-00-00.mp4"));
  Add(EventKind::kDeleted, RecordingPath("10-00-00.mp4"));
  Rename(RecordingPath("10-15-00.mp4"), RecordingPath("10-15-00-kept.mp4"));
  Add(EventKind::kMovedFrom, RecordingPath("10-15-00.mp4"), 91);
  Add(EventKind::kMovedTo, RecordingPath("10-15-00-kept.mp4"), 91);
  auto applier = Applier(options);
  ApplyStats stats = Pass(applier);
  CHECK(stats.archived == 1);
  CHECK(stats.repathed == 1);
  CHECK(db.MediaArchived(by_link));
  // Re-pointed in its own spelling, which resolves to the same file.
  CHECK(db.MediaPath(renamed) == RecordingPath("10-15-00-kept.mp4", 1, link));
}
