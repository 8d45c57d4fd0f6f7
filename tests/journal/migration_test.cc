#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <string>

#include "journal/journal.h"
#include "tests/journal/journal_test_util.h"
#include "tests/support/temp_dir.h"

namespace recsync::testing {
namespace {

// The version-1 layout exactly as the first release wrote it (see journal.h).
// Kept here, not shared with schema.cc, so a change to the migration code
// cannot silently change what "an old journal" means to this test.
constexpr const char* kVersion1Schema = R"sql(
  CREATE TABLE events(seq INTEGER PRIMARY KEY AUTOINCREMENT, time_ms INTEGER NOT NULL,
    path BLOB NOT NULL, kind TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'pending',
    media_ids TEXT NOT NULL DEFAULT '', attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '');
  CREATE INDEX events_by_state ON events(state, seq);
  CREATE TABLE sweeps(id INTEGER PRIMARY KEY AUTOINCREMENT, "trigger" TEXT NOT NULL,
    started_ms INTEGER NOT NULL, finished_ms INTEGER NOT NULL DEFAULT 0,
    outcome TEXT NOT NULL DEFAULT 'running', dry_run INTEGER NOT NULL DEFAULT 0,
    checked INTEGER NOT NULL DEFAULT 0, missing INTEGER NOT NULL DEFAULT 0,
    unknown INTEGER NOT NULL DEFAULT 0, archived INTEGER NOT NULL DEFAULT 0,
    report TEXT NOT NULL DEFAULT '');
  CREATE TABLE actions(id INTEGER PRIMARY KEY AUTOINCREMENT, media_id INTEGER NOT NULL,
    path BLOB NOT NULL, time_ms INTEGER NOT NULL, action TEXT NOT NULL, cause TEXT NOT NULL,
    cause_id INTEGER NOT NULL);
)sql";

const std::string kOldPath = std::string("/rec/old\nfile\xff.mp4");

void WriteVersion1Journal(const std::string& path) {
  SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  db.exec(kVersion1Schema);
  SQLite::Statement event(db,
                          "INSERT INTO events(time_ms, path, kind, state, media_ids, attempts, "
                          "last_error) VALUES (?, ?, ?, ?, ?, ?, ?)");
  event.bind(1, static_cast<int64_t>(1000));
  event.bind(2, static_cast<const void*>(kOldPath.data()), static_cast<int>(kOldPath.size()));
  event.bind(3, "deleted");
  event.bind(4, "failed");
  event.bind(5, "4,5");
  event.bind(6, 3);
  event.bind(7, "lock wait timeout");
  event.exec();
  db.exec(
      "INSERT INTO sweeps(\"trigger\", started_ms, finished_ms, outcome, archived) "
      "VALUES ('startup', 10, 20, 'done', 1)");
  db.exec(
      "INSERT INTO actions(media_id, path, time_ms, action, cause, cause_id) "
      "VALUES (4, X'2f7265632f612e6d7034', 15, 'archive', 'sweep', 1)");
  db.exec("PRAGMA application_id = " + std::to_string(kJournalApplicationId));
  db.exec("PRAGMA user_version = 1");
}

// The version-3 layout (version 1 plus the 1->2 and 2->3 steps), written out
// here for the same reason as kVersion1Schema.
constexpr const char* kVersion3Schema = R"sql(
  CREATE TABLE events(seq INTEGER PRIMARY KEY AUTOINCREMENT, time_ms INTEGER NOT NULL,
    path BLOB NOT NULL, kind TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'pending',
    media_ids TEXT NOT NULL DEFAULT '', attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '', updated_ms INTEGER NOT NULL DEFAULT 0);
  CREATE INDEX events_by_state ON events(state, seq);
  CREATE INDEX events_by_time ON events(time_ms);
  CREATE TABLE sweeps(id INTEGER PRIMARY KEY AUTOINCREMENT, "trigger" TEXT NOT NULL,
    started_ms INTEGER NOT NULL, finished_ms INTEGER NOT NULL DEFAULT 0,
    outcome TEXT NOT NULL DEFAULT 'running', dry_run INTEGER NOT NULL DEFAULT 0,
    checked INTEGER NOT NULL DEFAULT 0, missing INTEGER NOT NULL DEFAULT 0,
    unknown INTEGER NOT NULL DEFAULT 0, archived INTEGER NOT NULL DEFAULT 0,
    report TEXT NOT NULL DEFAULT '');
  CREATE TABLE actions(id INTEGER PRIMARY KEY AUTOINCREMENT, media_id INTEGER NOT NULL,
    path BLOB NOT NULL, time_ms INTEGER NOT NULL, action TEXT NOT NULL, cause TEXT NOT NULL,
    cause_id INTEGER NOT NULL, detail TEXT NOT NULL DEFAULT '');
  CREATE INDEX actions_by_cause ON actions(cause, cause_id);
  CREATE TABLE roots(path BLOB PRIMARY KEY, st_dev INTEGER NOT NULL,
    mount_point INTEGER NOT NULL, fs_type TEXT NOT NULL, seen_ms INTEGER NOT NULL,
    mount_path BLOB NOT NULL DEFAULT '');
)sql";

