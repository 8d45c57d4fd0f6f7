// Renames: pairs within the roots re-point rows (files and whole
// directories), a half that may still get its pair waits, and a move out of
// the roots is a deletion.
#include "tests/reconcile/applier_fixture.h"

using namespace recsync;
using namespace recsync::testing;

TEST_CASE_METHOD(ApplierFixture, "a file renamed within the roots has its row re-pointed") {
  const bool with_index = GENERATE(false, true);
  if (with_index) AddFilepathIndex();
  const int64_t id = AddRecording("10-00-00.mp4");
  const std::string from = RecordingPath("10-00-00.mp4");
  const std::string to = RecordingPath("it's a \"renamed\"\nfile.mp4", 2);
  Rename(from, to);
  const int64_t s1 = Add(EventKind::kMovedFrom, from, 11);
  const int64_t s2 = Add(EventKind::kMovedTo, to, 11);

  auto applier = Applier();
  ApplyStats stats = Pass(applier);
  CHECK(stats.applied == 2);
  CHECK(stats.repathed == 1);
  CHECK(stats.archived == 0);
  CHECK(stats.caught_up);
  CHECK(db.MediaPath(id) == to);
  CHECK_FALSE(db.MediaArchived(id));
  CHECK(Get(s1).state == EventState::kApplied);
  CHECK(Get(s1).media_ids == std::vector<int64_t>{id});
  CHECK(Get(s2).state == EventState::kApplied);
  auto actions = Actions();
  REQUIRE(actions.size() == 1);
  CHECK(actions[0].media_id == id);
  CHECK(actions[0].action == ActionKind::kRepath);
  CHECK(actions[0].cause == Cause::kEvent);
  CHECK(actions[0].cause_id == s1);
  CHECK(actions[0].path == from);
  CHECK(actions[0].detail == to);

  // The row is found at its new path: deleting the file there archives it.
  RemoveFile(to);
  const int64_t s3 = Add(EventKind::kDeleted, to);
  CHECK(Pass(applier).archived == 1);
  CHECK(db.MediaArchived(id));
  CHECK(Get(s3).media_ids == std::vector<int64_t>{id});
}

TEST_CASE_METHOD(ApplierFixture, "a rename without rows is ignored and a lone moved_to too") {
  WriteFile(RecordingPath("a.jpg"));
  Rename(RecordingPath("a.jpg"), RecordingPath("b.jpg"));
  const int64_t s1 = Add(EventKind::kMovedFrom, RecordingPath("a.jpg"), 3);
  const int64_t s2 = Add(EventKind::kMovedTo, RecordingPath("b.jpg"), 3);
  const int64_t lone = Add(EventKind::kMovedTo, RecordingPath("from-elsewhere.mp4"), 4);
  auto applier = Applier();
  ApplyStats stats = Pass(applier);
  CHECK(stats.ignored == 3);
  CHECK(stats.caught_up);
  for (int64_t seq : {s1, s2, lone}) CHECK(Get(seq).state == EventState::kIgnored);
  CHECK(Actions().empty());
}

TEST_CASE_METHOD(ApplierFixture, "the halves of a rename pair across two passes") {
  const int64_t id = AddRecording("10-00-00.mp4");
  const std::string from = RecordingPath("10-00-00.mp4");
  const std::string to = RecordingPath("10-00-00-moved.mp4");
  Rename(from, to);
  int64_t s1 = 0;

  SECTION("the moved_to is journaled after the first pass") {
    auto applier = Applier();
    s1 = Add(EventKind::kMovedFrom, from, 21);
    const int64_t other = Add(EventKind::kDeleted, RecordingPath("none.jpg"));
    ApplyStats first = Pass(applier);
    CHECK_FALSE(first.caught_up);
    CHECK(first.wait_until_ms == kNow + 500);
    CHECK(first.last_seq == 0);
    // Untouched, and so is every later event: order is kept.
    CHECK(Get(s1).state == EventState::kPending);
    CHECK(Get(s1).attempts == 0);
    CHECK(Get(other).state == EventState::kPending);
    CHECK(Get(other).attempts == 0);

    now.Advance(100);
    const int64_t s2 = Add(EventKind::kMovedTo, to, 21);
    ApplyStats second = Pass(applier);
    CHECK(second.repathed == 1);
    CHECK(second.caught_up);
    CHECK(Get(s2).state == EventState::kApplied);
    CHECK(Get(other).state == EventState::kIgnored);
  }
  SECTION("the moved_to lies beyond the pass") {
    ApplierOptions options = Options();
    options.max_events = 1;
    auto applier = Applier(options);
    s1 = Add(EventKind::kMovedFrom, from, 22);
    const int64_t s2 = Add(EventKind::kMovedTo, to, 22);
    ApplyStats first = Pass(applier);
    CHECK(first.repathed == 1);
    CHECK(first.last_seq == s1);
    CHECK_FALSE(first.caught_up);  // it saw max_events events
    CHECK(Get(s2).state == EventState::kApplied);
    CHECK(Pass(applier, first.last_seq).caught_up);
  }
  CHECK(Get(s1).state == EventState::kApplied);
  CHECK(db.MediaPath(id) == to);
  CHECK_FALSE(db.MediaArchived(id));
}

