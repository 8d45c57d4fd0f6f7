// What a pass reports for the daemon's counters: the events it settled by
// kind and state, and how long each archived deletion took from the
// watcher seeing it to the COMMIT.
#include "tests/reconcile/applier_fixture.h"

using namespace recsync;
using namespace recsync::testing;

namespace {
int64_t Settled(const ApplyStats& stats, EventKind kind, EventState state) {
  auto it = stats.settled.find({kind, state});
  return it == stats.settled.end() ? 0 : it->second;
}
}  // namespace

TEST_CASE_METHOD(ApplierFixture, "a pass counts settled events by kind and state, and delete-to-archive times") {
  AddRecording("10-00-00.mp4");
  AddRecording("10-15-00.mp4");
  RemoveFile(RecordingPath("10-00-00.mp4"));
  RemoveFile(RecordingPath("10-15-00.mp4"));
  WriteFile(RecordingPath("10-00-00.jpg"), "");
  RemoveFile(RecordingPath("10-00-00.jpg"));
  Add(EventKind::kDeleted, RecordingPath("10-00-00.mp4"), 0, 1500);
  Add(EventKind::kDeleted, RecordingPath("10-15-00.mp4"), 0, 250);
  Add(EventKind::kDeleted, RecordingPath("10-00-00.jpg"));  // no row: ignored
  Add(EventKind::kCreated, RecordingPath("new.mp4"));         // a new recording: ignored

  auto applier = Applier();
  ApplyStats stats = Pass(applier);
  CHECK(stats.archived == 2);
  CHECK(Settled(stats, EventKind::kDeleted, EventState::kApplied) == 2);
  CHECK(Settled(stats, EventKind::kDeleted, EventState::kIgnored) == 1);
  CHECK(Settled(stats, EventKind::kCreated, EventState::kIgnored) == 1);
  CHECK(stats.settled.size() == 3);
  // The clock stands still: the COMMIT is "now", the events were seen
  // 1500 and 250 ms before it. The ignored deletion archived nothing.
  CHECK(stats.delete_to_archive_ms == std::vector<int64_t>{1500, 250});
}

TEST_CASE_METHOD(ApplierFixture, "a rename whose second half lies beyond the pass is counted as moved_to") {
  const int64_t id = AddRecording("10-00-00.mp4");
  const std::string to = RecordingPath("10-00-00 renamed.mp4", 2);
  Rename(RecordingPath("10-00-00.mp4"), to);
  Add(EventKind::kMovedFrom, RecordingPath("10-00-00.mp4"), 7);
  Add(EventKind::kMovedTo, to, 7);

  ApplierOptions options = Options();
  options.max_events = 1;  // the pass takes the moved_from alone; its pair is found in the journal
  auto applier = Applier(options);
  ApplyStats stats = Pass(applier);
  CHECK(db.MediaPath(id) == to);
  CHECK(Settled(stats, EventKind::kMovedFrom, EventState::kApplied) == 1);
  CHECK(Settled(stats, EventKind::kMovedTo, EventState::kApplied) == 1);
  CHECK(stats.repathed == 1);
  CHECK(stats.delete_to_archive_ms.empty());
}
