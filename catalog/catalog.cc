#include "catalog/catalog.h"

#include <map>

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

std::string DbConfig::Describe() const {
  std::string where;
  // The client library treats "localhost" as "use the unix socket".
  if (!host.empty() && host != "localhost") {
    const bool ipv6 = host.find(':') != std::string::npos;
    where = (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port ? port : MARIADB_PORT);
  } else {
    where = "unix:" + (socket.empty() ? std::string(MARIADB_UNIX_ADDR) : socket);
  }
  return user + "@" + where + "/" + dbname;
}

namespace {

constexpr std::chrono::milliseconds kFirstBackoff{100};
constexpr std::chrono::milliseconds kMaxBackoff{2000};

std::string Millis(std::chrono::milliseconds ms) { return std::to_string(ms.count()) + " ms"; }

// Reads "id, start, filepath" rows.
std::vector<MediaRow> ToMediaRows(const std::vector<mysql::Row>& rows) {
  std::vector<MediaRow> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    // start is NOT NULL in Bluecherry's schema; 0 stands in if it ever is.
    out.push_back(MediaRow{r[0].i, r[1].null ? 0 : r[1].i, r[2].bytes});
  }
  return out;
}

// The columns recsync reads or writes; selecting them with LIMIT 0 costs
// nothing and fails with "table X is missing" or "unknown column" when the
// database is not (or not yet) Bluecherry's.
Status CheckSchema(Session& session) {
  for (const char* sql : {"SELECT id, start, filepath, archive FROM Media LIMIT 0",
                          "SELECT id, media_id, archive FROM EventsCam LIMIT 0",
                          "SELECT priority, path FROM Storage LIMIT 0"}) {
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

Status Catalog::EnsureConnected() {
  if (mysql_) return Status::Ok();
  auto opened = mysql::Open(config_, options_);
  if (!opened.ok()) return opened.status();
  mysql_ = opened->release();
  return Status::Ok();
}

Status Catalog::WithRetry(const char* what, const std::function<Status()>& op) {
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + options_.retry_for;
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
    if (now >= deadline) {
      const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(now - start);
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

Result<std::vector<std::string>> Catalog::StorageRoots() {
  std::vector<std::string> roots;
  RECSYNC_RETURN_IF_ERROR(WithRetry("reading Storage", [&]() -> Status {
    Session session(mysql_, config_, "reading Storage");
    auto rows = session.Select("SELECT path FROM Storage ORDER BY priority");
    if (!rows.ok()) return rows.status();
    roots.clear();
    for (const auto& r : *rows) {
      if (r[0]) roots.push_back(*r[0]);
    }
    return Status::Ok();
  }));
  return roots;
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

Result<std::vector<MediaRow>> Catalog::ActiveRowsAfter(int64_t after_id, size_t limit) {
  std::vector<MediaRow> out;
  if (limit == 0) return out;
  const auto capped = static_cast<int64_t>(
      std::min<size_t>(limit, static_cast<size_t>(std::numeric_limits<int64_t>::max())));
  RECSYNC_RETURN_IF_ERROR(WithRetry("reading active Media rows", [&]() -> Status {
    Session session(mysql_, config_, "reading active Media rows");
    auto rows = session.Query(
        "SELECT id, start, filepath FROM Media"
        " WHERE archive = 0 AND filepath <> '' AND id > ? ORDER BY id LIMIT ?",
        {Param::Int(after_id), Param::Int(capped)},
        {ColumnType::kInt, ColumnType::kInt, ColumnType::kBytes});
    if (!rows.ok()) return rows.status();
    out = ToMediaRows(*rows);
    return Status::Ok();
  }));
  return out;
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

Result<std::vector<MediaRow>> Catalog::ActiveRowsByIds(const std::vector<int64_t>& ids) {
  std::vector<MediaRow> out;
  if (ids.empty()) return out;
  // Integers only, so the IN list needs no escaping.
  const std::string sql = "SELECT id, start, filepath FROM Media WHERE archive = 0 AND id IN (" +
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

Result<std::vector<int64_t>> Catalog::ArchiveBatch(const std::vector<int64_t>& ids) {
  return Archive(ids, nullptr);
}

Result<std::vector<int64_t>> Catalog::ArchiveRows(const std::vector<MediaRow>& rows) {
  std::vector<int64_t> ids;
  std::map<int64_t, std::string> expected;
  for (const auto& r : rows) {
    ids.push_back(r.id);
    expected[r.id] = r.filepath;
  }
  return Archive(ids, &expected);
}

Result<std::vector<int64_t>> Catalog::Archive(const std::vector<int64_t>& ids,
                                              const std::map<int64_t, std::string>* expected) {
  std::vector<int64_t> changed;
  if (ids.empty()) return changed;
  const std::string listed = mysql::JoinIds(ids);
  // Rows whose COMMIT was sent but not acknowledged: they may be archived
  // already when the retry looks, by this call.
  std::vector<int64_t> unacknowledged;
  RECSYNC_RETURN_IF_ERROR(WithRetry("archiving Media rows", [&]() -> Status {
    Session session(mysql_, config_, "archiving Media rows");
    mysql::Transaction txn(session);
    RECSYNC_RETURN_IF_ERROR(txn.Begin());
    // Locking the rows first makes "which rows did we change" exact even
    // when Bluecherry archives some of them at the same time.
    auto rows = session.Query("SELECT id, start, filepath FROM Media WHERE id IN (" + listed +
                                  ") AND archive = 0 ORDER BY id FOR UPDATE",
                              {}, {ColumnType::kInt, ColumnType::kInt, ColumnType::kBytes});
    if (!rows.ok()) return rows.status();
    changed.clear();
    for (const MediaRow& row : ToMediaRows(*rows)) {
      // A row whose path changed since it was checked (a rename, a storage
      // migration) is not the file that was found missing: leave it.
      if (expected) {
        auto it = expected->find(row.id);
        if (it == expected->end() || it->second != row.filepath) continue;
      }
      changed.push_back(row.id);
    }
    if (changed.empty()) return Status::Ok();  // nothing to do; the guard rolls back
    const std::string changing = mysql::JoinIds(changed);
    RECSYNC_RETURN_IF_ERROR(session.Exec("UPDATE Media SET archive = 1 WHERE id IN (" + changing +
                                         ") AND archive = 0"));
    RECSYNC_RETURN_IF_ERROR(session.Exec("UPDATE EventsCam SET archive = 1 WHERE media_id IN (" +
                                         changing + ") AND archive = 0"));
    if (before_commit_) before_commit_();
    Status committed = txn.Commit();
    if (committed.code() == Code::kUnavailable) {
      unacknowledged.insert(unacknowledged.end(), changed.begin(), changed.end());
    }
    return committed;
  }));
  changed.insert(changed.end(), unacknowledged.begin(), unacknowledged.end());
  std::sort(changed.begin(), changed.end());
  changed.erase(std::unique(changed.begin(), changed.end()), changed.end());
  return changed;
}

Result<bool> Catalog::UpdateFilepath(int64_t id, const std::string& new_path) {
  uint64_t affected = 0;
  RECSYNC_RETURN_IF_ERROR(WithRetry("updating a Media path", [&]() -> Status {
    Session session(mysql_, config_, "updating a Media path");
    auto rows = session.Query("UPDATE Media SET filepath = ? WHERE id = ? AND archive = 0",
                              {Param::Bytes(new_path), Param::Int(id)}, {}, &affected);
    return rows.status();
  }));
  return affected > 0;
}

}  // namespace recsync
