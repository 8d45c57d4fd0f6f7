// Failed and held work: what a sync reports as not settled up to its point,
// and `journal retry` putting failed events back in the queue.
#include <catch2/catch.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "journal/journal.h"
#include "tests/journal/journal_test_util.h"
#include "tests/support/temp_dir.h"

namespace recsync::testing {
namespace {

// Five events: applied, failed (twice tried), pending, failed, pending.
struct Mixed {
  Mixed() : journal(OpenJournal(dir.Sub("journal.db"))) {
    seq = Append(*journal, {Event(1, "/rec/a.mp4"), Event(2, "/rec/b.mp4"), Event(3, "/rec/c.mp4"),
                            Event(4, "/rec/d.mp4"), Event(5, "", EventKind::kOverflow)});
    MustOk(journal->SettleEvents({EventOutcome::Applied(seq[0], {1}),
                                  EventOutcome::Failed(seq[1], "first error", {2}),
                                  EventOutcome::Pending(seq[2], "EIO on lstat"),
                                  EventOutcome::Failed(seq[3], "Data too long", {4})},
                                 100));
    MustOk(journal->SettleEvents({EventOutcome::Failed(seq[1], "second error", {2})}, 200));
  }
  TempDir dir;
  std::unique_ptr<Journal> journal;
  std::vector<int64_t> seq;
};

TEST_CASE("Unsettled counts failed and pending events up to a seq, with the latest of each") {
  Mixed m;
  auto all = Must(m.journal->Unsettled(m.seq[4]));
  CHECK(all.failed == 2);
  CHECK(all.pending == 2);
  REQUIRE(all.latest_failed.has_value());
  CHECK(all.latest_failed->seq == m.seq[3]);
  CHECK(all.latest_failed->last_error == "Data too long");
  REQUIRE(all.latest_pending.has_value());
  CHECK(all.latest_pending->seq == m.seq[4]);
  CHECK(all.latest_pending->kind == EventKind::kOverflow);

  // Events after the point do not count.
  auto early = Must(m.journal->Unsettled(m.seq[2]));
  CHECK(early.failed == 1);
  CHECK(early.pending == 1);
  CHECK(early.latest_failed->last_error == "second error");
  CHECK(early.latest_pending->last_error == "EIO on lstat");

  auto none = Must(m.journal->Unsettled(m.seq[0]));
  CHECK(none.failed == 0);
  CHECK(none.pending == 0);
  CHECK_FALSE(none.latest_failed.has_value());
  CHECK_FALSE(none.latest_pending.has_value());
}

TEST_CASE(
    "RetryFailed makes failed events pending with a fresh attempt budget and skips the rest") {
  Mixed m;
  auto r = Must(m.journal->RetryFailed({m.seq[3], m.seq[0], m.seq[1], m.seq[3], 999}, 500));
  CHECK(r.retried == std::vector<int64_t>{m.seq[1], m.seq[3]});
  CHECK(r.skipped ==
        std::vector<std::pair<int64_t, std::optional<EventState>>>{
            {m.seq[0], EventState::kApplied}, {999, std::nullopt}});

  auto retried = Must(m.journal->GetEvent(m.seq[1]));
  REQUIRE(retried.has_value());
  CHECK(retried->state == EventState::kPending);
  CHECK(retried->attempts == 0);
  CHECK(retried->updated_ms == 500);
  CHECK(retried->last_error == "second error");  // kept until the next attempt
  CHECK(retried->media_ids == std::vector<int64_t>{2});
  // Back in the queue the reconciler reads, in seq order.
  auto pending = Must(m.journal->PendingEvents(0, 0));
  std::vector<int64_t> seqs;
  for (const auto& e : pending) seqs.push_back(e.seq);
  CHECK(seqs == std::vector<int64_t>{m.seq[1], m.seq[2], m.seq[3], m.seq[4]});
  CHECK(Must(m.journal->GetEvent(m.seq[0]))->state == EventState::kApplied);
}

TEST_CASE("RetryAllFailed retries every failed event and nothing else") {
  Mixed m;
  CHECK(Must(m.journal->RetryAllFailed(700)) == std::vector<int64_t>{m.seq[1], m.seq[3]});
  CHECK(Must(m.journal->CountEvents(EventState::kFailed)) == 0);
  CHECK(Must(m.journal->CountEvents(EventState::kPending)) == 4);
  CHECK(Must(m.journal->CountEvents(EventState::kApplied)) == 1);
  CHECK(Must(m.journal->GetEvent(m.seq[2]))->updated_ms == 100);  // pending ones untouched
  CHECK(Must(m.journal->RetryAllFailed(800)).empty());
}

}  // namespace
}  // namespace recsync::testing
