// Storage trouble never loses an event: held (offline) roots are passed over
// without using attempts, unknown presence retries forever, and only catalog
// errors can make an event fail. Plus when a pass counts as caught up.
#include <cerrno>

#include "common/path.h"
#include "tests/reconcile/applier_fixture.h"
#include "tests/support/virtual_disk.h"

using namespace recsync;
using namespace recsync::testing;

TEST_CASE_METHOD(ApplierFixture, "held events stay pending untouched and apply once not held") {
  const std::string root2 = tmp.Sub("recordings2");
  bool offline = true;
  ApplierOptions options = Options();
  options.held = [&](const std::string& path) { return offline && IsUnder(path, root); };

  const int64_t a = AddRecording("10-00-00.mp4");
  const int64_t b = AddRecording("10-00-00.mp4", 1, true, root2);
  const int64_t c = AddRecording("11-00-00.mp4");
  RemoveFile(RecordingPath("10-00-00.mp4"));
  RemoveFile(RecordingPath("10-00-00.mp4", 1, root2));
  const std::string c_to = RecordingPath("11-00-00.mp4", 1, root2);
  Rename(RecordingPath("11-00-00.mp4"), c_to);
  std::vector<int64_t> held = {Add(EventKind::kDeleted, RecordingPath("10-00-00.mp4")),
                               // A rename out of the held root: held as a whole.
                               Add(EventKind::kMovedFrom, RecordingPath("11-00-00.mp4"), 9),
                               Add(EventKind::kMovedTo, c_to, 9)};
  const int64_t sb = Add(EventKind::kDeleted, RecordingPath("10-00-00.mp4", 1, root2));

  auto applier = Applier(options);
  for (int pass = 0; pass < 3; ++pass) {
    ApplyStats stats = Pass(applier);
    CHECK(stats.held == 3);
    CHECK(stats.retried == 0);
    CHECK(stats.caught_up);  // held events are not waited for
    for (int64_t seq : held) {
      CHECK(Get(seq).state == EventState::kPending);
      CHECK(Get(seq).attempts == 0);
    }
  }
  CHECK(Get(sb).state == EventState::kApplied);
  CHECK(db.ArchivedMediaIds() == std::vector<int64_t>{b});
  CHECK(db.MediaPath(c) == RecordingPath("11-00-00.mp4"));

  offline = false;
  ApplyStats back = Pass(applier);
  CHECK(back.held == 0);
  CHECK(back.applied == 3);
  CHECK(db.ArchivedMediaIds() == std::vector<int64_t>{a, b});
  CHECK(db.MediaPath(c) == c_to);
  for (int64_t seq : held) CHECK(Get(seq).attempts == 1);
}

TEST_CASE_METHOD(ApplierFixture, "a moved_to waits for its held moved_from in an earlier pass") {
  const std::string root2 = tmp.Sub("recordings2");
  bool offline = true;
  ApplierOptions options = Options();
  options.max_events = 1;
  options.held = [&](const std::string& path) { return offline && IsUnder(path, root); };
  const int64_t id = AddRecording("10-00-00.mp4");
  const std::string to = RecordingPath("10-00-00.mp4", 1, root2);
  Rename(RecordingPath("10-00-00.mp4"), to);
  const int64_t s1 = Add(EventKind::kMovedFrom, RecordingPath("10-00-00.mp4"), 5);
  const int64_t s2 = Add(EventKind::kMovedTo, to, 5);

  auto applier = Applier(options);
  ApplyStats first = Pass(applier);
  CHECK(first.held == 1);
  CHECK(first.last_seq == s1);
  ApplyStats second = Pass(applier, first.last_seq);
  CHECK(second.held == 1);  // not taken for a move into the roots
  CHECK(second.last_seq == s2);
  CHECK(Get(s2).state == EventState::kPending);
  CHECK(Get(s2).attempts == 0);
  CHECK(Pass(applier, second.last_seq).caught_up);

  offline = false;
  CHECK(Pass(applier).repathed == 1);
  CHECK(db.MediaPath(id) == to);
  CHECK(Get(s2).state == EventState::kApplied);
}

