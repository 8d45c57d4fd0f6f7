// Intents: the actions of a catalog transaction, durable before its COMMIT,
// and replaced by the audit records of what happened once it returned.
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <catch2/catch.hpp>
#include <string>

#include "journal/journal.h"
#include "tests/journal/journal_test_util.h"
#include "tests/support/temp_dir.h"

namespace recsync::testing {
namespace {

const std::string kOddPath = "/rec/odd\nname \xff\xfe.mp4";

TEST_CASE("an intent keeps every field of its actions, bytes of paths included") {
  TempDir dir;
  auto journal = OpenJournal(dir.Sub("journal.db"));
  const std::vector<ActionRecord> planned = {
      ActionRecord::Archive(101, kOddPath, 1000, Cause::kSweep, 3),
      ActionRecord::Repath(102, "/rec/b.mp4", "/rec/b 2.mp4", 1001, Cause::kEvent, 9),
  };
  const int64_t id = Must(journal->RecordIntent(planned));
  auto intents = Must(journal->Intents());
  REQUIRE(intents.size() == 2);
  for (size_t i = 0; i < 2; ++i) {
    CHECK(intents[i].id == id);
    CHECK(intents[i].media_id == planned[i].media_id);
    CHECK(intents[i].path == planned[i].path);
    CHECK(intents[i].time_ms == planned[i].time_ms);
    CHECK(intents[i].action == planned[i].action);
    CHECK(intents[i].cause == planned[i].cause);
    CHECK(intents[i].cause_id == planned[i].cause_id);
    CHECK(intents[i].detail == planned[i].detail);
  }
  CHECK(Must(journal->ListActions({})).empty());  // not the audit trail yet
}

TEST_CASE("confirming intents records what happened and drops them, in one step") {
  TempDir dir;
  auto journal = OpenJournal(dir.Sub("journal.db"));
  const ActionRecord a = ActionRecord::Archive(101, "/rec/a.mp4", 1000, Cause::kSweep, 3);
  const ActionRecord b = ActionRecord::Archive(102, "/rec/b.mp4", 1000, Cause::kSweep, 3);
  const int64_t first = Must(journal->RecordIntent({a, b}));
  const int64_t retry = Must(journal->RecordIntent({a}));  // a retried transaction
  const int64_t other = Must(journal->RecordIntent({b}));
  CHECK(first != retry);

  // Only a changed: b's action goes with its intent.
  CHECK(Must(journal->ConfirmIntents({first, retry}, {a}, 5000)));
  auto actions = Must(journal->ListActions({}));
  REQUIRE(actions.size() == 1);
  CHECK(actions[0].media_id == 101);
  CHECK(actions[0].time_ms == 5000);  // when it took effect
  auto left = Must(journal->Intents());
  REQUIRE(left.size() == 1);
  CHECK(left[0].id == other);
}

TEST_CASE("an intent already settled by another connection is not recorded twice") {
  TempDir dir;
  const std::string path = dir.Sub("journal.db");
  auto one = OpenJournal(path);
  auto other = OpenJournal(path);
  const ActionRecord a = ActionRecord::Archive(101, "/rec/a.mp4", 1000, Cause::kSweep, 3);
  const int64_t id = Must(one->RecordIntent({a}));
  CHECK(Must(one->ConfirmIntents({id}, {a})));
  CHECK_FALSE(Must(other->ConfirmIntents({id}, {a})));
  CHECK(Must(other->ListActions({})).size() == 1);
}

TEST_CASE("an intent without actions is refused") {
  TempDir dir;
  auto journal = OpenJournal(dir.Sub("journal.db"));
  auto empty = journal->RecordIntent(std::vector<ActionRecord>{});
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.status().code() == Code::kInvalid);
  CHECK(Must(journal->Intents()).empty());
}

TEST_CASE("an intent that does not decode is set aside by its id, never read as actions") {
  TempDir dir;
  const std::string path = dir.Sub("journal.db");
  const ActionRecord a = ActionRecord::Archive(101, "/rec/a.mp4", 1000, Cause::kSweep, 3);
  const ActionRecord b = ActionRecord::Archive(102, "/rec/b.mp4", 1000, Cause::kSweep, 3);
  int64_t cut = 0, unknown = 0, good = 0;
  {
    auto journal = OpenJournal(path);
    cut = Must(journal->RecordIntent({a, b}));
    unknown = Must(journal->RecordIntent({a}));
    good = Must(journal->RecordIntent({b}));
  }
  {
    SQLite::Database db(path, SQLite::OPEN_READWRITE);
    // Cut in the middle of its second action; a format no recsync wrote.
    db.exec("UPDATE intents SET actions = substr(actions, 1, length(actions) - 5) WHERE id = " +
            std::to_string(cut));
    db.exec("UPDATE intents SET format = 99 WHERE id = " + std::to_string(unknown));
  }
  std::vector<int64_t> damaged;
  auto intents = Must(OpenJournal(path)->Intents(&damaged));
  CHECK(damaged == std::vector<int64_t>{cut, unknown});
  REQUIRE(intents.size() == 1);
  CHECK(intents[0].id == good);
  CHECK(intents[0].media_id == 102);
}

// Version 6 as released: the version-3 layout of migration_test.cc plus the
// 3->4, 4->5 and 5->6 steps, written out here so the test does not depend on
// schema.cc.
constexpr const char* kVersion6Schema = R"sql(
  CREATE TABLE events(seq INTEGER PRIMARY KEY AUTOINCREMENT, time_ms INTEGER NOT NULL,
    path BLOB NOT NULL, kind TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'pending',
    media_ids TEXT NOT NULL DEFAULT '', attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '', updated_ms INTEGER NOT NULL DEFAULT 0,
    cookie INTEGER NOT NULL DEFAULT 0, is_dir INTEGER NOT NULL DEFAULT 0);
  CREATE INDEX events_by_state ON events(state, seq);
  CREATE INDEX events_by_time ON events(time_ms);
  CREATE INDEX events_by_cookie ON events(cookie, seq) WHERE cookie <> 0;
  CREATE TABLE sweeps(id INTEGER PRIMARY KEY AUTOINCREMENT, "trigger" TEXT NOT NULL,
    started_ms INTEGER NOT NULL, finished_ms INTEGER NOT NULL DEFAULT 0,
    outcome TEXT NOT NULL DEFAULT 'running', dry_run INTEGER NOT NULL DEFAULT 0,
    checked INTEGER NOT NULL DEFAULT 0, missing INTEGER NOT NULL DEFAULT 0,
    unknown INTEGER NOT NULL DEFAULT 0, archived INTEGER NOT NULL DEFAULT 0,
    report TEXT NOT NULL DEFAULT '');
  CREATE TABLE actions(id INTEGER PRIMARY KEY AUTOINCREMENT, media_id INTEGER NOT NULL,
    path BLOB NOT NULL, time_ms INTEGER NOT NULL, action TEXT NOT NULL, cause TEXT NOT NULL,
    cause_id INTEGER NOT NULL, detail TEXT NOT NULL DEFAULT '',
    confirmed INTEGER NOT NULL DEFAULT 1);
  CREATE INDEX actions_by_cause ON actions(cause, cause_id);
  CREATE INDEX actions_unconfirmed ON actions(id) WHERE confirmed = 0;
  CREATE TABLE roots(path BLOB PRIMARY KEY, st_dev INTEGER NOT NULL,
    mount_point INTEGER NOT NULL, fs_type TEXT NOT NULL, seen_ms INTEGER NOT NULL,
    mount_path BLOB NOT NULL DEFAULT '');
  CREATE TABLE listings(dir BLOB PRIMARY KEY, st_dev INTEGER NOT NULL,
    st_ino INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL,
    listed_ms INTEGER NOT NULL, format INTEGER NOT NULL, names BLOB NOT NULL) WITHOUT ROWID;
)sql";