// A version-3 journal with a pending and an applied "moved_from" (seq 1 and
// 2; seq 3 was pruned), an action and a root.
void WriteVersion3Journal(const std::string& path) {
  SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  db.exec(kVersion3Schema);
  SQLite::Statement event(db,
                          "INSERT INTO events(time_ms, path, kind, state, media_ids, attempts, "
                          "last_error, updated_ms) VALUES (?, ?, 'moved_from', ?, ?, ?, ?, ?)");
  for (const char* state : {"pending", "applied", "applied"}) {
    event.bind(1, static_cast<int64_t>(1000));
    event.bind(2, static_cast<const void*>(kOldPath.data()), static_cast<int>(kOldPath.size()));
    event.bind(3, state);
    event.bind(4, "4,5");
    event.bind(5, 2);
    event.bind(6, "deadlock");
    event.bind(7, static_cast<int64_t>(1500));
    event.exec();
    event.reset();
  }
  db.exec("DELETE FROM events WHERE seq = 3");
  db.exec(
      "INSERT INTO actions(media_id, path, time_ms, action, cause, cause_id, detail) "
      "VALUES (4, X'2f7265632f612e6d7034', 15, 'repath', 'event', 2, '/rec/b.mp4')");
  db.exec(
      "INSERT INTO roots(path, st_dev, mount_point, fs_type, seen_ms, mount_path) "
      "VALUES (X'2f726563', 77, 1, 'nfs', 12, X'2f726563')");
  db.exec("PRAGMA application_id = " + std::to_string(kJournalApplicationId));
  db.exec("PRAGMA user_version = 3");
}

int UserVersion(const std::string& path) {
  SQLite::Database db(path, SQLite::OPEN_READONLY);
  return db.execAndGet("PRAGMA user_version").getInt();
}

