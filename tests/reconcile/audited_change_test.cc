// Every catalog change recsync makes is in the audit trail exactly once,
// even when the process dies between the catalog's COMMIT and the journal.
#include <catch2/catch.hpp>

#include "reconcile/audited_change.h"
#include "tests/reconcile/sweep_fixture.h"

using namespace recsync;
using namespace recsync::testing;

namespace {
ActionRecord Archive(int64_t id, const std::string& path, int64_t cause_id) {
  return ActionRecord::Archive(id, path, 1000, Cause::kEvent, cause_id);
}
}  // namespace

TEST_CASE_METHOD(SweepFixture, "an audited archive records its actions only once committed") {
  const int64_t a = AddRecording("10-00-00.mp4", 1, false);
  const int64_t b = AddRecording("10-15-00.mp4", 1, false);
  auto catalog = Connect(db.config());
  auto journal = OpenJournal();
  const std::vector<MediaRow> rows = {{a, 0, RecordingPath("10-00-00.mp4")},
                                      {b, 0, RecordingPath("10-15-00.mp4")}};
  // What a crash right before the COMMIT looks like: the intents are written
  // (by the hook, inside the transaction) and nothing is confirmed.
  bool saw_intents = false;
  catalog->SetBeforeCommitHook([&] { saw_intents = journal->Intents()->size() == 2; });
  ManualClock clock(5000);  // the actions were planned at 1000 (see Archive())
  auto changed = ArchiveAudited(*catalog, *journal, clock, rows,
                                {{a, Archive(a, rows[0].filepath, 7)},
                                 {b, Archive(b, rows[1].filepath, 7)}});
  REQUIRE(changed.ok());
  CHECK(saw_intents);
  CHECK(journal->Intents()->empty());
  auto actions = journal->ListActions({});
  REQUIRE(actions.ok());
  REQUIRE(actions->size() == 2);
  // Timed when the change took effect, not when it was planned.
  for (const auto& action : *actions) CHECK(action.time_ms == 5000);
}

TEST_CASE_METHOD(SweepFixture, "intents left by a crash are kept if the catalog changed, else dropped") {
  const int64_t committed = AddRecording("10-00-00.mp4", 1, false);
  const int64_t rolled_back = AddRecording("10-15-00.mp4", 1, false);
  const int64_t moved = AddRecording("10-30-00.mp4", 1, false);
  const std::string new_path = RecordingPath("10-30-00 renamed.mp4");
  auto journal = OpenJournal();
  REQUIRE(journal
              ->RecordIntent({Archive(committed, RecordingPath("10-00-00.mp4"), 1),
                              Archive(rolled_back, RecordingPath("10-15-00.mp4"), 1),
                              ActionRecord::Repath(moved, RecordingPath("10-30-00.mp4"), new_path,
                                                   1000, Cause::kEvent, 2)})
              .ok());
  // The catalog shows which COMMITs happened before the crash.
  db.Exec("UPDATE Media SET archive = 1 WHERE id = " + std::to_string(committed));
  db.Exec("UPDATE Media SET filepath = " + TestDatabase::Hex(new_path) +
          " WHERE id = " + std::to_string(moved));
  REQUIRE(journal->ListActions({})->empty());  // intents are not the audit trail yet

  auto catalog = Connect(db.config());
  // An intent of this very process (time 5000, after its start at 2000)
  // may be a transaction in flight: it is left alone.
  ActionRecord in_flight = Archive(rolled_back, RecordingPath("10-15-00.mp4"), 9);
  in_flight.time_ms = 5000;
  REQUIRE(journal->RecordIntent({in_flight}).ok());
  auto settled = SettleIntents(*catalog, *journal, 2000);
  REQUIRE(settled.ok());
  CHECK(*settled == 2);
  REQUIRE(journal->Intents()->size() == 1);
  CHECK(journal->Intents()->front().time_ms == 5000);
  auto actions = journal->ListActions({});
  REQUIRE(actions.ok());
  REQUIRE(actions->size() == 2);
  CHECK((*actions)[0].media_id == committed);
  CHECK((*actions)[1].media_id == moved);
  CHECK((*actions)[1].action == ActionKind::kRepath);
}

TEST_CASE_METHOD(SweepFixture, "an intent is settled whole or not at all, and once when two connections settle") {
  const int64_t early = AddRecording("11-00-00.mp4", 1, false);
  const int64_t late = AddRecording("11-15-00.mp4", 1, false);
  db.Exec("UPDATE Media SET archive = 1 WHERE id IN (" + std::to_string(early) + ", " +
          std::to_string(late) + ")");
  auto journal = OpenJournal();
  auto other = OpenJournal();
  // One transaction's intent with an action planned after this process
  // started (5000 > 2000): it may still be in flight, so none of it is settled.
  ActionRecord in_flight = Archive(late, RecordingPath("11-15-00.mp4"), 4);
  in_flight.time_ms = 5000;
  REQUIRE(journal->RecordIntent({Archive(early, RecordingPath("11-00-00.mp4"), 4), in_flight}).ok());
  // One left by a crash, settled at once by the daemon's reconciler and its
  // startup sweep, each on its own journal connection.
  REQUIRE(journal->RecordIntent({Archive(early, RecordingPath("11-00-00.mp4"), 5)}).ok());

  auto catalog = Connect(db.config());
  auto first = SettleIntents(*catalog, *journal, 2000);
  auto second = SettleIntents(*catalog, *other, 2000);
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  CHECK(*first == 1);
  CHECK(*second == 0);
  auto actions = journal->ListActions({});
  REQUIRE(actions.ok());
  REQUIRE(actions->size() == 1);
  CHECK((*actions)[0].cause_id == 5);
  CHECK(journal->Intents()->size() == 2);  // the in-flight intent, whole
}
