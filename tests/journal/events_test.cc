#include <SQLiteCpp/Database.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "journal/journal.h"
#include "tests/journal/journal_test_util.h"
#include "tests/support/temp_dir.h"

namespace recsync::testing {
namespace {

TEST_CASE("AppendEvents gives strictly increasing seq numbers in commit order") {
  TempDir dir;
  auto journal = OpenJournal(dir.Sub("journal.db"));
  auto first = Append(*journal, {Event(1, "/a"), Event(2, "/b"), Event(3, "/c")});
  auto second = Append(*journal, {Event(4, "/d")});
  REQUIRE(first.size() == 3);
  REQUIRE(second.size() == 1);
  CHECK(first[0] < first[1]);
  CHECK(first[1] < first[2]);
  CHECK(first[2] < second[0]);
  CHECK(Append(*journal, {}).empty());
}

TEST_CASE("event paths round-trip byte-exactly: newline, quotes, spaces, invalid UTF-8") {
  TempDir dir;
  const std::vector<std::string> paths = {"/rec/line\nbreak.mp4",
                                          "/rec/it's \"quoted\".mp4",
                                          "/rec/ spaced  out .mp4",
                                          std::string("/rec/bad\xff\xfe utf8\xc3.mp4"),
                                          std::string("/rec/nul\0inside", 15),
                                          "/rec/caf\xc3\xa9.mkv",
                                          ""};
  std::vector<NewEvent> events;
  for (const auto& p : paths) events.push_back(Event(10, p));
  auto journal = OpenJournal(dir.Sub("journal.db"));
  auto seqs = Append(*journal, events);
  for (size_t i = 0; i < paths.size(); ++i) {
    auto event = Must(journal->GetEvent(seqs[i]));
    REQUIRE(event.has_value());
    CHECK(event->path == paths[i]);
    CHECK(event->path.size() == paths[i].size());
  }
}

TEST_CASE("committed events survive closing and reopening the journal") {
  TempDir dir;
  const std::string path = dir.Sub("journal.db");
  std::vector<int64_t> seqs;
  {
    auto journal = OpenJournal(path);
    seqs = Append(*journal,
                  {Event(100, "/rec/1.mp4", EventKind::kMovedFrom), Event(200, "/rec/2.mp4")});
  }
  auto reopened = OpenJournal(path, Journal::Mode::kReadOnly);
  auto pending = Must(reopened->PendingEvents(0, 0));
  REQUIRE(pending.size() == 2);
  CHECK(pending[0].seq == seqs[0]);
  CHECK(pending[0].time_ms == 100);
  CHECK(pending[0].kind == EventKind::kMovedFrom);
  CHECK(pending[0].state == EventState::kPending);
  CHECK(pending[0].attempts == 0);
  CHECK(pending[0].updated_ms == 100);
  CHECK(pending[1].path == "/rec/2.mp4");
}

TEST_CASE("PendingEvents returns pending events in seq order after after_seq, up to limit") {
  TempDir dir;
  auto journal = OpenJournal(dir.Sub("journal.db"));
  auto seqs = Append(*journal, {Event(1, "/a"), Event(2, "/b"), Event(3, "/c"), Event(4, "/d")});
  MustOk(journal->SettleEvents({EventOutcome::Applied(seqs[1], {7})}, 50));

  auto all = Must(journal->PendingEvents(0, 0));
  REQUIRE(all.size() == 3);
  CHECK(all[0].seq == seqs[0]);
  CHECK(all[1].seq == seqs[2]);
  CHECK(all[2].seq == seqs[3]);

  auto after = Must(journal->PendingEvents(seqs[0], 1));
  REQUIRE(after.size() == 1);
  CHECK(after[0].seq == seqs[2]);
  CHECK(Must(journal->PendingEvents(seqs[3], 10)).empty());
}

TEST_CASE("SettleEvents increments attempts and records state, media ids and errors") {
  TempDir dir;
  auto journal = OpenJournal(dir.Sub("journal.db"));
  auto seqs = Append(*journal, {Event(1, "/a"), Event(2, "/b")});

  MustOk(journal->SettleEvents(
      {EventOutcome::Pending(seqs[0], "database unreachable"), EventOutcome::Applied(seqs[1], {11, 12, 13})},
      1000));
  MustOk(journal->SettleEvents({EventOutcome::Failed(seqs[0], "Media row is locked", {5})}, 2000));

  auto a = *Must(journal->GetEvent(seqs[0]));
  CHECK(a.state == EventState::kFailed);
  CHECK(a.attempts == 2);
  CHECK(a.last_error == "Media row is locked");
  CHECK(a.media_ids == std::vector<int64_t>{5});
  CHECK(a.updated_ms == 2000);
  auto b = *Must(journal->GetEvent(seqs[1]));
  CHECK(b.state == EventState::kApplied);
  CHECK(b.attempts == 1);
  CHECK(b.media_ids == std::vector<int64_t>{11, 12, 13});
  CHECK(b.last_error.empty());
  CHECK(b.updated_ms == 1000);
}

TEST_CASE("SettleEvents with an unknown seq changes nothing") {
  TempDir dir;
  auto journal = OpenJournal(dir.Sub("journal.db"));
  auto seqs = Append(*journal, {Event(1, "/a")});

  Status unknown =
      journal->SettleEvents({EventOutcome::Applied(seqs[0]), EventOutcome::Applied(999)}, 5);
  CHECK(unknown.code() == Code::kNotFound);
  CHECK(unknown.message().find("999") != std::string::npos);

  auto event = *Must(journal->GetEvent(seqs[0]));
  CHECK(event.state == EventState::kPending);
  CHECK(event.attempts == 0);
}

TEST_CASE("AppendEvents refuses a kind the journal does not keep, and writes nothing") {
  TempDir dir;
  auto journal = OpenJournal(dir.Sub("journal.db"));
  auto appended =
      journal->AppendEvents({Event(1, "/a"), Event(2, "/rec/x", EventKind::kDirCreated)});
  REQUIRE_FALSE(appended.ok());
  CHECK(appended.status().code() == Code::kInvalid);
  CHECK(appended.status().message().find("'dir_created'") != std::string::npos);
  CHECK(Must(journal->LastSeq()) == 0);
}

TEST_CASE("An event whose state this recsync does not know is refused, naming the state") {
  TempDir dir;
  const std::string path = dir.Sub("journal.db");
  auto journal = OpenJournal(path);
  auto seqs = Append(*journal, {Event(1, "/a")});
  {
    // As a newer recsync with a state of its own would leave it.
    SQLite::Database db(path, SQLite::OPEN_READWRITE);
    db.exec("UPDATE events SET state = 'parked' WHERE seq = " + std::to_string(seqs[0]));
  }
  auto listed = journal->ListEvents({});
  REQUIRE_FALSE(listed.ok());
  CHECK(listed.status().message().find(path) != std::string::npos);
  CHECK(listed.status().message().find("event state 'parked'") != std::string::npos);
  CHECK_FALSE(journal->GetEvent(seqs[0]).ok());
}

TEST_CASE("ListEvents filters by state, kind, since and path glob, newest first") {
  TempDir dir;
  auto journal = OpenJournal(dir.Sub("journal.db"));
  auto seqs = Append(*journal, {Event(100, "/rec/cam1/a.mp4"), Event(200, "/rec/cam2/b.mp4"),
                                Event(300, "/rec/cam1/c.mkv", EventKind::kOverflow),
                                Event(400, "/rec/cam1/d.mp4")});
  MustOk(journal->SettleEvents({EventOutcome::Ignored(seqs[0])}, 1));

  auto seq_of = [](const std::vector<EventRecord>& events) {
    std::vector<int64_t> out;
    for (const auto& e : events) out.push_back(e.seq);
    return out;
  };
  EventFilter all;
  CHECK(seq_of(Must(journal->ListEvents(all))) ==
        std::vector<int64_t>{seqs[3], seqs[2], seqs[1], seqs[0]});
  EventFilter by_state;
  by_state.state = EventState::kIgnored;
  CHECK(seq_of(Must(journal->ListEvents(by_state))) == std::vector<int64_t>{seqs[0]});
  EventFilter by_kind;
  by_kind.kind = EventKind::kOverflow;
  CHECK(seq_of(Must(journal->ListEvents(by_kind))) == std::vector<int64_t>{seqs[2]});
  EventFilter since;
  since.since_ms = 300;
  CHECK(seq_of(Must(journal->ListEvents(since))) == std::vector<int64_t>{seqs[3], seqs[2]});
  EventFilter glob;
  glob.path_glob = "/rec/cam1/*.mp4";
  CHECK(seq_of(Must(journal->ListEvents(glob))) == std::vector<int64_t>{seqs[3], seqs[0]});
  EventFilter limited;
  limited.limit = 2;
  CHECK(seq_of(Must(journal->ListEvents(limited))) == std::vector<int64_t>{seqs[3], seqs[2]});
}

TEST_CASE("GetEvent of an unknown seq is empty, not an error") {
  TempDir dir;
  auto journal = OpenJournal(dir.Sub("journal.db"));
  CHECK_FALSE(Must(journal->GetEvent(42)).has_value());
}

TEST_CASE("a reader open on the same file sees what a writer commits") {
  TempDir dir;
  const std::string path = dir.Sub("journal.db");
  auto writer = OpenJournal(path);
  auto reader = OpenJournal(path, Journal::Mode::kReadOnly);
  CHECK(Must(reader->PendingEvents(0, 0)).empty());

  auto seqs = Append(*writer, {Event(1, "/a")});
  auto seen = Must(reader->PendingEvents(0, 0));
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].seq == seqs[0]);

  // The writer is not held up by the open reader either.
  MustOk(writer->SettleEvents({EventOutcome::Applied(seqs[0])}, 2));
  CHECK(Must(reader->PendingEvents(0, 0)).empty());
}

TEST_CASE("a read-only journal reports writes as a Status, never an exception") {
  TempDir dir;
  const std::string path = dir.Sub("journal.db");
  OpenJournal(path);
  auto reader = OpenJournal(path, Journal::Mode::kReadOnly);
  auto appended = reader->AppendEvents({Event(1, "/a")});
  REQUIRE_FALSE(appended.ok());
  CHECK(appended.status().message().find(path) != std::string::npos);
  CHECK(appended.status().message().find("readonly") != std::string::npos);
}

}  // namespace
}  // namespace recsync::testing