TEST_CASE("a fresh journal is created at the current version, mode 0640, in a 0750 directory") {
  TempDir dir;
  const std::string path = dir.Sub("var/lib/recsync/journal.db");
  auto journal = OpenJournal(path);
  CHECK(journal->schema_version() == kJournalSchemaVersion);
  CHECK(journal->path() == path);

  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0640);
  REQUIRE(::stat(dir.Sub("var/lib/recsync").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0750);
  REQUIRE(::stat(dir.Sub("var").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0750);

  SQLite::Database raw(path, SQLite::OPEN_READONLY);
  CHECK(raw.execAndGet("PRAGMA journal_mode").getString() == "wal");
  CHECK(raw.execAndGet("PRAGMA application_id").getInt() == kJournalApplicationId);
}

TEST_CASE("a version-1 journal is migrated to the current version keeping its rows") {
  TempDir dir;
  const std::string path = dir.Sub("journal.db");
  WriteVersion1Journal(path);

  auto journal = OpenJournal(path);
  CHECK(journal->schema_version() == kJournalSchemaVersion);
  CHECK(UserVersion(path) == kJournalSchemaVersion);

  auto events = Must(journal->ListEvents({}));
  REQUIRE(events.size() == 1);
  CHECK(events[0].path == kOldPath);
  CHECK(events[0].state == EventState::kFailed);
  CHECK(events[0].media_ids == std::vector<int64_t>{4, 5});
  CHECK(events[0].attempts == 3);
  CHECK(events[0].last_error == "lock wait timeout");
  CHECK(events[0].updated_ms == 1000);  // back-filled from time_ms

  auto sweeps = Must(journal->ListSweeps(0));
  REQUIRE(sweeps.size() == 1);
  CHECK(sweeps[0].outcome == "done");
  auto actions = Must(journal->ListActions({}));
  REQUIRE(actions.size() == 1);
  CHECK(actions[0].path == "/rec/a.mp4");
  CHECK(actions[0].detail.empty());

  // Version 2 additions work, and new events continue the old sequence.
  MustOk(journal->PutRoot({"/rec", 1, true, "ext4", 5, "/rec"}));
  CHECK(Append(*journal, {Event(2000, "/rec/new.mp4")})[0] > events[0].seq);
}

TEST_CASE("a version-3 journal is migrated to the current version keeping its rows and its sequence") {
  TempDir dir;
  const std::string path = dir.Sub("journal.db");
  WriteVersion3Journal(path);

  auto journal = OpenJournal(path);
  CHECK(journal->schema_version() == kJournalSchemaVersion);
  CHECK(UserVersion(path) == kJournalSchemaVersion);

  auto events = Must(journal->ListEvents({}));
  REQUIRE(events.size() == 2);
  const EventRecord& pending = events[1];
  CHECK(pending.seq == 1);
  CHECK(pending.path == kOldPath);
  CHECK(pending.kind == EventKind::kMovedFrom);
  CHECK(pending.state == EventState::kPending);
  CHECK(pending.media_ids == std::vector<int64_t>{4, 5});
  CHECK(pending.attempts == 2);
  CHECK(pending.last_error == "deadlock");
  CHECK(pending.updated_ms == 1500);
  CHECK(pending.cookie == 0);  // an old move cannot be paired
  CHECK_FALSE(pending.is_dir);
  CHECK(events[0].state == EventState::kApplied);

  // Old actions happened: they are confirmed, not intents.
  auto actions = Must(journal->ListActions({}));
  REQUIRE(actions.size() == 1);
  CHECK(actions[0].action == ActionKind::kRepath);
  CHECK(actions[0].detail == "/rec/b.mp4");
  CHECK(Must(journal->Intents()).empty());
  auto root = Must(journal->GetRoot("/rec"));
  REQUIRE(root.has_value());
  CHECK(root->st_dev == 77);
  CHECK(root->mount_path == "/rec");

  // The pruned seq 3 is not reused, and version-4 columns work.
  CHECK(Must(journal->LastSeq()) == 3);
  NewEvent moved = Event(2000, "/rec/new", EventKind::kMovedTo);
  moved.cookie = 42;
  moved.is_dir = true;
  const int64_t seq = Append(*journal, {moved})[0];
  CHECK(seq == 4);
  auto found = Must(journal->FindPendingMovedTo(42, 0));
  REQUIRE(found.has_value());
  CHECK(found->seq == seq);
  CHECK(found->is_dir);
  CHECK(Must(journal->CountEvents(EventState::kPending)) == 2);
}

TEST_CASE("a failed migration leaves the journal at its old version") {
  TempDir dir;
  const std::string path = dir.Sub("journal.db");
  WriteVersion1Journal(path);
  {
    // A table in the way makes step 1->2 fail half-way.
    SQLite::Database db(path, SQLite::OPEN_READWRITE);
    db.exec("CREATE TABLE roots(x)");
  }
  auto journal = Journal::Open(path, Journal::Mode::kReadWrite);
  REQUIRE_FALSE(journal.ok());
  CHECK(journal.status().message().find(path) != std::string::npos);

  CHECK(UserVersion(path) == 1);
  SQLite::Database db(path, SQLite::OPEN_READONLY);
  // updated_ms was added before the failure; the rollback removed it again.
  CHECK_THROWS(db.execAndGet("SELECT updated_ms FROM events"));
  CHECK(db.execAndGet("SELECT count(*) FROM events").getInt() == 1);
}

TEST_CASE("a journal with a newer schema version is refused in both modes") {
  TempDir dir;
  const std::string path = dir.Sub("journal.db");
  OpenJournal(path);
  {
    SQLite::Database db(path, SQLite::OPEN_READWRITE);
    db.exec("PRAGMA user_version = " + std::to_string(kJournalSchemaVersion + 1));
  }
  for (auto mode : {Journal::Mode::kReadWrite, Journal::Mode::kReadOnly}) {
    auto journal = Journal::Open(path, mode);
    REQUIRE_FALSE(journal.ok());
    CHECK(journal.status().code() == Code::kInvalid);
    CHECK(journal.status().message() ==
          "journal " + path +
              " has schema version " + std::to_string(kJournalSchemaVersion + 1) +
              ", this recsync understands up to " + std::to_string(kJournalSchemaVersion) +
              "; upgrade recsync");
  }
  CHECK(UserVersion(path) == kJournalSchemaVersion + 1);
}

TEST_CASE("a read-only open of an old journal asks for a read-write open instead of migrating") {
  TempDir dir;
  const std::string path = dir.Sub("journal.db");
  WriteVersion1Journal(path);
  auto journal = Journal::Open(path, Journal::Mode::kReadOnly);
  REQUIRE_FALSE(journal.ok());
  CHECK(journal.status().message().find("schema version 1") != std::string::npos);
  CHECK(journal.status().message().find("read-write") != std::string::npos);
  CHECK(UserVersion(path) == 1);
}

TEST_CASE("another application's SQLite database is not taken for a journal") {
  TempDir dir;
  const std::string path = dir.Sub("other.db");
  {
    SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("CREATE TABLE events(x); INSERT INTO events VALUES (1)");
  }
  for (auto mode : {Journal::Mode::kReadWrite, Journal::Mode::kReadOnly}) {
    auto journal = Journal::Open(path, mode);
    REQUIRE_FALSE(journal.ok());
    CHECK(journal.status().code() == Code::kInvalid);
    CHECK(journal.status().message().find("not a recsync journal") != std::string::npos);
  }
  SQLite::Database db(path, SQLite::OPEN_READONLY);
  CHECK(db.execAndGet("SELECT count(*) FROM events").getInt() == 1);
  CHECK(db.execAndGet("PRAGMA journal_mode").getString() == "delete");  // left as it was
}

}  // namespace
}  // namespace recsync::testing
