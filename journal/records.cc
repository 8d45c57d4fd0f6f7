// Journal: sweeps, actions and roots (events are in events.cc).
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <set>
#include <string>

#include "journal/internal.h"
#include "journal/journal.h"

#include <algorithm>
#include <optional>

namespace recsync {

using journal_internal::BindBytes;
using journal_internal::BindValue;
using journal_internal::ColumnBytes;
using journal_internal::Guarded;
using journal_internal::kActionColumns;
using journal_internal::ReadAction;
using journal_internal::RelaxedSync;
using journal_internal::SqlLimit;

namespace {

// The root in the current row of "SELECT path, st_dev, mount_point, fs_type,
// seen_ms, mount_path FROM roots".
RootRecord ReadRoot(SQLite::Statement& st) {
  RootRecord r;
  r.path = ColumnBytes(st.getColumn(0));
  // st_dev is a uint64_t stored in a signed column; the cast round-trips it.
  r.st_dev = static_cast<uint64_t>(st.getColumn(1).getInt64());
  r.mount_point = st.getColumn(2).getInt() != 0;
  r.fs_type = st.getColumn(3).getString();
  r.seen_ms = st.getColumn(4).getInt64();
  r.mount_path = ColumnBytes(st.getColumn(5));
  return r;
}

constexpr const char* kSweepColumns =
    "id, \"trigger\", started_ms, finished_ms, outcome, dry_run, checked, missing, unknown, "
    "archived, report";

SweepRecord ReadSweep(SQLite::Statement& st) {
  SweepRecord s;
  s.id = st.getColumn(0).getInt64();
  s.trigger = st.getColumn(1).getString();
  s.started_ms = st.getColumn(2).getInt64();
  s.finished_ms = st.getColumn(3).getInt64();
  s.outcome = st.getColumn(4).getString();
  s.dry_run = st.getColumn(5).getInt() != 0;
  s.checked = st.getColumn(6).getInt64();
  s.missing = st.getColumn(7).getInt64();
  s.unknown = st.getColumn(8).getInt64();
  s.archived = st.getColumn(9).getInt64();
  s.report_json = st.getColumn(10).getString();
  return s;
}

}  // namespace

// ---- sweeps ----

Result<int64_t> Journal::BeginSweep(const std::string& trigger, bool dry_run, int64_t started_ms) {
  return Guarded(path_, [&]() -> Result<int64_t> {
    // No fsync of its own: a crash before the sweep's first durable write
    // (an intent, or its end) only loses a "running" row nothing refers to.
    // A CLI sweep's first commit is also the one that creates the WAL file,
    // whose fsync took 25-35 ms of a 0.45 s sweep.
    RelaxedSync relaxed(*db_);
    SQLite::Statement st(*db_,
                         "INSERT INTO sweeps(\"trigger\", started_ms, outcome, dry_run) "
                         "VALUES (?, ?, 'running', ?)");
    st.bind(1, trigger);
    st.bind(2, static_cast<int64_t>(started_ms));
    st.bind(3, static_cast<int32_t>(dry_run ? 1 : 0));
    st.exec();
    return static_cast<int64_t>(db_->getLastInsertRowid());
  });
}

Status Journal::FinishSweep(const SweepRecord& r) {
  return Guarded(path_, [&]() -> Status {
    SQLite::Statement st(*db_,
                         "UPDATE sweeps SET finished_ms = ?, outcome = ?, checked = ?, "
                         "missing = ?, unknown = ?, archived = ?, report = ? WHERE id = ?");
    st.bind(1, static_cast<int64_t>(r.finished_ms));
    st.bind(2, r.outcome);
    st.bind(3, static_cast<int64_t>(r.checked));
    st.bind(4, static_cast<int64_t>(r.missing));
    st.bind(5, static_cast<int64_t>(r.unknown));
    st.bind(6, static_cast<int64_t>(r.archived));
    st.bind(7, r.report_json);
    st.bind(8, static_cast<int64_t>(r.id));
    if (st.exec() == 0) {
      return Status(Code::kNotFound,
                    "journal " + path_ + ": no sweep " + std::to_string(r.id) + " to finish");
    }
    return Status::Ok();
  });
}

Result<std::vector<SweepRecord>> Journal::ListSweeps(int64_t limit) {
  return Guarded(path_, [&]() -> Result<std::vector<SweepRecord>> {
    SQLite::Statement st(
        *db_, std::string("SELECT ") + kSweepColumns + " FROM sweeps ORDER BY id DESC LIMIT ?");
    st.bind(1, SqlLimit(limit));
    std::vector<SweepRecord> out;
    while (st.executeStep()) out.push_back(ReadSweep(st));
    return out;
  });
}

Result<std::optional<SweepRecord>> Journal::GetSweep(int64_t id) {
  return Guarded(path_, [&]() -> Result<std::optional<SweepRecord>> {
    SQLite::Statement st(*db_,
                         std::string("SELECT ") + kSweepColumns + " FROM sweeps WHERE id = ?");
    st.bind(1, static_cast<int64_t>(id));
    if (!st.executeStep()) return std::optional<SweepRecord>();
    return std::optional<SweepRecord>(ReadSweep(st));
  });
}

// ---- actions ----

namespace journal_internal {

ActionRecord ReadAction(SQLite::Statement& st) {
  ActionRecord a;
  a.id = st.getColumn(0).getInt64();
  a.media_id = st.getColumn(1).getInt64();
  a.path = ColumnBytes(st.getColumn(2));
  a.time_ms = st.getColumn(3).getInt64();
  a.action = ColumnValue(st.getColumn(4), ParseActionKind, "action");
  a.cause = ColumnValue(st.getColumn(5), ParseCause, "cause");
  a.cause_id = st.getColumn(6).getInt64();
  a.detail = st.getColumn(7).getString();
  return a;
}

void InsertActions(SQLite::Database& db, const ActionRefs& actions,
                   std::optional<int64_t> time_ms) {
  // A batch of 5,000 goes kPerStatement rows to an INSERT, which halves the
  // cost per row (one statement run, one sqlite_sequence update per group).
  constexpr size_t kPerStatement = 64;
  auto sql = [](size_t rows) {
    std::string text =
        "INSERT INTO actions(media_id, path, time_ms, action, cause, cause_id, detail) VALUES ";
    for (size_t r = 0; r < rows; ++r) text += r ? ",(?,?,?,?,?,?,?)" : "(?,?,?,?,?,?,?)";
    return text;
  };
  std::optional<SQLite::Statement> group;
  if (actions.size() >= kPerStatement) group.emplace(db, sql(kPerStatement));
  SQLite::Statement single(db, sql(1));
  for (size_t begin = 0; begin < actions.size();) {
    const size_t rows = actions.size() - begin >= kPerStatement ? kPerStatement : 1;
    SQLite::Statement& st = rows == kPerStatement ? *group : single;
    for (size_t r = 0; r < rows; ++r) {
      const ActionRecord& a = *actions[begin + r];
      const int at = static_cast<int>(r * 7);
      st.bind(at + 1, static_cast<int64_t>(a.media_id));
      BindBytes(st, at + 2, a.path);
      st.bind(at + 3, static_cast<int64_t>(time_ms.value_or(a.time_ms)));
      BindValue(st, at + 4, a.action);
      BindValue(st, at + 5, a.cause);
      st.bind(at + 6, static_cast<int64_t>(a.cause_id));
      st.bind(at + 7, a.detail);
    }
    st.exec();
    st.reset();
    begin += rows;
  }
}

}  // namespace journal_internal

ActionRefs RefsOf(const std::vector<ActionRecord>& actions) {
  ActionRefs refs;
  refs.reserve(actions.size());
  for (const auto& a : actions) refs.push_back(&a);
  return refs;
}

Status Journal::RecordActions(const std::vector<ActionRecord>& actions) {
  if (actions.empty()) return Status::Ok();
  return Guarded(path_, [&]() -> Status {
    SQLite::Transaction txn(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    journal_internal::InsertActions(*db_, RefsOf(actions));
    txn.commit();
    return Status::Ok();
  });
}

Result<std::vector<ActionRecord>> Journal::ListActions(const ActionFilter& filter) {
  return Guarded(path_, [&]() -> Result<std::vector<ActionRecord>> {
    std::string sql = std::string("SELECT ") + kActionColumns + " FROM actions WHERE confirmed = 1";
    if (filter.sweep_id) sql += " AND cause = 'sweep' AND cause_id = ?";
    if (filter.since_ms) sql += " AND time_ms >= ?";
    if (filter.action) sql += " AND action = ?";
    if (filter.cause) sql += " AND cause = ?";
    if (filter.before_id) sql += " AND id < ?";
    sql += filter.newest_first ? " ORDER BY id DESC LIMIT ?" : " ORDER BY id LIMIT ?";
    SQLite::Statement st(*db_, sql);
    int i = 0;
    if (filter.sweep_id) st.bind(++i, static_cast<int64_t>(*filter.sweep_id));
    if (filter.since_ms) st.bind(++i, static_cast<int64_t>(*filter.since_ms));
    if (filter.action) st.bind(++i, std::string(ToText(*filter.action)));
    if (filter.cause) st.bind(++i, std::string(ToText(*filter.cause)));
    if (filter.before_id) st.bind(++i, static_cast<int64_t>(*filter.before_id));
    st.bind(++i, SqlLimit(filter.limit));
    std::vector<ActionRecord> out;
    while (st.executeStep()) out.push_back(ReadAction(st));
    return out;
  });
}

Result<std::vector<DayCount>> Journal::ArchivesPerDay(int64_t since_ms) {
  return Guarded(path_, [&]() -> Result<std::vector<DayCount>> {
    // Binary search for the first action at or after since_ms: a few point
    // reads instead of a scan of years of audit rows.
    SQLite::Statement bounds(*db_, "SELECT IFNULL(MIN(id), 0), IFNULL(MAX(id), -1) FROM actions");
    bounds.executeStep();
    int64_t lo = bounds.getColumn(0).getInt64(), hi = bounds.getColumn(1).getInt64() + 1;
    SQLite::Statement at(*db_, "SELECT time_ms FROM actions WHERE id >= ? ORDER BY id LIMIT 1");
    while (lo < hi) {
      const int64_t mid = lo + (hi - lo) / 2;
      at.reset();
      at.bind(1, static_cast<int64_t>(mid));
      const bool before = at.executeStep() && at.getColumn(0).getInt64() < since_ms;
      if (before) lo = mid + 1; else hi = mid;
    }
    SQLite::Statement st(*db_,
                         "SELECT date(time_ms / 1000, 'unixepoch', 'localtime') AS day, COUNT(*)"
                         " FROM actions WHERE id >= ? AND time_ms >= ? AND confirmed = 1"
                         " AND action = 'archive' GROUP BY day ORDER BY day");
    st.bind(1, static_cast<int64_t>(lo));
    st.bind(2, static_cast<int64_t>(since_ms));
    std::vector<DayCount> out;
    while (st.executeStep()) out.push_back({st.getColumn(0).getString(), st.getColumn(1).getInt64()});
    return out;
  });
}

Result<std::vector<ActionRecord>> Journal::ArchivedSinceRestore(const std::string& path,
                                                                int64_t since_ms) {
  return Guarded(path_, [&]() -> Result<std::vector<ActionRecord>> {
    // Newest first: a row's restore hides its earlier archives. A path sees
    // a handful of actions in its life, so a bounded look back is enough.
    SQLite::Statement st(*db_, std::string("SELECT ") + kActionColumns +
                                   " FROM actions WHERE path = ? AND time_ms >= ?"
                                   " AND action IN ('archive', 'restore') ORDER BY id DESC"
                                   " LIMIT 256");
    BindBytes(st, 1, path);
    st.bind(2, static_cast<int64_t>(since_ms));
    std::vector<ActionRecord> out;
    std::set<int64_t> restored;
    while (st.executeStep()) {
      ActionRecord a = ReadAction(st);
      if (a.action == ActionKind::kRestore) {
        restored.insert(a.media_id);
      } else if (!restored.count(a.media_id)) {
        restored.insert(a.media_id);  // only its latest archive counts
        out.push_back(std::move(a));
      }
    }
    return out;
  });
}

Result<std::vector<RootRecord>> Journal::Roots() {
  return Guarded(path_, [&]() -> Result<std::vector<RootRecord>> {
    SQLite::Statement st(*db_,
                         "SELECT path, st_dev, mount_point, fs_type, seen_ms, mount_path FROM roots");
    std::vector<RootRecord> out;
    while (st.executeStep()) out.push_back(ReadRoot(st));
    return out;
  });
}

// ---- roots ----

Result<std::optional<RootRecord>> Journal::GetRoot(const std::string& path) {
  return Guarded(path_, [&]() -> Result<std::optional<RootRecord>> {
    SQLite::Statement st(*db_,
                         "SELECT path, st_dev, mount_point, fs_type, seen_ms, mount_path FROM roots "
                         "WHERE path = ?");
    BindBytes(st, 1, path);
    if (!st.executeStep()) return std::optional<RootRecord>();
    return std::optional<RootRecord>(ReadRoot(st));
  });
}

Status Journal::PutRoot(const RootRecord& root) {
  return Guarded(path_, [&]() -> Status {
    SQLite::Statement st(*db_,
                         "INSERT OR REPLACE INTO roots(path, st_dev, mount_point, fs_type, "
                         "seen_ms, mount_path) VALUES (?, ?, ?, ?, ?, ?)");
    BindBytes(st, 1, root.path);
    st.bind(2, static_cast<int64_t>(root.st_dev));
    st.bind(3, static_cast<int32_t>(root.mount_point ? 1 : 0));
    st.bind(4, root.fs_type);
    st.bind(5, static_cast<int64_t>(root.seen_ms));
    BindBytes(st, 6, root.mount_path);
    st.exec();
    return Status::Ok();
  });
}

}  // namespace recsync
