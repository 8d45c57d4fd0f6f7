// Version-4 event columns (cookie, is_dir) and the queries the daemon uses:
// SettlePending, FindPendingMovedTo/From, LastSeq, CountEvents.
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "journal/journal.h"
#include "tests/journal/journal_test_util.h"
#include "tests/support/temp_dir.h"

namespace recsync::testing {
namespace {

NewEvent Move(int64_t time_ms, std::string path, EventKind kind, uint32_t cookie,
              bool is_dir = false) {
  return NewEvent::Move(kind, time_ms, std::move(path), cookie, is_dir);
}

TEST_CASE("cookie and is_dir are stored and read back by every event reader") {
  TempDir dir;
  auto journal = OpenJournal(dir.Sub("journal.db"));
  // The largest cookie must not come back negative or truncated.
  auto seqs = Append(
      *journal, {Move(1, "/rec/a", EventKind::kMovedFrom, 0xFFFFFFFFu, true),
                 Move(2, "/rec/b", EventKind::kMovedTo, 0xFFFFFFFFu, true), Event(3, "/rec/c")});
  auto pending = Must(journal->PendingEvents(0, 0));
  REQUIRE(pending.size() == 3);
  CHECK(pending[0].cookie == 0xFFFFFFFFu);
  CHECK(pending[0].is_dir);
  CHECK(pending[2].cookie == 0);
  CHECK_FALSE(pending[2].is_dir);

  auto one = Must(journal->GetEvent(seqs[1]));
  REQUIRE(one.has_value());
  CHECK(one->cookie == 0xFFFFFFFFu);
  CHECK(one->is_dir);

  auto listed = Must(journal->ListEvents({}));
  REQUIRE(listed.size() == 3);
  CHECK(listed[2].cookie == 0xFFFFFFFFu);  // newest first
  CHECK(listed[2].is_dir);

  // Settling keeps them.
  MustOk(journal->SettleEvents({EventOutcome::Applied(seqs[0], {1})}, 10));
  CHECK(Must(journal->GetEvent(seqs[0]))->cookie == 0xFFFFFFFFu);
}

TEST_CASE("SettlePending settles pending events of one kind up to a seq, optionally one path") {
  TempDir dir;
  auto journal = OpenJournal(dir.Sub("journal.db"));
  const std::string root = "/mnt/it's a\nroot";
  auto seqs = Append(
      *journal, {Event(1, "", EventKind::kOverflow), Event(2, root, EventKind::kRootGone),
                 Event(3, "/mnt/other", EventKind::kRootGone), Event(4, "", EventKind::kOverflow),
                 Event(5, "/rec/x.mp4"), Event(6, root, EventKind::kRootGone)});

  CHECK(Must(journal->SettlePending(EventKind::kOverflow, "", seqs[3] - 1, EventState::kApplied,
                                    100)) == 1);
  auto first = Must(journal->GetEvent(seqs[0]));
  CHECK(first->state == EventState::kApplied);
  CHECK(first->attempts == 1);
  CHECK(first->updated_ms == 100);
  CHECK(Must(journal->GetEvent(seqs[3]))->state == EventState::kPending);  // after up_to_seq

  // Exactly that path, byte for byte: the other root and the later one stay.
  CHECK(Must(journal->SettlePending(EventKind::kRootGone, root, seqs[4], EventState::kIgnored,
                                    200)) == 1);
  CHECK(Must(journal->GetEvent(seqs[1]))->state == EventState::kIgnored);
  CHECK(Must(journal->GetEvent(seqs[2]))->state == EventState::kPending);
  CHECK(Must(journal->GetEvent(seqs[5]))->state == EventState::kPending);
  CHECK(Must(journal->GetEvent(seqs[4]))->state == EventState::kPending);  // another kind

  // Only pending events: settling again changes nothing.
  CHECK(Must(journal->SettlePending(EventKind::kOverflow, "", seqs[0], EventState::kFailed, 300)) ==
        0);
  CHECK(Must(journal->GetEvent(seqs[0]))->state == EventState::kApplied);
  CHECK(Must(journal->GetEvent(seqs[3]))->state == EventState::kPending);
}

TEST_CASE(
    "SettlePendingSeenBy settles pending events of one kind seen by a time, whatever "
    "their seq") {
  TempDir dir;
  auto journal = OpenJournal(dir.Sub("journal.db"));
  // Seen at 10 and 30, the second committed after an event seen later.
  auto seqs =
      Append(*journal, {Event(10, "", EventKind::kOverflow), Event(40, "/rec/x.mp4"),
                        Event(30, "", EventKind::kOverflow), Event(50, "", EventKind::kOverflow)});
  CHECK(Must(journal->SettlePendingSeenBy(EventKind::kOverflow, 30, EventState::kApplied, 100)) ==
        2);
  CHECK(Must(journal->GetEvent(seqs[0]))->state == EventState::kApplied);
  CHECK(Must(journal->GetEvent(seqs[2]))->state == EventState::kApplied);
  CHECK(Must(journal->GetEvent(seqs[2]))->attempts == 1);
  CHECK(Must(journal->GetEvent(seqs[2]))->updated_ms == 100);
  CHECK(Must(journal->GetEvent(seqs[1]))->state == EventState::kPending);  // another kind
  CHECK(Must(journal->GetEvent(seqs[3]))->state == EventState::kPending);  // seen after
  CHECK(Must(journal->SettlePendingSeenBy(EventKind::kOverflow, 30, EventState::kApplied, 200)) ==
        0);
}

TEST_CASE("FindPendingMovedTo and FindPendingMovedFrom find the pending half of a rename") {
  TempDir dir;
  auto journal = OpenJournal(dir.Sub("journal.db"));
  auto seqs = Append(
      *journal, {Move(1, "/r/a", EventKind::kMovedFrom, 7), Move(1, "/r/b", EventKind::kMovedTo, 8),
                 Move(2, "/r/c", EventKind::kMovedTo, 7), Move(3, "/r/d", EventKind::kMovedTo, 7),
                 Move(4, "/r/e", EventKind::kMovedFrom, 7), Event(5, "/r/f")});

  auto to = Must(journal->FindPendingMovedTo(7, seqs[0]));
  REQUIRE(to.has_value());
  CHECK(to->seq == seqs[2]);  // the first one after after_seq
  CHECK(to->path == "/r/c");
  CHECK(Must(journal->FindPendingMovedTo(7, seqs[2]))->seq == seqs[3]);
  CHECK_FALSE(Must(journal->FindPendingMovedTo(7, seqs[3])).has_value());
  CHECK_FALSE(Must(journal->FindPendingMovedTo(9, 0)).has_value());
  // Cookie 0 is "no rename": never a pair.
  Append(*journal, {Move(6, "/r/g", EventKind::kMovedTo, 0)});
  CHECK_FALSE(Must(journal->FindPendingMovedTo(0, 0)).has_value());

  auto from = Must(journal->FindPendingMovedFrom(7, seqs[5]));
  REQUIRE(from.has_value());
  CHECK(from->seq == seqs[4]);  // the last one before before_seq
  CHECK(Must(journal->FindPendingMovedFrom(7, seqs[4]))->seq == seqs[0]);
  CHECK_FALSE(Must(journal->FindPendingMovedFrom(7, seqs[0])).has_value());

  // Settled events are not pending any more.
  MustOk(journal->SettleEvents({EventOutcome::Applied(seqs[2]), EventOutcome::Applied(seqs[0])}, 9));
  CHECK(Must(journal->FindPendingMovedTo(7, seqs[0]))->seq == seqs[3]);
  CHECK_FALSE(Must(journal->FindPendingMovedFrom(7, seqs[4])).has_value());
}

TEST_CASE("rename lookups use the cookie index") {
  TempDir dir;
  const std::string path = dir.Sub("journal.db");
  OpenJournal(path);
  SQLite::Database db(path, SQLite::OPEN_READONLY);
  // The statements FindPendingMovedTo/From run, as SQLite plans them.
  for (const char* where : {"cookie = 1 AND cookie <> 0 AND seq > 0 AND kind = 'moved_to' "
                            "AND state = 'pending' ORDER BY seq",
                            "cookie = 1 AND cookie <> 0 AND seq < 9 AND kind = 'moved_from' "
                            "AND state = 'pending' ORDER BY seq DESC"}) {
    SQLite::Statement plan(
        db, std::string("EXPLAIN QUERY PLAN SELECT * FROM events WHERE ") + where + " LIMIT 1");
    std::string detail;
    while (plan.executeStep()) detail += plan.getColumn(3).getString() + "\n";
    INFO(detail);
    CHECK(detail.find("events_by_cookie") != std::string::npos);
  }
}

TEST_CASE("LastSeq is the highest seq ever assigned, also after Prune") {
  TempDir dir;
  const std::string path = dir.Sub("journal.db");
  auto journal = OpenJournal(path);
  CHECK(Must(journal->LastSeq()) == 0);
  auto seqs = Append(*journal, {Event(1, "/a"), Event(2, "/b")});
  CHECK(Must(journal->LastSeq()) == seqs[1]);

  std::vector<EventOutcome> all;
  for (int64_t seq : seqs) all.push_back(EventOutcome::Applied(seq));
  MustOk(journal->SettleEvents(all, 3));
  CHECK(Must(journal->Prune(0, 1000)) == 2);
  CHECK(Must(journal->ListEvents({})).empty());
  CHECK(Must(journal->LastSeq()) == seqs[1]);

  // And from another connection, e.g. a reopened journal.
  journal.reset();
  auto reopened = OpenJournal(path, Journal::Mode::kReadOnly);
  CHECK(Must(reopened->LastSeq()) == seqs[1]);
}

TEST_CASE("CountEvents counts one state") {
  TempDir dir;
  auto journal = OpenJournal(dir.Sub("journal.db"));
  auto seqs = Append(*journal, {Event(1, "/a"), Event(2, "/b"), Event(3, "/c")});
  MustOk(journal->SettleEvents({EventOutcome::Failed(seqs[0], "x")}, 5));
  CHECK(Must(journal->CountEvents(EventState::kPending)) == 2);
  CHECK(Must(journal->CountEvents(EventState::kFailed)) == 1);
  CHECK(Must(journal->CountEvents(EventState::kApplied)) == 0);
}

}  // namespace
}  // namespace recsync::testing