TEST_CASE_METHOD(ApplierFixture, "an unpaired moved_from waits while young, then is a deletion") {
  const int64_t moved = AddRecording("10-00-00.mp4");
  const int64_t deleted = AddRecording("10-15-00.mp4");
  const int64_t back = AddRecording("10-30-00.mp4");
  Rename(RecordingPath("10-00-00.mp4"), tmp.Sub("elsewhere.mp4"));
  RemoveFile(RecordingPath("10-15-00.mp4"));
  const int64_t s1 = Add(EventKind::kMovedFrom, RecordingPath("10-00-00.mp4"), 31, /*age_ms=*/100);
  const int64_t s2 = Add(EventKind::kDeleted, RecordingPath("10-15-00.mp4"), 0, 50);
  // Moved out and straight back under the same name: it exists, so it stays.
  const int64_t s3 = Add(EventKind::kMovedFrom, RecordingPath("10-30-00.mp4"), 32, 100);
  auto applier = Applier();

  ApplyStats young = Pass(applier);
  CHECK(young.wait_until_ms == kNow + 400);
  CHECK_FALSE(young.caught_up);
  CHECK(db.ArchivedMediaIds().empty());
  for (int64_t seq : {s1, s2, s3}) CHECK(Get(seq).attempts == 0);

  now.Advance(399);
  CHECK(Pass(applier).wait_until_ms == kNow + 400);

  now.Advance(1);  // 500 ms old: its pair would have come
  ApplyStats old = Pass(applier);
  CHECK(old.wait_until_ms == 0);
  CHECK(old.archived == 2);
  CHECK(old.caught_up);
  CHECK(db.ArchivedMediaIds() == std::vector<int64_t>{moved, deleted});
  CHECK_FALSE(db.MediaArchived(back));
  CHECK(Get(s1).state == EventState::kApplied);
  CHECK(Get(s2).state == EventState::kApplied);
  CHECK(Get(s3).state == EventState::kIgnored);
  auto actions = Actions();
  REQUIRE(actions.size() == 2);
  CHECK(actions[0].action == ActionKind::kArchive);
  CHECK(actions[0].cause_id == s1);
}

TEST_CASE_METHOD(ApplierFixture, "halves far apart in time are not one rename (a reused cookie)") {
  const int64_t id = AddRecording("10-00-00.mp4");
  RemoveFile(RecordingPath("10-00-00.mp4"));
  WriteFile(RecordingPath("new.mp4"));
  const int64_t s1 =
      Add(EventKind::kMovedFrom, RecordingPath("10-00-00.mp4"), 41, /*age_ms=*/86400000);
  const int64_t s2 = Add(EventKind::kMovedTo, RecordingPath("new.mp4"), 41);
  auto applier = Applier();
  Pass(applier);
  CHECK(db.MediaArchived(id));  // moved out, long ago
  CHECK(Get(s1).state == EventState::kApplied);
  CHECK(Get(s2).state == EventState::kIgnored);
}

