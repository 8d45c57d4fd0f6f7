// Journal: the events table (appending, the pending queue, settling, lookups).
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <algorithm>
#include <charconv>
#include <string>
#include <string_view>

#include "journal/internal.h"
#include "journal/journal.h"

namespace recsync {

using journal_internal::BindBytes;
using journal_internal::BindValue;
using journal_internal::ColumnBytes;
using journal_internal::ColumnValue;
using journal_internal::Guarded;
using journal_internal::SqlLimit;

namespace {

constexpr const char* kEventColumns =
    "seq, time_ms, path, kind, state, media_ids, attempts, last_error, updated_ms, cookie, "
    "is_dir";

std::string JoinIds(const std::vector<int64_t>& ids) {
  std::string text;
  for (int64_t id : ids) {
    if (!text.empty()) text += ',';
    text += std::to_string(id);
  }
  return text;
}

std::vector<int64_t> SplitIds(std::string_view text) {
  std::vector<int64_t> ids;
  while (!text.empty()) {
    size_t comma = std::min(text.find(','), text.size());
    std::string_view piece = text.substr(0, comma);
    int64_t id = 0;
    auto [end, ec] = std::from_chars(piece.data(), piece.data() + piece.size(), id);
    if (ec == std::errc() && end == piece.data() + piece.size() && !piece.empty()) {
      ids.push_back(id);
    }
    text.remove_prefix(std::min(comma + 1, text.size()));
  }
  return ids;
}

EventRecord ReadEvent(SQLite::Statement& st) {
  EventRecord e;
  e.seq = st.getColumn(0).getInt64();
  e.time_ms = st.getColumn(1).getInt64();
  e.path = ColumnBytes(st.getColumn(2));
  e.kind = ColumnValue(st.getColumn(3), ParseJournaledKind, "event kind");
  e.state = ColumnValue(st.getColumn(4), ParseEventState, "event state");
  e.media_ids = SplitIds(st.getColumn(5).getString());
  e.attempts = st.getColumn(6).getInt();
  e.last_error = st.getColumn(7).getString();
  e.updated_ms = st.getColumn(8).getInt64();
  // Written from a uint32_t, so the value always fits.
  e.cookie = static_cast<uint32_t>(st.getColumn(9).getInt64());
  e.is_dir = st.getColumn(10).getInt() != 0;
  return e;
}

// Runs a query for at most one event.
std::optional<EventRecord> OneEvent(SQLite::Statement& st) {
  if (!st.executeStep()) return std::nullopt;
  return ReadEvent(st);
}

// The pending half of a rename with `cookie`: for kMovedTo the one of
// lowest seq after `seq`, for kMovedFrom the one of highest seq before it.
Result<std::optional<EventRecord>> PendingHalf(SQLite::Database& db, EventKind half,
                                               uint32_t cookie, int64_t seq) {
  const bool second = half == EventKind::kMovedTo;
  // "cookie <> 0" repeats the partial index's condition so SQLite uses it.
  SQLite::Statement st(db, std::string("SELECT ") + kEventColumns +
                               " FROM events WHERE cookie = ? AND cookie <> 0 AND seq " +
                               (second ? ">" : "<") +
                               " ? AND kind = ? AND state = 'pending' ORDER BY seq" +
                               (second ? "" : " DESC") + " LIMIT 1");
  st.bind(1, static_cast<int64_t>(cookie));
  st.bind(2, static_cast<int64_t>(seq));
  BindValue(st, 3, half);
  return OneEvent(st);
}

}  // namespace

Result<std::vector<int64_t>> Journal::AppendEvents(const std::vector<NewEvent>& events) {
  for (const NewEvent& e : events) {
    if (!IsJournaled(e.kind)) {
      return Status(Code::kInvalid, "journal " + path_ + ": '" + std::string(ToText(e.kind)) +
                                        "' events are not journaled");
    }
  }
  return Guarded(path_, [&]() -> Result<std::vector<int64_t>> {
    std::vector<int64_t> seqs;
    seqs.reserve(events.size());
    SQLite::Transaction txn(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement st(*db_,
                         "INSERT INTO events(time_ms, path, kind, state, updated_ms, cookie, "
                         "is_dir) VALUES (?, ?, ?, 'pending', ?, ?, ?)");
    for (const NewEvent& e : events) {
      st.bind(1, static_cast<int64_t>(e.time_ms));
      BindBytes(st, 2, e.path);
      BindValue(st, 3, e.kind);
      st.bind(4, static_cast<int64_t>(e.time_ms));
      st.bind(5, static_cast<int64_t>(e.cookie));
      st.bind(6, static_cast<int32_t>(e.is_dir ? 1 : 0));
      st.exec();
      st.reset();
      seqs.push_back(db_->getLastInsertRowid());
    }
    txn.commit();
    return seqs;
  });
}

Result<std::vector<EventRecord>> Journal::PendingEvents(int64_t after_seq, int64_t limit) {
  return Guarded(path_, [&]() -> Result<std::vector<EventRecord>> {
    SQLite::Statement st(*db_, std::string("SELECT ") + kEventColumns +
                                   " FROM events WHERE state = 'pending' AND seq > ?"
                                   " ORDER BY seq LIMIT ?");
    st.bind(1, static_cast<int64_t>(after_seq));
    st.bind(2, SqlLimit(limit));
    std::vector<EventRecord> out;
    while (st.executeStep()) out.push_back(ReadEvent(st));
    return out;
  });
}

Status Journal::SettleEvents(const std::vector<EventOutcome>& outcomes, int64_t now_ms) {
  return Guarded(path_, [&]() -> Status {
    SQLite::Transaction txn(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement st(*db_,
                         "UPDATE events SET state = ?, media_ids = ?, last_error = ?, "
                         "attempts = attempts + 1, updated_ms = ? WHERE seq = ?");
    for (const EventOutcome& o : outcomes) {
      BindValue(st, 1, o.state);
      st.bind(2, JoinIds(o.media_ids));
      st.bind(3, o.error);
      st.bind(4, static_cast<int64_t>(now_ms));
      st.bind(5, static_cast<int64_t>(o.seq));
      if (st.exec() == 0) {
        return Status(Code::kNotFound,
                      "journal " + path_ + ": no event " + std::to_string(o.seq) + " to settle");
      }
      st.reset();
    }
    txn.commit();
    return Status::Ok();
  });
}

Result<int64_t> Journal::SettlePending(EventKind kind, const std::string& path,
                                       int64_t up_to_seq, EventState state, int64_t now_ms) {
  return Guarded(path_, [&]() -> Result<int64_t> {
    std::string sql =
        "UPDATE events SET state = ?, attempts = attempts + 1, updated_ms = ? "
        "WHERE state = 'pending' AND kind = ? AND seq <= ?";
    if (!path.empty()) sql += " AND path = ?";
    SQLite::Statement st(*db_, sql);
    BindValue(st, 1, state);
    st.bind(2, static_cast<int64_t>(now_ms));
    BindValue(st, 3, kind);
    st.bind(4, static_cast<int64_t>(up_to_seq));
    if (!path.empty()) BindBytes(st, 5, path);
    return static_cast<int64_t>(st.exec());
  });
}

Result<int64_t> Journal::SettlePendingSeenBy(EventKind kind, int64_t seen_by_ms,
                                             EventState state, int64_t now_ms) {
  return Guarded(path_, [&]() -> Result<int64_t> {
    SQLite::Statement st(*db_,
                         "UPDATE events SET state = ?, attempts = attempts + 1, updated_ms = ? "
                         "WHERE state = 'pending' AND kind = ? AND time_ms <= ?");
    BindValue(st, 1, state);
    st.bind(2, static_cast<int64_t>(now_ms));
    BindValue(st, 3, kind);
    st.bind(4, static_cast<int64_t>(seen_by_ms));
    return static_cast<int64_t>(st.exec());
  });
}

Result<std::optional<EventRecord>> Journal::FindPendingMovedTo(uint32_t cookie, int64_t after_seq) {
  return Guarded(path_, [&] { return PendingHalf(*db_, EventKind::kMovedTo, cookie, after_seq); });
}

Result<std::optional<EventRecord>> Journal::FindPendingMovedFrom(uint32_t cookie,
                                                                 int64_t before_seq) {
  return Guarded(path_,
                 [&] { return PendingHalf(*db_, EventKind::kMovedFrom, cookie, before_seq); });
}

Result<std::vector<DeletedPath>> Journal::DeletedPathsSince(int64_t since_ms) {
  return Guarded(path_, [&]() -> Result<std::vector<DeletedPath>> {
    SQLite::Statement st(*db_,
                         "SELECT path, is_dir FROM events WHERE time_ms >= ?"
                         " AND kind IN ('deleted', 'moved_from') AND state <> 'ignored'");
    st.bind(1, static_cast<int64_t>(since_ms));
    std::vector<DeletedPath> out;
    while (st.executeStep()) {
      out.push_back({ColumnBytes(st.getColumn(0)), st.getColumn(1).getInt() != 0});
    }
    return out;
  });
}

Result<int64_t> Journal::LastSeq() {
  return Guarded(path_, [&]() -> Result<int64_t> {
    // sqlite_sequence remembers the highest seq AUTOINCREMENT handed out even
    // after those rows are pruned; max(seq) covers a file whose
    // sqlite_sequence row is missing.
    return db_
        ->execAndGet(
            "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0), "
            "coalesce((SELECT max(seq) FROM events), 0))")
        .getInt64();
  });
}

Result<int64_t> Journal::CountEvents(EventState state) {
  return Guarded(path_, [&]() -> Result<int64_t> {
    SQLite::Statement st(*db_, "SELECT count(*) FROM events WHERE state = ?");
    BindValue(st, 1, state);
    st.executeStep();
    return st.getColumn(0).getInt64();
  });
}

Result<std::vector<EventRecord>> Journal::ListEvents(const EventFilter& filter) {
  return Guarded(path_, [&]() -> Result<std::vector<EventRecord>> {
    std::string sql = std::string("SELECT ") + kEventColumns + " FROM events WHERE 1";
    if (filter.state) sql += " AND state = ?";
    if (filter.kind) sql += " AND kind = ?";
    if (filter.since_ms) sql += " AND time_ms >= ?";
    if (filter.path_glob) sql += " AND CAST(path AS TEXT) GLOB ?";
    if (filter.before_seq) sql += " AND seq < ?";
    sql += " ORDER BY seq DESC LIMIT ?";
    SQLite::Statement st(*db_, sql);
    int i = 0;
    if (filter.state) BindValue(st, ++i, *filter.state);
    if (filter.kind) BindValue(st, ++i, *filter.kind);
    if (filter.since_ms) st.bind(++i, static_cast<int64_t>(*filter.since_ms));
    if (filter.path_glob) st.bind(++i, *filter.path_glob);
    if (filter.before_seq) st.bind(++i, static_cast<int64_t>(*filter.before_seq));
    st.bind(++i, SqlLimit(filter.limit));
    std::vector<EventRecord> out;
    while (st.executeStep()) out.push_back(ReadEvent(st));
    return out;
  });
}

Result<std::optional<EventRecord>> Journal::GetEvent(int64_t seq) {
  return Guarded(path_, [&]() -> Result<std::optional<EventRecord>> {
    SQLite::Statement st(*db_,
                         std::string("SELECT ") + kEventColumns + " FROM events WHERE seq = ?");
    st.bind(1, static_cast<int64_t>(seq));
    return OneEvent(st);
  });
}

}  // namespace recsync
