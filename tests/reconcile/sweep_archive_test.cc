// What a sweep archives: exactly the rows of files that are gone, in Media
// and EventsCam, recorded in the journal; nothing else, and nothing twice.
#include <algorithm>
#include <set>

#include "tests/reconcile/sweep_fixture.h"

using namespace recsync;
using namespace recsync::testing;

namespace {

// The journal's audit trail holds one archive action for each of `removed`,
// and no intent is left unconfirmed.
void CheckAudited(SweepFixture& f, const std::set<int64_t>& removed) {
  auto journal = f.OpenJournal();
  auto actions = journal->ListActions({});
  REQUIRE(actions.ok());
  std::multiset<int64_t> audited;
  for (const auto& a : *actions) audited.insert(a.media_id);
  CHECK(audited == std::multiset<int64_t>(removed.begin(), removed.end()));
  CHECK(journal->Intents()->empty());  // every intent confirmed
}

}  // namespace

TEST_CASE_METHOD(SweepFixture, "a sweep archives exactly the rows of removed files") {
  const bool with_index = GENERATE(false, true);
  if (with_index) db.ExecFile(RECSYNC_SOURCE_DIR "/scripts/bluecherry-filepath-index.sql");
  std::vector<int64_t> ids;
  for (int i = 0; i < 12; ++i) {
    ids.push_back(AddRecording("10-00-" + std::to_string(10 + i) + ".mp4", 1 + i % 3));
  }
  std::set<int64_t> removed;
  for (int i : {0, 4, 5, 11}) {
    RemoveFile(RecordingPath("10-00-" + std::to_string(10 + i) + ".mp4", 1 + i % 3));
    removed.insert(ids[i]);
  }

  auto report = Sweep(Options());
  REQUIRE(report.ok());
  CHECK(report->checked() == 12);
  CHECK(report->missing() == 4);
  CHECK(report->archived() == 4);
  CHECK_FALSE(report->incomplete());
  auto archived = db.ArchivedMediaIds();
  CHECK(std::set<int64_t>(archived.begin(), archived.end()) == removed);
  for (int64_t id : ids) {
    CHECK(db.EventsArchivedFor(id) == (removed.count(id) > 0));
  }

  // The audit trail names every archived row and the sweep that did it.
  auto journal = OpenJournal();
  auto actions = journal->ListActions({});
  REQUIRE(actions.ok());
  REQUIRE(actions->size() == 4);
  for (const auto& a : *actions) {
    CHECK(removed.count(a.media_id) == 1);
    CHECK(a.cause == Cause::kSweep);
    CHECK(a.cause_id == report->sweep_id);
    CHECK(a.action == ActionKind::kArchive);
  }
  auto sweeps = journal->ListSweeps(10);
  REQUIRE(sweeps.ok());
  REQUIRE(sweeps->size() == 1);
  CHECK((*sweeps)[0].outcome == "done");
  CHECK((*sweeps)[0].archived == 4);
}

TEST_CASE_METHOD(SweepFixture, "a second sweep changes nothing") {
  for (int i = 0; i < 6; ++i) AddRecording("11-00-0" + std::to_string(i) + ".mp4");
  RemoveFile(RecordingPath("11-00-01.mp4"));
  REQUIRE(Sweep(Options())->archived() == 1);

  auto again = Sweep(Options());
  REQUIRE(again.ok());
  CHECK(again->checked() == 5);
  CHECK(again->missing() == 0);
  CHECK(again->archived() == 0);
  CHECK(db.ArchivedMediaIds().size() == 1);
}

TEST_CASE_METHOD(SweepFixture, "rows younger than min_age are never archived by a sweep") {
  for (int i = 0; i < 4; ++i) AddRecording("12-00-0" + std::to_string(i) + ".mp4");
  const std::string young_path = RecordingPath("12-30-00.mp4");
  const int64_t young = db.InsertMedia(young_path, std::time(nullptr) - 10, 1);  // no file

  auto report = Sweep(Options());
  REQUIRE(report.ok());
  CHECK(report->roots[0].young == 1);
  CHECK(report->archived() == 0);
  CHECK_FALSE(db.MediaArchived(young));
}