TEST_CASE_METHOD(ApplierFixture,
                 "a file whose presence cannot be told never makes its event fail") {
  auto disk = std::make_shared<VirtualDisk>();
  const std::string path = RecordingPath("10-00-00.mp4");
  const int64_t id = db.InsertMedia(path);
  disk->errors[path] = EIO;
  // A directory moved out with one gone file and one that answers EIO.
  const std::string dir = root + "/2026/11/23/000002";
  const int64_t gone = db.InsertMedia(dir + "/a.mp4");
  const int64_t eio = db.InsertMedia(dir + "/b.mp4");
  disk->errors[dir + "/b.mp4"] = EIO;
  ApplierOptions options = Options();
  const int64_t s1 = Add(EventKind::kDeleted, path);
  const int64_t s2 = Add(EventKind::kMovedFrom, dir, 0, 0, true);

  auto applier = Applier(options, disk);
  for (int pass = 1; pass <= 6; ++pass) {
    ApplyStats stats = Pass(applier);
    CHECK(stats.retried == 2);
    CHECK(stats.failed == 0);
    CHECK_FALSE(stats.caught_up);
    CHECK(Get(s1).state == EventState::kPending);
    CHECK(Get(s1).attempts == pass);
    CHECK(Get(s1).last_error == "cannot tell whether the file exists: " + ErrnoText(EIO));
    CHECK(Get(s2).state == EventState::kPending);
  }
  CHECK(db.ArchivedMediaIds() == std::vector<int64_t>{gone});

  disk->errors.clear();  // the storage answers again: both files are gone
  ApplyStats stats = Pass(applier);
  CHECK(stats.applied == 2);
  CHECK(stats.caught_up);
  CHECK(db.ArchivedMediaIds() == std::vector<int64_t>{id, gone, eio});
  CHECK(Get(s2).media_ids == std::vector<int64_t>{eio});
  CHECK(Actions().size() == 3);  // one archive action per row, never twice
}

TEST_CASE_METHOD(ApplierFixture, "hung storage leaves events pending, never failed") {
  auto disk = std::make_shared<VirtualDisk>();
  disk->hung.insert(root);
  const int64_t id = db.InsertMedia(RecordingPath("10-00-00.mp4"));
  ApplierOptions options = Options();
  options.probe_timeout = std::chrono::milliseconds(20);
  options.lanes = std::make_shared<StorageLanes>();
  const int64_t seq = Add(EventKind::kDeleted, RecordingPath("10-00-00.mp4"));
  auto applier = Applier(options, disk);
  for (int pass = 0; pass < 3; ++pass) CHECK(Pass(applier).retried == 1);
  CHECK(Get(seq).state == EventState::kPending);
  CHECK_FALSE(db.MediaArchived(id));
  // The first call is still stuck; the others were not even made.
  CHECK(options.lanes->threads_started() == 1);
  disk->Unblock();  // from now on every probe answers at once
  // Once the stuck call has returned, the next pass applies the event.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  int64_t applied = 0;
  while (applied == 0 && std::chrono::steady_clock::now() < until) applied = Pass(applier).applied;
  CHECK(applied == 1);
  CHECK(db.MediaArchived(id));
}

TEST_CASE_METHOD(ApplierFixture, "a path the catalog cannot hold exactly fails its rename at once") {
  // utf8mb4 cannot hold this name, so re-pointing the row is refused: the
  // event can never succeed as it stands, so it fails, with the reason.
  const int64_t id = AddRecording("10-00-00.mp4");
  const std::string to = RecordingPath("bad \xff.mp4");
  Rename(RecordingPath("10-00-00.mp4"), to);
  const int64_t s1 = Add(EventKind::kMovedFrom, RecordingPath("10-00-00.mp4"), 8);
  const int64_t s2 = Add(EventKind::kMovedTo, to, 8);
  auto applier = Applier();
  ApplyStats first = Pass(applier);
  CHECK(first.failed == 2);
  CHECK(first.caught_up);
  CHECK(Get(s1).state == EventState::kFailed);
  CHECK(Get(s2).state == EventState::kFailed);
  CHECK(Get(s1).last_error.find("database") != std::string::npos);
  CHECK(db.MediaPath(id) == RecordingPath("10-00-00.mp4"));
  CHECK_FALSE(db.MediaArchived(id));
}

