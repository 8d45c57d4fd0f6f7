#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "journal/journal.h"
#include "tests/journal/journal_test_util.h"
#include "tests/support/temp_dir.h"

namespace recsync::testing {
namespace {

constexpr int64_t kDayMs = 24LL * 3600 * 1000;
constexpr int64_t kNow = 100 * kDayMs;

TEST_CASE("Prune deletes old applied and ignored events and keeps everything else") {
  TempDir dir;
  auto journal = OpenJournal(dir.Sub("journal.db"));
  const int64_t old = kNow - 31 * kDayMs, recent = kNow - 29 * kDayMs;
  auto seqs = Append(
      *journal, {Event(old, "/applied-old"), Event(old, "/ignored-old"), Event(old, "/pending-old"),
                 Event(old, "/failed-old"), Event(recent, "/applied-recent")});
  MustOk(journal->SettleEvents({EventOutcome::Applied(seqs[0]),
                                EventOutcome::Ignored(seqs[1]),
                                EventOutcome::Failed(seqs[3], "boom"),
                                EventOutcome::Applied(seqs[4])},
                               kNow));
  int64_t sweep = Must(journal->BeginSweep("periodic", false, old));
  MustOk(journal->RecordActions(
      {ActionRecord::Archive(9, "/applied-old", old, Cause::kEvent, seqs[0])}));

  CHECK(Must(journal->Prune(30, kNow)) == 2);

  CHECK_FALSE(Must(journal->GetEvent(seqs[0])).has_value());
  CHECK_FALSE(Must(journal->GetEvent(seqs[1])).has_value());
  CHECK(Must(journal->GetEvent(seqs[2])).has_value());
  CHECK(Must(journal->GetEvent(seqs[3])).has_value());
  CHECK(Must(journal->GetEvent(seqs[4])).has_value());
  CHECK(Must(journal->GetSweep(sweep)).has_value());
  CHECK(Must(journal->ListActions({})).size() == 1);
  CHECK(Must(journal->Prune(30, kNow)) == 0);
}

TEST_CASE("sequence numbers are not reused after Prune deletes the newest events") {
  TempDir dir;
  auto journal = OpenJournal(dir.Sub("journal.db"));
  auto seqs = Append(*journal, {Event(1, "/a")});
  MustOk(journal->SettleEvents({EventOutcome::Applied(seqs[0])}, 2));
  CHECK(Must(journal->Prune(0, kNow)) == 1);
  CHECK(Append(*journal, {Event(3, "/b")})[0] > seqs[0]);
}

TEST_CASE("Prune rejects a negative age") {
  TempDir dir;
  auto journal = OpenJournal(dir.Sub("journal.db"));
  auto pruned = journal->Prune(-1, kNow);
  REQUIRE_FALSE(pruned.ok());
  CHECK(pruned.status().code() == Code::kInvalid);
}

TEST_CASE("Stats counts events by state and reports oldest pending, size and last sweep") {
  TempDir dir;
  const std::string path = dir.Sub("journal.db");
  auto journal = OpenJournal(path);

  auto empty = Must(journal->Stats());
  CHECK(empty.path == path);
  CHECK(empty.schema_version == kJournalSchemaVersion);
  CHECK(empty.events_total == 0);
  CHECK(empty.oldest_pending_ms == 0);
  CHECK_FALSE(empty.last_sweep.has_value());
  CHECK(empty.size_bytes > 0);

  auto seqs = Append(*journal, {Event(50, "/a"), Event(60, "/b"), Event(70, "/c"), Event(80, "/d"),
                                Event(90, "/e")});
  MustOk(journal->SettleEvents(
      {EventOutcome::Applied(seqs[0]), EventOutcome::Ignored(seqs[1]), EventOutcome::Failed(seqs[2], "x")},
      100));
  Must(journal->BeginSweep("startup", false, 10));
  int64_t last = Must(journal->BeginSweep("manual", true, 20));
  MustOk(journal->RecordActions({ActionRecord::Archive(1, "/a", 50, Cause::kEvent, seqs[0])}));

  auto stats = Must(journal->Stats());
  CHECK(stats.events_total == 5);
  CHECK(stats.events_pending == 2);
  CHECK(stats.events_applied == 1);
  CHECK(stats.events_ignored == 1);
  CHECK(stats.events_failed == 1);
  CHECK(stats.oldest_pending_ms == 80);
  CHECK(stats.sweeps == 2);
  CHECK(stats.actions == 1);
  REQUIRE(stats.last_sweep.has_value());
  CHECK(stats.last_sweep->id == last);
  CHECK(stats.last_sweep->dry_run);
  CHECK(stats.size_bytes >= empty.size_bytes);
}

}  // namespace
}  // namespace recsync::testing
