#include "catalog/catalog.h"

#include <cstdlib>

#include <mysqld_error.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <thread>

#include "catalog/mysql_handle.h"

namespace recsync {

using mysql::ColumnType;
using mysql::Param;
using mysql::Session;
using mysql::ToMediaRows;

namespace {

constexpr std::chrono::milliseconds kFirstBackoff{100};
constexpr std::chrono::milliseconds kMaxBackoff{2000};

std::string Millis(std::chrono::milliseconds ms) { return std::to_string(ms.count()) + " ms"; }

// An integer column read as text; 0 for NULL or anything unparsable.
int64_t ParseInt(const std::optional<std::string>& text) {
  int64_t value = 0;
  if (text) std::from_chars(text->data(), text->data() + text->size(), value);
  return value;
}

// The columns recsync reads or writes; selecting them with LIMIT 0 costs
// nothing and fails with "table X is missing" or "unknown column" when the
// database is not (or not yet) Bluecherry's.
Status CheckSchema(Session& session) {
  for (const char* sql : {"SELECT id, start, filepath, archive FROM Media LIMIT 0",
                          "SELECT id, media_id, archive FROM EventsCam LIMIT 0",
                          "SELECT priority, path, max_thresh, min_thresh FROM Storage LIMIT 0"}) {
    RECSYNC_RETURN_IF_ERROR(session.Exec(sql));
  }
  return Status::Ok();
}

}  // namespace

Catalog::Catalog(DbConfig config, CatalogOptions options)
    : config_(std::move(config)), options_(options) {}

Catalog::~Catalog() {
  if (mysql_) mysql_close(mysql_);
}

Result<std::unique_ptr<Catalog>> Catalog::Connect(const DbConfig& config,
                                                  const CatalogOptions& options) {
  std::unique_ptr<Catalog> catalog(new Catalog(config, options));
  Catalog* c = catalog.get();
  RECSYNC_RETURN_IF_ERROR(c->WithRetry("connecting", [c] {
    Session session(c->mysql_, c->config_, "checking the schema");
    return CheckSchema(session);
  }));
  return catalog;
}

Result<std::unique_ptr<Catalog>> Catalog::Another(bool retry_connect) const {
  // Same database, whose schema this one's Connect() already checked: only
  // the connection is new.
  CatalogOptions connecting = options_;
  if (!retry_connect) connecting.retry_for = std::chrono::milliseconds(0);
  std::unique_ptr<Catalog> other(new Catalog(config_, connecting));
  RECSYNC_RETURN_IF_ERROR(other->WithRetry("connecting", [] { return Status::Ok(); }));
  other->options_ = options_;  // its later calls retry as this one's do
  other->before_commit_ = before_commit_;
  other->on_retry_ = on_retry_;
  return other;
}

Status Catalog::EnsureConnected() {
  if (mysql_) return Status::Ok();
  auto opened = mysql::Open(config_, options_);
  if (!opened.ok()) return opened.status();
  mysql_ = opened->release();
  return Status::Ok();
}

Status Catalog::WithRetry(const char* what, const std::function<Status()>& op) {
  // The budget runs from the first failure, not from the call: a long read
  // (a sweep's rows, while the sweep waits for its listers) that loses its
  // connection late still gets its retries.
  std::optional<std::chrono::steady_clock::time_point> start;
  auto backoff = kFirstBackoff;
  for (int attempt = 1;; ++attempt) {
    Status status = EnsureConnected();
    if (status.ok()) status = op();
    if (status.code() != Code::kUnavailable) {
      if (attempt > 1 && status.ok()) {
        spdlog::info("database {}: {} succeeded after {} attempts", config_.Describe(), what,
                     attempt);
      }
      return status;
    }
    // The session may be dead or hold a half-done transaction (which the
    // server rolls back when the connection goes): start afresh next time.
    if (mysql_) {
      mysql_close(mysql_);
      mysql_ = nullptr;
    }
    const auto now = std::chrono::steady_clock::now();
    if (!start) start = now;
    const auto deadline = *start + options_.retry_for;
    if (now >= deadline) {
      const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(now - *start);
      return Status(Code::kUnavailable,
                    status.message() + " (gave up " + what + " after " + Millis(waited) + ")");
    }
    if (on_retry_) on_retry_(status);
    const auto pause = std::min<std::chrono::steady_clock::duration>(backoff, deadline - now);
    if (attempt == 1) {
      spdlog::warn("{}; retrying for up to {}", status.message(), Millis(options_.retry_for));
    } else {
      spdlog::debug("{}; attempt {} failed", status.message(), attempt);
    }
    std::this_thread::sleep_for(pause);
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

Result<std::vector<StorageInfo>> Catalog::StorageInfos() {
  std::vector<StorageInfo> infos;
  RECSYNC_RETURN_IF_ERROR(WithRetry("reading Storage", [&]() -> Status {
    Session session(mysql_, config_, "reading Storage");
    // The thresholds are DECIMAL(5,2); whole percent is all recsync needs.
    auto rows = session.Select(
        "SELECT path, priority, CAST(FLOOR(max_thresh) AS SIGNED),"
        " CAST(FLOOR(min_thresh) AS SIGNED) FROM Storage ORDER BY priority");
    if (!rows.ok()) return rows.status();
    infos.clear();
    for (const auto& r : *rows) {
      if (!r[0]) continue;  // path is NOT NULL in Bluecherry's schema
      infos.push_back({*r[0], ParseInt(r[1]), ParseInt(r[2]), ParseInt(r[3])});
    }
    return Status::Ok();
  }));
  return infos;
}

Result<std::vector<std::string>> Catalog::StorageRoots() {
  auto infos = StorageInfos();
  if (!infos.ok()) return infos.status();
  std::vector<std::string> roots;
  for (auto& info : *infos) roots.push_back(std::move(info.path));
  return roots;
}

Result<std::optional<UserAccount>> Catalog::FindUser(const std::string& username) {
  std::optional<UserAccount> found;
  RECSYNC_RETURN_IF_ERROR(WithRetry("reading Users", [&]() -> Status {
    Session session(mysql_, config_, "reading Users");
    auto rows = session.Query(
        "SELECT username, password, salt, IFNULL(access_setup, 0) FROM Users"
        " WHERE username = ? LIMIT 1",
        {Param::Bytes(username)},
        {ColumnType::kBytes, ColumnType::kBytes, ColumnType::kBytes, ColumnType::kInt});
    if (!rows.ok()) return rows.status();
    found.reset();
    if (!rows->empty()) {
      const auto& r = rows->front();
      found = UserAccount{r[0].bytes, r[1].bytes, r[2].bytes, r[3].i == 1};
    }
    return Status::Ok();
  }));
  return found;
}

Result<bool> Catalog::HasFilepathIndex() {
  bool found = false;
  RECSYNC_RETURN_IF_ERROR(WithRetry("reading Media's indexes", [&]() -> Status {
    Session session(mysql_, config_, "reading Media's indexes");
    std::vector<std::string> names;
    auto rows = session.Select("SHOW INDEX FROM Media", &names);
    if (!rows.ok()) return rows.status();
    auto column = [&](std::string_view name) -> size_t {
      return std::find(names.begin(), names.end(), name) - names.begin();
    };
    const size_t seq = column("Seq_in_index");
    const size_t col = column("Column_name");
    if (seq == names.size() || col == names.size()) {
      return Status(Code::kDatabase, "database " + config_.Describe() +
                                         ": SHOW INDEX has no Seq_in_index/Column_name column");
    }
    found = false;
    for (const auto& r : *rows) {
      // Column names are case-insensitive in MySQL; compare them that way.
      const std::string name = r[col].value_or("");
      const bool is_filepath =
          std::equal(name.begin(), name.end(), "filepath", "filepath" + 8,
                     [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
      if (is_filepath && r[seq].value_or("") == "1") found = true;
    }
    return Status::Ok();
  }));
  return found;
}

namespace {

// The highest id in Media, 0 when it is empty: the end of a read of active
// rows. Rows added later are younger than any grace period.
Result<int64_t> MaxId(Session& session) {
  auto rows = session.Query("SELECT COALESCE(MAX(id), 0) FROM Media", {}, {ColumnType::kInt});
  if (!rows.ok()) return rows.status();
  return rows->empty() ? int64_t{0} : (*rows)[0][0].i;
}

// See Catalog::NextIdSpan.
Result<std::optional<IdSpan>> NextSpan(Session& session, int64_t last, int64_t top,
                                       int64_t span) {
  if (last >= top) return std::optional<IdSpan>();
  auto rows = session.Query("SELECT MIN(id) FROM Media WHERE id > ?", {Param::Int(last)},
                            {ColumnType::kInt});
  if (!rows.ok()) return rows.status();
  if (rows->empty() || (*rows)[0][0].null) return std::optional<IdSpan>();
  const int64_t from = (*rows)[0][0].i - 1;
  return std::optional<IdSpan>(IdSpan{from, from > top - span ? top : from + span});
}

}  // namespace

Result<std::vector<MediaRow>> Catalog::ActiveRowsAfter(int64_t after_id, size_t limit) {
  std::vector<MediaRow> out;
  if (limit == 0) return out;
  const int64_t span = std::max<int64_t>(1, options_.id_span);
  RECSYNC_RETURN_IF_ERROR(WithRetry("reading active Media rows", [&]() -> Status {
    out.clear();
    Session session(mysql_, config_, "reading active Media rows");
    auto top = MaxId(session);
    if (!top.ok()) return top.status();
    for (int64_t last = after_id; out.size() < limit;) {
      auto next = NextSpan(session, last, *top, span);
      if (!next.ok()) return next.status();
      if (!*next) break;
      const auto [from, upto] = **next;
      const auto left = static_cast<int64_t>(std::min<size_t>(
          limit - out.size(), static_cast<size_t>(std::numeric_limits<int64_t>::max())));
      auto rows = session.Query(
          "SELECT id, start, filepath FROM Media FORCE INDEX (PRIMARY)"
          " WHERE archive = 0 AND filepath <> '' AND id > ? AND id <= ? ORDER BY id LIMIT ?",
          {Param::Int(from), Param::Int(upto), Param::Int(left)},
          {ColumnType::kInt, ColumnType::kInt, ColumnType::kBytes});
      if (!rows.ok()) return rows.status();
      for (auto& row : ToMediaRows(*rows)) out.push_back(std::move(row));
      last = upto;
    }
    return Status::Ok();
  }));
  return out;
}

Status Catalog::StreamActiveRows(int64_t after_id,
                                 const std::function<bool(const MediaRowView& row)>& fn) {
  const int64_t span = std::max<int64_t>(1, options_.id_span);
  auto top = MaxMediaId();
  if (!top.ok()) return top.status();
  bool stopped = false;
  auto keep_going = [&](const MediaRowView& row) {
    stopped = !fn(row);
    return !stopped;
  };
  for (int64_t last = after_id; !stopped;) {
    auto next = NextIdSpan(last, *top, span);
    if (!next.ok()) return next.status();
    if (!*next) break;
    RECSYNC_RETURN_IF_ERROR(StreamSpan(**next, *top, keep_going));
    last = (*next)->upto;
  }
  return Status::Ok();
}

Result<int64_t> Catalog::MaxMediaId() {
  int64_t top = 0;
  RECSYNC_RETURN_IF_ERROR(WithRetry("reading the highest Media id", [&]() -> Status {
    Session session(mysql_, config_, "reading the highest Media id");
    auto max_id = MaxId(session);
    if (!max_id.ok()) return max_id.status();
    top = *max_id;
    return Status::Ok();
  }));
  return top;
}

Result<std::optional<IdSpan>> Catalog::NextIdSpan(int64_t last, int64_t top, int64_t span) {
  std::optional<IdSpan> next;
  RECSYNC_RETURN_IF_ERROR(WithRetry("finding the next Media ids to read", [&]() -> Status {
    Session session(mysql_, config_, "finding the next Media ids to read");
    auto found = NextSpan(session, last, top, std::max<int64_t>(1, span));
    if (!found.ok()) return found.status();
    next = *found;
    return Status::Ok();
  }));
  return next;
}

Status Catalog::StreamSpan(IdSpan span, int64_t top,
                           const std::function<bool(const MediaRowView& row)>& fn) {
  int64_t last = span.from;  // every active row up to here was handed over
  bool stopped = false;
  return WithRetry("reading active Media rows", [&]() -> Status {
    Session session(mysql_, config_, "reading active Media rows");
    // Only integers go into the text: no escaping needed. Empty paths are
    // skipped here rather than compared by the server, a tenth of its work.
    // The span is a range of the primary key, read in order (catalog.h says
    // why the index is named).
    const std::string sql = "SELECT id, start, filepath FROM Media FORCE INDEX (PRIMARY)"
                            " WHERE archive = 0 AND id > " +
                            std::to_string(last) + " AND id <= " + std::to_string(span.upto) +
                            " ORDER BY id";
    return session.Stream(sql, {ColumnType::kInt, ColumnType::kInt, ColumnType::kBytes},
                          [&](const std::vector<mysql::ValueView>& row) {
                            const MediaRowView r{row[0].i, row[1].null ? 0 : row[1].i,
                                                 row[2].bytes, top};
                            last = r.id;
                            if (!r.filepath.empty() && !fn(r)) stopped = true;
                            return !stopped;
                          });
  });
}

Result<std::vector<MediaRow>> Catalog::ActiveRowsByPath(const std::string& path) {
  std::vector<MediaRow> out;
  RECSYNC_RETURN_IF_ERROR(WithRetry("looking up a Media path", [&]() -> Status {
    Session session(mysql_, config_, "looking up a Media path");
    // Compared in the column's collation so that an index on filepath is
    // used; that collation may fold case or ignore trailing spaces, hence the
    // exact byte comparison below.
    auto rows = session.Query(
        "SELECT id, start, filepath FROM Media WHERE filepath = ? AND archive = 0 ORDER BY id",
        {Param::Bytes(path)}, {ColumnType::kInt, ColumnType::kInt, ColumnType::kBytes});
    out.clear();
    if (!rows.ok()) {
      // The column's charset (utf8mb4) cannot hold these bytes, so no row
      // can have this path.
      if (session.last_error() == ER_INVALID_CHARACTER_STRING) return Status::Ok();
      return rows.status();
    }
    for (MediaRow& row : ToMediaRows(*rows)) {
      if (row.filepath == path) out.push_back(std::move(row));
    }
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<MediaRow>> Catalog::ActiveRowsUnder(const std::string& dir) {
  const std::string prefix = dir + "/";
  std::vector<MediaRow> out;
  RECSYNC_RETURN_IF_ERROR(WithRetry("looking up Media rows under a directory", [&]() -> Status {
    Session session(mysql_, config_, "looking up Media rows under a directory");
    // On the binary bytes, not in the column's collation (which may fold
    // case), and without LIKE (whose % and _ a path may contain). No index
    // serves this; directory moves are rare enough for a scan.
    auto rows = session.Query(
        "SELECT id, start, filepath FROM Media WHERE archive = 0"
        " AND LEFT(CAST(filepath AS BINARY), ?) = CAST(? AS BINARY) ORDER BY id",
        {Param::Int(static_cast<int64_t>(prefix.size())), Param::Bytes(prefix)},
        {ColumnType::kInt, ColumnType::kInt, ColumnType::kBytes});
    if (!rows.ok()) return rows.status();
    out.clear();
    for (MediaRow& row : ToMediaRows(*rows)) {
      if (row.filepath.compare(0, prefix.size(), prefix) == 0) out.push_back(std::move(row));
    }
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<MediaRow>> Catalog::ActiveRowsByIds(const std::vector<int64_t>& ids) {
  std::vector<MediaRow> out;
  if (ids.empty()) return out;
  // Integers only, so the IN list needs no escaping.
  const std::string sql =
      "SELECT id, start, filepath FROM Media FORCE INDEX (PRIMARY) WHERE archive = 0 AND id IN (" +
      mysql::JoinIds(ids) + ") ORDER BY id";
  RECSYNC_RETURN_IF_ERROR(WithRetry("reading Media rows by id", [&]() -> Status {
    Session session(mysql_, config_, "reading Media rows by id");
    auto rows = session.Query(sql, {}, {ColumnType::kInt, ColumnType::kInt, ColumnType::kBytes});
    if (!rows.ok()) return rows.status();
    out = ToMediaRows(*rows);
    return Status::Ok();
  }));
  return out;
}

}  // namespace recsync