TEST_CASE_METHOD(ApplierFixture, "a directory renamed with one row too long for the column moves the others") {
  const std::string dir = root + "/2026/11/23/000005";
  const std::string new_dir = dir + "-was-renamed";
  const int64_t fits = db.InsertMedia(dir + "/10-00-00.mp4");
  // Fits in varchar(1024) now, not once the directory's name grows.
  std::string deep = dir;
  while (deep.size() < 1024 - 8) deep += "/abcdefg";
  deep.resize(1024 - 4);
  deep += ".mp4";
  REQUIRE(deep.size() == 1024);
  const int64_t too_long = db.InsertMedia(deep);
  MakeDirs(dir);
  Rename(dir, new_dir);
  const int64_t s1 = Add(EventKind::kMovedFrom, dir, 9, 0, true);
  const int64_t s2 = Add(EventKind::kMovedTo, new_dir, 9, 0, true);
  auto applier = Applier();
  ApplyStats stats = Pass(applier);
  CHECK(stats.repathed == 1);
  CHECK(db.MediaPath(fits) == new_dir + "/10-00-00.mp4");
  CHECK(db.MediaPath(too_long) == deep);  // never truncated
  CHECK(Get(s1).state == EventState::kFailed);
  CHECK(Get(s2).state == EventState::kFailed);
  CHECK(Get(s1).media_ids == std::vector<int64_t>{fits});
  CHECK_THAT(Get(s1).last_error, Catch::Contains("longer than its column"));
  CHECK_FALSE(db.MediaArchived(too_long));
}

TEST_CASE_METHOD(ApplierFixture, "any other catalog error leaves the event pending, never failed") {
  // A table the user may not write: for a daemon a grant can come back, so
  // the deletion is kept and retried, and the pass says why.
  const int64_t id = AddRecording("10-00-00.mp4");
  RemoveFile(RecordingPath("10-00-00.mp4"));
  const int64_t seq = Add(EventKind::kDeleted, RecordingPath("10-00-00.mp4"));
  db.Exec("RENAME TABLE EventsCam TO EventsCamAway");
  auto applier = Applier();
  for (int pass = 1; pass <= 3; ++pass) {
    ApplyStats stats = Pass(applier);
    CHECK(stats.retried == 1);
    CHECK(stats.failed == 0);
    CHECK_FALSE(stats.retry_error.empty());
    CHECK(Get(seq).state == EventState::kPending);
  }
  db.Exec("RENAME TABLE EventsCamAway TO EventsCam");
  CHECK(Pass(applier).applied == 1);
  CHECK(db.MediaArchived(id));
}

TEST_CASE_METHOD(ApplierFixture, "a pass is caught up once it saw fewer than max_events events") {
  auto applier0 = Applier();
  ApplyStats empty = Pass(applier0);
  CHECK(empty.caught_up);
  CHECK(empty.last_seq == 0);

  ApplierOptions options = Options();
  options.max_events = 2;
  auto applier = Applier(options);
  std::vector<int64_t> seqs;
  for (const char* name : {"a.jpg", "b.jpg", "c.jpg"})
    seqs.push_back(Add(EventKind::kDeleted, RecordingPath(name)));
  // Not ours: left pending for the daemon, and not a reason to loop.
  const int64_t overflow = Add(EventKind::kOverflow, "");

  ApplyStats first = Pass(applier);
  CHECK(first.ignored == 2);
  CHECK_FALSE(first.caught_up);
  CHECK(first.last_seq == seqs[1]);
  ApplyStats second = Pass(applier, first.last_seq);
  CHECK(second.ignored == 1);
  CHECK(second.last_seq == overflow);
  CHECK_FALSE(second.caught_up);  // two events seen: there may be more
  ApplyStats third = Pass(applier, second.last_seq);
  CHECK(third.caught_up);
  CHECK(Get(overflow).state == EventState::kPending);
  CHECK(Get(overflow).attempts == 0);
}