TEST_CASE_METHOD(SweepFixture, "a dry run changes nothing and lists what it would archive") {
  for (int i = 0; i < 6; ++i) AddRecording("13-00-0" + std::to_string(i) + ".mp4");
  const int64_t gone = AddRecording("13-10-00.mp4", 1, /*create_file=*/false);
  auto options = Options();
  options.dry_run = true;

  auto report = Sweep(options);
  REQUIRE(report.ok());
  CHECK(report->missing() == 1);
  CHECK(report->archived() == 0);
  REQUIRE(report->archived_rows.size() == 1);
  CHECK(report->archived_rows[0].id == gone);
  CHECK(db.ArchivedMediaIds().empty());
  CHECK_FALSE(db.EventsArchivedFor(gone));
  auto journal = OpenJournal();
  CHECK(journal->ListActions({})->empty());
  CHECK_FALSE(journal->GetRoot(root)->has_value());  // a dry run remembers nothing
}

TEST_CASE_METHOD(Latin1SweepFixture, "paths with quotes, spaces, newlines and invalid UTF-8 are handled exactly") {
  const std::vector<std::string> names = {"it's \"quoted\".mp4", "with space.mp4",
                                          "new\nline.mp4", "bad\xff\xfe utf8.mp4",
                                          "back\\slash.mp4", "plain.mp4"};
  std::vector<int64_t> ids;
  for (const auto& n : names) ids.push_back(AddRecording(n));
  // Remove the strange ones but one; a neighbour with a similar name stays.
  RemoveFile(RecordingPath(names[0]));
  RemoveFile(RecordingPath(names[2]));
  RemoveFile(RecordingPath(names[3]));

  auto report = Sweep(Options());
  REQUIRE(report.ok());
  CHECK(report->archived() == 3);
  std::set<int64_t> archived;
  for (auto id : db.ArchivedMediaIds()) archived.insert(id);
  CHECK(archived == std::set<int64_t>{ids[0], ids[2], ids[3]});
  auto actions = OpenJournal()->ListActions({});
  REQUIRE(actions.ok());
  std::set<std::string> paths;
  for (const auto& a : *actions) paths.insert(a.path);
  CHECK(paths.count(RecordingPath(names[3])) == 1);  // bytes round-trip
  CHECK(paths.count(RecordingPath(names[2])) == 1);
}

TEST_CASE_METHOD(SweepFixture, "without configured roots the Storage table names them") {
  db.InsertStorage(1, root);
  for (int i = 0; i < 4; ++i) AddRecording("14-00-0" + std::to_string(i) + ".mp4");
  RemoveFile(RecordingPath("14-00-00.mp4"));
  auto options = Options();
  options.roots.clear();

  auto report = Sweep(options);
  REQUIRE(report.ok());
  REQUIRE(report->roots.size() == 1);
  CHECK(report->roots[0].path == root);
  CHECK(report->roots[0].configured);
  CHECK(report->archived() == 1);
}

