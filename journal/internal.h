// Internals shared by the journal's translation units; not part of its API.
#pragma once

#include <SQLiteCpp/Column.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>

#include <cstdint>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace SQLite {
class Database;
}

namespace recsync {
struct ActionRecord;
struct JournalFault;
using ActionRefs = std::vector<const ActionRecord*>;
}

namespace recsync::journal_internal {

// One line naming the journal, SQLite's reason and the operator's fix, with a
// code chosen from the SQLite result code (busy/locked -> kBusy, not a
// database -> kInvalid, anything else -> kIo).
Status SqliteError(const std::string& path, const SQLite::Exception& e);
Status SqliteError(const std::string& path, int sqlite_code, const std::string& what);

// Creates the journal file (mode 0640, missing directories 0750) unless it
// exists; a -wal or -shm file left beside a journal that was not there is
// renamed to <name>.orphaned so SQLite cannot replay it into the new file.
Status EnsureJournalFile(const std::string& path);

// Hands a kCorrupt fault to the process's handler (journal_fault.h).
void ReportFault(const JournalFault& fault);
// The operator's fix for a damaged journal, naming both paths.
std::string MoveAsideFix(const std::string& path);

// Runs `body` (returning Status or Result<T>), turning any exception into a
// Status so none escapes the Journal API.
template <typename F>
auto Guarded(const std::string& path, F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const SQLite::Exception& e) {
    return SqliteError(path, e);
  } catch (const std::exception& e) {
    return Status(Code::kIo, "journal " + path + ": " + e.what());
  }
}

// Paths are bytes: bound and read as BLOBs so nothing is re-encoded.
inline void BindBytes(SQLite::Statement& st, int index, const std::string& bytes) {
  st.bind(index, static_cast<const void*>(bytes.data()), static_cast<int>(bytes.size()));
}
inline std::string ColumnBytes(const SQLite::Column& column) {
  const void* data = column.getBlob();  // before getBytes(), as SQLite asks
  int size = column.getBytes();
  return data ? std::string(static_cast<const char*>(data), static_cast<size_t>(size))
              : std::string();
}

// Binds the text of an enum value (journal/vocabulary.h): a string literal,
// so SQLite need not copy it.
template <typename E>
void BindValue(SQLite::Statement& st, int index, E value) {
  st.bindNoCopy(index, ToText(value).data());
}

// The value a text column names (journal/vocabulary.h, common/event_kind.h),
// read with `parse`. Text this binary does not know throws, which Guarded()
// turns into a Status naming the journal: only a newer recsync writes it.
template <typename E>
E ColumnValue(const SQLite::Column& column, std::optional<E> (*parse)(std::string_view),
              const char* what) {
  const std::string text = column.getString();
  if (auto value = parse(text)) return *value;
  throw std::runtime_error(std::string(what) + " '" + text +
                           "' is not one this recsync knows (was the journal written by a "
                           "newer version?)");
}

// For the life of the guard, commits on `db` do not fsync (synchronous=NORMAL
// under WAL): for a write whose loss in a crash harms nothing, because the
// next FULL commit (every event and action) syncs its pages too, WAL frames
// being written in order. Every other write keeps FULL, however the guarded
// one ends.
class RelaxedSync {
 public:
  explicit RelaxedSync(SQLite::Database& db);
  ~RelaxedSync();
  RelaxedSync(const RelaxedSync&) = delete;
  RelaxedSync& operator=(const RelaxedSync&) = delete;

 private:
  SQLite::Database& db_;
};

// SQLite reads a negative LIMIT as "no limit".
inline int64_t SqlLimit(int64_t limit) { return limit > 0 ? limit : -1; }

// PRAGMA user_version and application_id of the open database.
int ReadUserVersion(SQLite::Database& db);
int32_t ReadApplicationId(SQLite::Database& db);

// Checks that the database is a recsync journal this binary can use, without
// writing: kInvalid for another application's SQLite file or a newer schema.
// `version` is the file's user_version.
Status CheckCompatible(SQLite::Database& db, const std::string& path, int version);

// The columns of `actions` ReadAction() reads, in its order.
inline constexpr const char* kActionColumns =
    "id, media_id, path, time_ms, action, cause, cause_id, detail";
// The action in the current row of a statement selecting kActionColumns.
ActionRecord ReadAction(SQLite::Statement& st);

// Inserts `actions` into the audit trail (confirmed), inside the caller's
// transaction. `time_ms`, when given, replaces each action's own time.
void InsertActions(SQLite::Database& db, const ActionRefs& actions,
                   std::optional<int64_t> time_ms = std::nullopt);

// Migration 6->7: moves the unconfirmed actions of a version-6 journal into
// one intent and drops their index, inside the migration's transaction.
void MoveLegacyIntents(SQLite::Database& db);

// Checks, cheaply, a journal of the current schema version for damage: the
// header (SQLite reads it first), the schema (every table and index of the
// current version, with its columns) and both edges of every table and index
// b-tree (a few pages each). Not PRAGMA quick_check, which reads the whole
// file (1.4 s warm, 6 s cold for 1 M actions). kCorrupt naming the fix.
Status CheckStructure(SQLite::Database& db, const std::string& path);

// Brings the schema to kJournalSchemaVersion inside one IMMEDIATE transaction
// (which doubles as the write probe when nothing needs migrating).
Status Migrate(SQLite::Database& db, const std::string& path);

}  // namespace recsync::journal_internal
