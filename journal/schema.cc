// Schema migrations (what each version holds: journal/schema.md) and the
// mapping of SQLite failures to Status.
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Transaction.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <cerrno>

#include <string>

#include "common/access.h"
#include "journal/internal.h"
#include "journal/journal.h"
#include "journal/journal_fault.h"

namespace recsync::journal_internal {
namespace {

// Each step takes the schema from `to - 1` to `to`. Steps are never edited once
// released: a journal written by an old binary must migrate the same way.
struct Migration {
  int to;
  const char* sql;
  void (*then)(SQLite::Database&) = nullptr;  // data moved after `sql`
};

constexpr Migration kMigrations[] = {
    {1, R"sql(
      CREATE TABLE events(
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        time_ms INTEGER NOT NULL,
        path BLOB NOT NULL,
        kind TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending',
        media_ids TEXT NOT NULL DEFAULT '',
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT NOT NULL DEFAULT '');
      CREATE INDEX events_by_state ON events(state, seq);
      CREATE TABLE sweeps(
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        "trigger" TEXT NOT NULL,
        started_ms INTEGER NOT NULL,
        finished_ms INTEGER NOT NULL DEFAULT 0,
        outcome TEXT NOT NULL DEFAULT 'running',
        dry_run INTEGER NOT NULL DEFAULT 0,
        checked INTEGER NOT NULL DEFAULT 0,
        missing INTEGER NOT NULL DEFAULT 0,
        unknown INTEGER NOT NULL DEFAULT 0,
        archived INTEGER NOT NULL DEFAULT 0,
        report TEXT NOT NULL DEFAULT '');
      CREATE TABLE actions(
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        media_id INTEGER NOT NULL,
        path BLOB NOT NULL,
        time_ms INTEGER NOT NULL,
        action TEXT NOT NULL,
        cause TEXT NOT NULL,
        cause_id INTEGER NOT NULL);
    )sql"},
    {2, R"sql(
      ALTER TABLE events ADD COLUMN updated_ms INTEGER NOT NULL DEFAULT 0;
      UPDATE events SET updated_ms = time_ms;
      CREATE INDEX events_by_time ON events(time_ms);
      ALTER TABLE actions ADD COLUMN detail TEXT NOT NULL DEFAULT '';
      CREATE INDEX actions_by_cause ON actions(cause, cause_id);
      CREATE TABLE roots(
        path BLOB PRIMARY KEY,
        st_dev INTEGER NOT NULL,
        mount_point INTEGER NOT NULL,
        fs_type TEXT NOT NULL,
        seen_ms INTEGER NOT NULL);
    )sql"},
    {3, R"sql(
      ALTER TABLE roots ADD COLUMN mount_path BLOB NOT NULL DEFAULT '';
    )sql"},
    // events_by_state (state, seq) from version 1 already serves the pending
    // queue and CountEvents(); the partial index keeps rename pairing cheap
    // while a backlog is pending, without indexing the many cookie-0 events.
    {4, R"sql(
      ALTER TABLE events ADD COLUMN cookie INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE events ADD COLUMN is_dir INTEGER NOT NULL DEFAULT 0;
      CREATE INDEX events_by_cookie ON events(cookie, seq) WHERE cookie <> 0;
    )sql"},
    // Intents: an action is written unconfirmed before the catalog COMMIT and
    // confirmed after it, so a crash between the two leaves a trace that the
    // next start settles against the catalog. Released actions are confirmed.
    {5, R"sql(
      ALTER TABLE actions ADD COLUMN confirmed INTEGER NOT NULL DEFAULT 1;
      CREATE INDEX actions_unconfirmed ON actions(id) WHERE confirmed = 0;
    )sql"},
    // Folder listings a sweep may reuse while the folder is unchanged
    // (reconcile/listing_cache.h); a cache, so nothing migrates into it.
    {6, R"sql(
      CREATE TABLE listings(
        dir BLOB PRIMARY KEY,
        st_dev INTEGER NOT NULL,
        st_ino INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        ctime_ns INTEGER NOT NULL,
        listed_ms INTEGER NOT NULL,
        format INTEGER NOT NULL,
        names BLOB NOT NULL) WITHOUT ROWID;
    )sql"},
    // Intents get their own table, one row per catalog transaction
    // (journal/intents.cc): confirming a batch then inserts its actions once
    // instead of updating each. The old unconfirmed actions move there, and
    // their index goes (MoveLegacyIntents).
    {7, R"sql(
      CREATE TABLE intents(
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        time_ms INTEGER NOT NULL,
        format INTEGER NOT NULL,
        actions BLOB NOT NULL);
    )sql",
     MoveLegacyIntents},
    // A file that comes back at the path of a row recsync archived gets the
    // row restored: found by path (Journal::ArchivedSinceRestore).
    {8, R"sql(
      CREATE INDEX actions_by_path ON actions(path, id);
    )sql"},
};
static_assert(sizeof(kMigrations) / sizeof(kMigrations[0]) == kJournalSchemaVersion,
              "one migration step per schema version");

std::string DirOf(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string BaseOf(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

// SQLITE_CORRUPT, SQLITE_NOTADB and a filesystem that reports corruption:
// the file is damaged (or not a journal at all). One Code, one fix.
bool IsCorruption(int sqlite_code) {
  return (sqlite_code & 0xff) == SQLITE_CORRUPT || (sqlite_code & 0xff) == SQLITE_NOTADB ||
         sqlite_code == SQLITE_IOERR_CORRUPTFS;
}

namespace {

// What stops the journal at `path` from being opened for writing, said
// plainly: the permission in the way (mode and owner), a directory that does
// not exist, or, when neither shows, what to check.
std::string OpenFix(const std::string& path, const std::string& dir) {
  if (auto denial = FindAccessDenial(path, /*write=*/true)) {
    return DescribeDenial(*denial, "give that user write access to " + dir + " or set --journal");
  }
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0 && errno == ENOENT) {
    return "directory " + dir + " does not exist; create it or set --journal";
  }
  return "check permissions of " + dir + " and " + BaseOf(path) + " or set --journal";
}

}  // namespace

Status SqliteError(const std::string& path, int sqlite_code, const std::string& what) {
  if (IsCorruption(sqlite_code)) {
    std::string message = "journal " + path + ": " + what + ": ";
    if ((sqlite_code & 0xff) == SQLITE_NOTADB) {
      message += "the file is damaged or is not a recsync journal; if it is the journal, " +
                 MoveAsideFix(path) + "; else set --journal";
    } else {
      message += "the file is damaged; " + MoveAsideFix(path);
    }
    Status status(Code::kCorrupt, std::move(message));
    ReportFault(JournalFault{path, status, what});
    return status;
  }
  const std::string dir = DirOf(path);
  Code code = Code::kIo;
  std::string fix;
  switch (sqlite_code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      code = Code::kBusy;
      fix = "another process holds it; wait, or stop the other recsync";
      break;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
    case SQLITE_CANTOPEN:
      fix = OpenFix(path, dir);
      break;
    case SQLITE_FULL:
      fix = "free space on the filesystem of " + dir;
      break;
    case SQLITE_IOERR:
      fix = "check the filesystem and device of " + dir + "; if the file cannot be read any "
            "more, " + MoveAsideFix(path);
      break;
    default:
      break;
  }
  std::string message = "journal " + path + ": " + what;
  if (!fix.empty()) message += " (" + fix + ")";
  return Status(code, std::move(message));
}

Status SqliteError(const std::string& path, const SQLite::Exception& e) {
  const int extended = e.getExtendedErrorCode();
  return SqliteError(path, extended > 0 ? extended : e.getErrorCode(), e.what());
}

RelaxedSync::RelaxedSync(SQLite::Database& db) : db_(db) { db_.exec("PRAGMA synchronous=NORMAL"); }

RelaxedSync::~RelaxedSync() {
  try {
    db_.exec("PRAGMA synchronous=FULL");
  } catch (const SQLite::Exception&) {
    // Setting a pragma does no I/O; nothing to recover here.
  }
}

int ReadUserVersion(SQLite::Database& db) { return db.execAndGet("PRAGMA user_version").getInt(); }

int32_t ReadApplicationId(SQLite::Database& db) {
  return db.execAndGet("PRAGMA application_id").getInt();
}

Status CheckCompatible(SQLite::Database& db, const std::string& path, int version) {
  const int32_t app_id = ReadApplicationId(db);
  bool ours = app_id == kJournalApplicationId;
  if (version == 0 && app_id == 0) {
    // A fresh (empty) file is ours to initialise; one with tables is not.
    ours = db.execAndGet("SELECT count(*) FROM sqlite_master").getInt64() == 0;
  }
  if (!ours) {
    return Status(Code::kInvalid, "journal " + path +
                                      ": is a SQLite database but not a recsync journal "
                                      "(move it aside or set --journal)");
  }
  if (version > kJournalSchemaVersion) {
    return Status(Code::kInvalid, "journal " + path + " has schema version " +
                                      std::to_string(version) +
                                      ", this recsync understands up to " +
                                      std::to_string(kJournalSchemaVersion) + "; upgrade recsync");
  }
  return Status::Ok();
}

Status Migrate(SQLite::Database& db, const std::string& path) {
  return Guarded(path, [&]() -> Status {
    // IMMEDIATE takes the write lock before reading the version, so two
    // processes opening a fresh file cannot both run the same migration.
    SQLite::Transaction txn(db, SQLite::TransactionBehavior::IMMEDIATE);
    int version = ReadUserVersion(db);
    RECSYNC_RETURN_IF_ERROR(CheckCompatible(db, path, version));
    if (version == kJournalSchemaVersion) return Status::Ok();  // probe done; roll back
    for (const Migration& step : kMigrations) {
      if (step.to <= version) continue;
      db.exec(step.sql);
      if (step.then) step.then(db);
      version = step.to;
    }
    db.exec("PRAGMA application_id = " + std::to_string(kJournalApplicationId));
    db.exec("PRAGMA user_version = " + std::to_string(version));
    txn.commit();
    return Status::Ok();
  });
}

}  // namespace recsync::journal_internal