TEST_CASE_METHOD(SweepFixture, "rows under no configured root are checked under the root their layout implies") {
  const std::string old_root = tmp.Sub("old-storage");
  MakeDirs(old_root);
  for (int i = 0; i < 4; ++i) AddRecording("15-00-0" + std::to_string(i) + ".mp4", 2, true, old_root);
  const int64_t gone = AddRecording("15-10-00.mp4", 2, /*create_file=*/false, old_root);
  // A root that no longer exists at all: its rows are never archived.
  const int64_t lost = AddRecording("15-20-00.mp4", 2, false, tmp.Sub("unplugged"));
  // A row in no known layout is left alone.
  const int64_t odd = db.InsertMedia(tmp.Sub("odd/place.mp4"), std::time(nullptr) - 86400, 2);

  auto report = Sweep(Options());
  REQUIRE(report.ok());
  CHECK(db.MediaArchived(gone));
  CHECK_FALSE(db.MediaArchived(lost));
  CHECK_FALSE(db.MediaArchived(odd));
  CHECK(report->unplaceable == 1);
  CHECK(report->incomplete());  // the unplugged root is offline
  bool saw_offline = false;
  for (const auto& r : report->roots) {
    if (r.path == tmp.Sub("unplugged")) {
      CHECK_FALSE(r.configured);
      CHECK(r.state == RootState::kOffline);
      saw_offline = true;
    }
  }
  CHECK(saw_offline);
}

TEST_CASE_METHOD(SweepFixture, "a recovery of many batches archives exactly the missing rows, once each, in id order") {
  // 40 missing rows in batches of 3: enough batches for the second connection.
  std::vector<int64_t> ids;
  std::set<int64_t> removed;
  for (int i = 0; i < 60; ++i) {
    const std::string name = "11-" + std::to_string(10 + i / 10) + "-" + std::to_string(10 + i) + ".mp4";
    ids.push_back(AddRecording(name, 1 + i % 4));
    if (i % 3 != 0) {
      RemoveFile(RecordingPath(name, 1 + i % 4));
      removed.insert(ids.back());
    }
  }
  auto options = Options();
  options.max_missing_ratio = 1;
  auto report = Sweep(options);
  REQUIRE(report.ok());
  CHECK(report->missing() == 40);
  CHECK(report->archived() == 40);
  auto archived = db.ArchivedMediaIds();
  CHECK(std::set<int64_t>(archived.begin(), archived.end()) == removed);
  for (int64_t id : ids) CHECK(db.EventsArchivedFor(id) == (removed.count(id) > 0));
  std::vector<int64_t> listed;
  for (const auto& row : report->archived_rows) listed.push_back(row.id);
  CHECK(std::is_sorted(listed.begin(), listed.end()));
  CHECK(std::set<int64_t>(listed.begin(), listed.end()) == removed);

  CheckAudited(*this, removed);
}

TEST_CASE_METHOD(SweepFixture, "a large recovery archives while files are still checked, exactly the missing rows") {
  // Enough rows that chunks of missing files come back from the listers
  // while rows still stream, and a missing share (5 %) that the default
  // 50 % guard cannot be pushed past by the rows left before the end. The
  // missing files are in folders of both listers, which find them in an
  // order of their own.
  constexpr int kRows = 48000;
  auto gone = [](int i) { return i % 40 == 3 || i % 40 == 24; };
  auto ids = AddManyRecordings(kRows, 400, [&](int i) { return !gone(i); });
  std::set<int64_t> removed;
  for (int i = 0; i < kRows; ++i) {
    if (gone(i)) removed.insert(ids[i]);
  }
  auto options = Options();
  options.batch_size = 500;
  auto report = Sweep(options);
  REQUIRE(report.ok());
  REQUIRE(report->roots.size() == 1);
  CHECK(report->roots[0].missing == 2400);
  CHECK(report->roots[0].archived == 2400);
  CHECK(report->roots[0].archived_early > 0);  // archiving began before the check ended
  auto archived = db.ArchivedMediaIds();
  CHECK(std::set<int64_t>(archived.begin(), archived.end()) == removed);
  auto events = db.MediaIdsWithArchivedEvents();
  CHECK(std::set<int64_t>(events.begin(), events.end()) == removed);
  // The report lists the rows of lowest id, in id order.
  std::vector<int64_t> listed;
  for (const auto& row : report->archived_rows) listed.push_back(row.id);
  CHECK(listed == std::vector<int64_t>(removed.begin(), std::next(removed.begin(), 1000)));
  CHECK(report->rows_not_listed == 1400);

  CheckAudited(*this, removed);
}