TEST_CASE_METHOD(ApplierFixture,
                 "a directory renamed within the roots re-points every row under it") {
  const bool with_index = GENERATE(false, true);
  if (with_index) AddFilepathIndex();
  std::vector<int64_t> ids;
  for (const char* name : {"10-00-00.mp4", "10-15-00.mp4", "11 o'clock\n.mp4"}) {
    ids.push_back(AddRecording(name, 1));
  }
  const int64_t other = AddRecording("10-00-00.mp4", 2);
  const std::string dir = root + "/2026/11/23/000001";
  const std::string new_dir = root + "/2026/11/24/000001";
  // A row in a sibling that shares the name's prefix stays where it is.
  const int64_t sibling = db.InsertMedia(dir + "0/x.mp4", std::time(nullptr) - 86400, 1);
  Rename(dir, new_dir);
  const int64_t s1 = Add(EventKind::kMovedFrom, dir, 51, 0, true);
  const int64_t s2 = Add(EventKind::kMovedTo, new_dir, 51, 0, true);

  auto applier = Applier();
  ApplyStats stats = Pass(applier);
  CHECK(stats.repathed == 3);
  CHECK(stats.archived == 0);
  CHECK(Get(s1).media_ids == ids);
  CHECK(Get(s2).state == EventState::kApplied);
  CHECK(db.MediaPath(ids[0]) == new_dir + "/10-00-00.mp4");
  CHECK(db.MediaPath(ids[2]) == new_dir + "/11 o'clock\n.mp4");
  CHECK(db.MediaPath(other) == RecordingPath("10-00-00.mp4", 2));
  CHECK(db.MediaPath(sibling) == dir + "0/x.mp4");
  auto actions = Actions();
  REQUIRE(actions.size() == 3);
  CHECK(actions[2].path == dir + "/11 o'clock\n.mp4");
  CHECK(actions[2].detail == new_dir + "/11 o'clock\n.mp4");

  // The rows are found under their new names.
  RemoveFile(new_dir + "/10-15-00.mp4");
  Add(EventKind::kDeleted, new_dir + "/10-15-00.mp4");
  CHECK(Pass(applier).archived == 1);
  CHECK(db.ArchivedMediaIds() == std::vector<int64_t>{ids[1]});
}

TEST_CASE_METHOD(ApplierFixture,
                 "a directory moved out archives only the rows whose files are gone") {
  std::vector<int64_t> ids;
  for (const char* name : {"10-00-00.mp4", "10-15-00.mp4", "10-30-00.mp4"}) {
    ids.push_back(AddRecording(name, 3));
  }
  const std::string dir = root + "/2026/11/23/000003";
  Rename(dir, tmp.Sub("elsewhere"));
  // Bluecherry made the directory again and one recording is back in it.
  WriteFile(RecordingPath("10-15-00.mp4", 3));
  const int64_t seq = Add(EventKind::kMovedFrom, dir, 61, /*age_ms=*/1000, true);

  auto applier = Applier();
  ApplyStats stats = Pass(applier);
  CHECK(stats.archived == 2);
  CHECK(stats.caught_up);
  CHECK(db.ArchivedMediaIds() == std::vector<int64_t>{ids[0], ids[2]});
  CHECK(db.EventsArchivedFor(ids[0]));
  CHECK(Get(seq).state == EventState::kApplied);
  CHECK(Get(seq).media_ids == std::vector<int64_t>{ids[0], ids[2]});
  auto actions = Actions();
  REQUIRE(actions.size() == 2);
  CHECK(actions[1].action == ActionKind::kArchive);
  CHECK(actions[1].cause_id == seq);
}

TEST_CASE_METHOD(ApplierFixture,
                 "in one pass, a file renamed and then deleted at its new path is archived") {
  // Deletions of a pass are looked up together before the pass runs; the
  // rename in the middle moves a row onto a path deleted later, which that
  // early lookup could not know.
  const bool with_index = GENERATE(false, true);
  if (with_index) AddFilepathIndex();
  std::vector<int64_t> others;
  for (int i = 0; i < 5; ++i) others.push_back(AddRecording("11-00-0" + std::to_string(i) + ".mp4"));
  const int64_t id = AddRecording("10-00-00.mp4");
  const std::string from = RecordingPath("10-00-00.mp4");
  const std::string to = RecordingPath("10-00-00-renamed.mp4");
  Rename(from, to);
  RemoveFile(to);
  for (int i = 0; i < 5; ++i) RemoveFile(RecordingPath("11-00-0" + std::to_string(i) + ".mp4"));
  for (int i = 0; i < 3; ++i)
    Add(EventKind::kDeleted, RecordingPath("11-00-0" + std::to_string(i) + ".mp4"));
  Add(EventKind::kMovedFrom, from, 21);
  Add(EventKind::kMovedTo, to, 21);
  const int64_t gone = Add(EventKind::kDeleted, to);
  for (int i = 3; i < 5; ++i)
    Add(EventKind::kDeleted, RecordingPath("11-00-0" + std::to_string(i) + ".mp4"));

  auto applier = Applier();
  ApplyStats stats = Pass(applier);
  CHECK(stats.repathed == 1);
  CHECK(stats.archived == 6);
  CHECK(db.MediaArchived(id));
  CHECK(db.MediaPath(id) == to);
  CHECK(Get(gone).media_ids == std::vector<int64_t>{id});
  for (int64_t other : others) CHECK(db.MediaArchived(other));
  CHECK(Actions().size() == 7);  // one repath, six archives
}
