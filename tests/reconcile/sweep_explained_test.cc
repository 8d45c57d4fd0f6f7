// The ratio guard after a mass deletion the daemon saw: files whose deletion
// was journaled are explained, rows already archived from such deletions
// count among the files known, and only the unexplained share can refuse a
// root. After a kernel queue overflow that is the share the lost events hid.
#include "tests/reconcile/sweep_fixture.h"

using namespace recsync;
using namespace recsync::testing;

namespace {

std::string Name(int i) {
  char name[32];
  std::snprintf(name, sizeof(name), "10-%02d-00.mp4", i);
  return name;
}

}  // namespace

TEST_CASE_METHOD(SweepFixture, "missing files whose deletion the daemon journaled do not trip the ratio guard") {
  std::vector<int64_t> ids;
  for (int i = 0; i < 20; ++i) ids.push_back(AddRecording(Name(i)));
  // 16 of 20 gone; the daemon journaled 12 of those deletions, and an
  // overflow lost the other 4.
  std::vector<NewEvent> seen;
  for (int i = 0; i < 16; ++i) {
    RemoveFile(RecordingPath(Name(i)));
    if (i < 12)
      seen.push_back(NewEvent::Of(EventKind::kDeleted, clock.NowMs(), RecordingPath(Name(i))));
  }
  {
    auto journal = OpenJournal();
    REQUIRE(journal->AppendEvents(seen).ok());
  }
  auto report = Sweep(Options());
  REQUIRE(report.ok());
  const RootReport& r = report->roots[0];
  CHECK(r.missing == 16);
  CHECK(r.explained == 12);
  CHECK_FALSE(r.refused);  // 4 unexplained of 20: 20 %
  CHECK(report->archived() == 16);

  // The same share without the journaled deletions is refused, as before.
  for (int i = 20; i < 40; ++i) AddRecording(Name(i), 2);
  for (int i = 20; i < 36; ++i) RemoveFile(RecordingPath(Name(i), 2));
  auto refused = Sweep(Options());
  REQUIRE(refused.ok());
  CHECK(refused->roots[0].refused);
  CHECK_THAT(refused->roots[0].refused_reason,
             Catch::Contains("16 of 24 checked files are missing without a deletion the daemon saw"));
}

TEST_CASE_METHOD(SweepFixture, "rows the daemon already archived from seen deletions count among the files known") {
  std::vector<int64_t> ids;
  for (int i = 0; i < 20; ++i) ids.push_back(AddRecording(Name(i)));
  for (int i = 0; i < 17; ++i) RemoveFile(RecordingPath(Name(i)));
  {
    // The daemon saw 12 deletions and archived their rows before the sweep.
    auto journal = OpenJournal();
    std::vector<NewEvent> seen;
    std::vector<ActionRecord> archived;
    for (int i = 0; i < 12; ++i) {
      seen.push_back(NewEvent::Of(EventKind::kDeleted, clock.NowMs(), RecordingPath(Name(i))));
      archived.push_back(ActionRecord::Archive(ids[i], RecordingPath(Name(i)), clock.NowMs(),
                                               Cause::kEvent, i + 1));
      db.Exec("UPDATE Media SET archive = 1 WHERE id = " + std::to_string(ids[i]));
    }
    REQUIRE(journal->AppendEvents(seen).ok());
    REQUIRE(journal->RecordActions(archived).ok());
  }
  // 8 active rows, 5 of them missing with no event: 62 % of what the sweep
  // reads, but 5 of 20 files known (25 %).
  auto report = Sweep(Options());
  REQUIRE(report.ok());
  const RootReport& r = report->roots[0];
  CHECK(r.seen_deleted == 12);
  CHECK(r.missing == 5);
  CHECK_FALSE(r.refused);
  CHECK(report->archived() == 5);
}