TEST_CASE("a version-6 journal's unconfirmed actions become an intent to settle") {
  TempDir dir;
  const std::string path = dir.Sub("journal.db");
  {
    SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec(kVersion6Schema);
    SQLite::Statement insert(db,
                             "INSERT INTO actions(media_id, path, time_ms, action, cause, "
                             "cause_id, detail, confirmed) VALUES (?, ?, ?, ?, 'sweep', 3, ?, ?)");
    auto add = [&](int64_t media, const std::string& file, int64_t time, const char* action,
                   const char* detail, int confirmed) {
      insert.bind(1, static_cast<int64_t>(media));
      insert.bind(2, static_cast<const void*>(file.data()), static_cast<int>(file.size()));
      insert.bind(3, static_cast<int64_t>(time));
      insert.bind(4, action);
      insert.bind(5, detail);
      insert.bind(6, confirmed);
      insert.exec();
      insert.reset();
    };
    add(4, "/rec/done.mp4", 10, "archive", "", 1);
    add(7, kOddPath, 20, "archive", "", 0);
    add(8, "/rec/c.mp4", 21, "repath", "/rec/c2.mp4", 0);
    db.exec("PRAGMA application_id = " + std::to_string(kJournalApplicationId));
    db.exec("PRAGMA user_version = 6");
  }
  auto journal = OpenJournal(path);
  auto actions = Must(journal->ListActions({}));
  REQUIRE(actions.size() == 1);
  CHECK(actions[0].media_id == 4);
  {
    // Gone from the table itself, not only from what ListActions shows, and
    // the index of unconfirmed actions with them.
    SQLite::Database db(path, SQLite::OPEN_READONLY);
    CHECK(db.execAndGet("SELECT count(*) FROM actions").getInt() == 1);
    CHECK(db.execAndGet("SELECT count(*) FROM sqlite_master WHERE name = 'actions_unconfirmed'")
              .getInt() == 0);
  }
  auto intents = Must(journal->Intents());
  REQUIRE(intents.size() == 2);
  CHECK(intents[0].id == intents[1].id);  // one intent, as one transaction's
  CHECK(intents[0].media_id == 7);
  CHECK(intents[0].path == kOddPath);
  CHECK(intents[0].time_ms == 20);
  CHECK(intents[1].action == ActionKind::kRepath);
  CHECK(intents[1].detail == "/rec/c2.mp4");
}

}  // namespace
}  // namespace recsync::testing
