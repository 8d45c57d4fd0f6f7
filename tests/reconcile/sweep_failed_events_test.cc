// A sweep that settles a failed event's row clears that event: with no
// active row left at its path there is nothing left for it to do, and status
// and sync stop reporting it.
#include "tests/reconcile/sweep_fixture.h"

using namespace recsync;
using namespace recsync::testing;

namespace {

void Fail(Journal& journal, int64_t seq) {
  REQUIRE(journal.SettleEvents({EventOutcome::Failed(seq, "the column cannot hold the new path")}, 1).ok());
}

EventState StateOf(Journal& journal, int64_t seq) {
  auto e = journal.GetEvent(seq);
  REQUIRE(e.ok());
  REQUIRE(e->has_value());
  return (*e)->state;
}

}  // namespace

TEST_CASE_METHOD(SweepFixture, "a sweep that archives a failed rename's row clears both halves") {
  for (int i = 0; i < 5; ++i) AddRecording("11-0" + std::to_string(i) + "-00.mp4");
  // Renamed to a path the catalog refused: the row stayed at the old path,
  // whose file is gone.
  const int64_t id = AddRecording("10-00-00.mp4", 1, /*create_file=*/false);
  // Its file is still there: this failed deletion is not settled.
  AddRecording("10-15-00.mp4");
  int64_t from = 0, to = 0, other = 0;
  {
    auto journal = OpenJournal();
    NewEvent a = NewEvent::Of(EventKind::kMovedFrom, 1000, RecordingPath("10-00-00.mp4"));
    a.cookie = 7;
    NewEvent b = NewEvent::Of(EventKind::kMovedTo, 1000, RecordingPath("bad \xff.mp4"));
    b.cookie = 7;
    auto seqs = journal->AppendEvents(
        {a, b, NewEvent::Of(EventKind::kDeleted, 1000, RecordingPath("10-15-00.mp4"))});
    REQUIRE(seqs.ok());
    from = (*seqs)[0];
    to = (*seqs)[1];
    other = (*seqs)[2];
    for (int64_t seq : *seqs) Fail(*journal, seq);
  }
  auto report = Sweep(Options());
  REQUIRE(report.ok());
  CHECK(db.MediaArchived(id));
  auto journal = OpenJournal();
  CHECK(StateOf(*journal, from) == EventState::kApplied);
  CHECK(StateOf(*journal, to) == EventState::kApplied);
  CHECK(StateOf(*journal, other) == EventState::kFailed);
  auto cleared = journal->GetEvent(from);
  CHECK_THAT((**cleared).last_error, Catch::Contains("cleared by sweep") &&
                                        Catch::Contains("the column cannot hold the new path"));

  // A dry run clears nothing.
  const int64_t still = AddRecording("12-00-00.mp4", 1, false);
  auto seqs = journal->AppendEvents(
      {NewEvent::Of(EventKind::kDeleted, 1000, RecordingPath("12-00-00.mp4"))});
  REQUIRE(seqs.ok());
  Fail(*journal, seqs->at(0));
  auto options = Options();
  options.dry_run = true;
  REQUIRE(Sweep(options).ok());
  CHECK(StateOf(*journal, seqs->at(0)) == EventState::kFailed);
  CHECK_FALSE(db.MediaArchived(still));
}
