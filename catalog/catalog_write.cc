// Catalog: the writing side (archiving and re-pointing rows). Connecting,
// retries and the reads are in catalog.cc.
#include <algorithm>
#include <future>
#include <map>

#include "catalog/catalog.h"
#include "catalog/mysql_handle.h"
#include "common/threads.h"

namespace recsync {

using mysql::ColumnType;
using mysql::Param;
using mysql::Session;
using mysql::ToMediaRows;

namespace {

// From this many rows on, Archive() runs its hook on a second thread while
// the server works; below it a thread costs more than it saves.
constexpr size_t kConcurrentHookRows = 256;

// A path for a message: on one line, and cut short when long.
std::string Shown(const std::string& path) {
  constexpr size_t kMax = 160;
  std::string out = "\"";
  out += mysql::OneLine(std::string_view(path).substr(0, kMax));
  out += path.size() <= kMax ? "\"" : "...\"";
  return out;
}

// The server refused `path` for row `id` (kRejected from the UPDATE): the
// call fails as a whole, so no row of it was re-pointed.
Status Unstorable(const Status& refused, int64_t id, const std::string& path) {
  return Status(Code::kRejected, refused.message() + "; nothing was re-pointed: Media row " +
                                     std::to_string(id) + " cannot take the new path " +
                                     Shown(path) + " (" + std::to_string(path.size()) +
                                     " bytes)");
}

// Reads back, inside the transaction that wrote them, the paths of the rows
// in `written` (id -> the path sent): kRejected unless every one is stored
// byte for byte. Strict mode already makes the server refuse what it cannot
// store; this proves it, whatever the server did.
Status VerifyPaths(Session& session, const DbConfig& config, const std::string& what,
                   const std::map<int64_t, std::string>& written) {
  std::vector<int64_t> ids;
  for (const auto& [id, path] : written) ids.push_back(id);
  auto rows = session.Query("SELECT id, start, filepath FROM Media WHERE id IN (" +
                                mysql::JoinIds(ids) + ") ORDER BY id",
                            {}, {ColumnType::kInt, ColumnType::kInt, ColumnType::kBytes});
  if (!rows.ok()) return rows.status();
  std::map<int64_t, std::string> stored;
  for (MediaRow& row : ToMediaRows(*rows)) stored[row.id] = std::move(row.filepath);
  for (const auto& [id, path] : written) {
    auto it = stored.find(id);
    if (it != stored.end() && it->second == path) continue;
    const std::string got =
        it == stored.end() ? "no row" : std::to_string(it->second.size()) + " different bytes";
    return Status(Code::kRejected,
                  "database " + config.Describe() + ": " + what + ": Media row " +
                      std::to_string(id) + " reads back " + got + " for the new path " +
                      Shown(path) + " (" + std::to_string(path.size()) +
                      " bytes): the server did not store it as sent; nothing was re-pointed");
  }
  return Status::Ok();
}

// COMMITs a change of the rows `changed`, after the test hook. A COMMIT whose
// answer was lost (kUnavailable) may have happened: its rows are added to
// `unacknowledged`, so that the call still counts them once the retry finds
// them changed already.
Status CommitChange(mysql::Transaction& txn, const BeforeCommitHook& hook,
                    const std::vector<int64_t>& changed, std::vector<int64_t>* unacknowledged) {
  if (hook) hook();
  Status committed = txn.Commit();
  if (committed.code() == Code::kUnavailable) {
    unacknowledged->insert(unacknowledged->end(), changed.begin(), changed.end());
  }
  return committed;
}

// The rows a call changed: those of its last attempt and those of any COMMIT
// whose answer was lost, ascending, each once.
std::vector<int64_t> WithUnacknowledged(std::vector<int64_t> changed,
                                        const std::vector<int64_t>& unacknowledged) {
  changed.insert(changed.end(), unacknowledged.begin(), unacknowledged.end());
  std::sort(changed.begin(), changed.end());
  changed.erase(std::unique(changed.begin(), changed.end()), changed.end());
  return changed;
}

// Locks the rows of `listed` (ids, comma-separated) whose archive flag is
// `archive`, in id order. Locking first makes "which rows did we change"
// exact even when Bluecherry archives or rewrites some of them at the same
// time: such a row is either seen here as it ends up or waits for this
// transaction.
Result<std::vector<MediaRow>> LockRows(Session& session, const std::string& listed, int archive) {
  auto rows = session.Query("SELECT id, start, filepath FROM Media FORCE INDEX (PRIMARY)"
                            " WHERE id IN (" + listed + ") AND archive = " +
                                std::to_string(archive) + " ORDER BY id FOR UPDATE",
                            {}, {ColumnType::kInt, ColumnType::kInt, ColumnType::kBytes});
  if (!rows.ok()) return rows.status();
  return ToMediaRows(*rows);
}

}  // namespace

Result<std::vector<int64_t>> Catalog::ArchiveBatch(const std::vector<int64_t>& ids) {
  return Archive(ids, nullptr, nullptr);
}

Result<std::vector<int64_t>> Catalog::ArchiveRows(const std::vector<MediaRow>& rows,
                                                  const ChangeHook& before_commit) {
  std::vector<int64_t> ids;
  std::map<int64_t, std::string> expected;
  for (const auto& r : rows) {
    ids.push_back(r.id);
    expected[r.id] = r.filepath;
  }
  return Archive(ids, &expected, before_commit);
}

Result<std::vector<int64_t>> Catalog::Archive(const std::vector<int64_t>& ids,
                                              const std::map<int64_t, std::string>* expected,
                                              const ChangeHook& before_commit) {
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
    auto rows = LockRows(session, listed, 0);
    if (!rows.ok()) return rows.status();
    changed.clear();
    for (const MediaRow& row : *rows) {
      // A row whose path changed since it was checked (a rename, a storage
      // migration) is not the file that was found missing: leave it.
      if (expected) {
        auto it = expected->find(row.id);
        if (it == expected->end() || it->second != row.filepath) continue;
      }
      changed.push_back(row.id);
    }
    if (changed.empty()) return Status::Ok();  // nothing to do; the guard rolls back
    // A large batch's hook (the journal's intents) runs while the server
    // updates the rows: both are done before the COMMIT, and neither waits
    // for the other. The future joins on every way out of this scope.
    std::future<Status> hooked;
    if (before_commit && changed.size() >= kConcurrentHookRows) {
      hooked = AsyncOrInline([&] { return before_commit(changed); });
    }
    const std::string changing = mysql::JoinIds(changed);
    Status updated = session.Exec("UPDATE Media FORCE INDEX (PRIMARY) SET archive = 1"
                                  " WHERE id IN (" + changing + ") AND archive = 0");
    if (updated.ok()) {
      updated = session.Exec("UPDATE EventsCam SET archive = 1 WHERE media_id IN (" + changing +
                             ") AND archive = 0");
    }
    const Status hook = hooked.valid()  ? hooked.get()
                        : before_commit ? (updated.ok() ? before_commit(changed) : Status::Ok())
                                        : Status::Ok();
    RECSYNC_RETURN_IF_ERROR(updated);
    RECSYNC_RETURN_IF_ERROR(hook);
    return CommitChange(txn, before_commit_, changed, &unacknowledged);
  }));
  return WithUnacknowledged(std::move(changed), unacknowledged);
}

Result<bool> Catalog::UpdateFilepath(int64_t id, const std::string& new_path) {
  bool changed = false;
  bool unacknowledged = false;  // as in Archive()
  RECSYNC_RETURN_IF_ERROR(WithRetry("updating a Media path", [&]() -> Status {
    Session session(mysql_, config_, "updating a Media path");
    mysql::Transaction txn(session);
    RECSYNC_RETURN_IF_ERROR(txn.Begin());
    uint64_t affected = 0;
    auto updated = session.Query(
        "UPDATE Media FORCE INDEX (PRIMARY) SET filepath = ? WHERE id = ? AND archive = 0",
        {Param::Bytes(new_path), Param::Int(id)}, {}, &affected);
    if (!updated.ok()) {
      const Status& st = updated.status();
      return st.code() == Code::kRejected ? Unstorable(st, id, new_path) : st;
    }
    changed = affected > 0;
    if (!changed) return Status::Ok();  // nothing to do; the guard rolls back
    RECSYNC_RETURN_IF_ERROR(
        VerifyPaths(session, config_, "updating a Media path", {{id, new_path}}));
    Status committed = txn.Commit();
    if (committed.code() == Code::kUnavailable) unacknowledged = true;
    return committed;
  }));
  return changed || unacknowledged;
}

Result<std::vector<int64_t>> Catalog::RepathRows(const std::vector<MediaRow>& rows,
                                                 const std::vector<std::string>& new_paths,
                                                 const ChangeHook& before_commit) {
  if (rows.size() != new_paths.size()) {
    return Status(Code::kInvalid, "re-pointing Media rows: " + std::to_string(rows.size()) +
                                      " rows but " + std::to_string(new_paths.size()) +
                                      " new paths");
  }
  std::vector<int64_t> changed;
  if (rows.empty()) return changed;
  std::vector<int64_t> ids;
  for (const auto& r : rows) ids.push_back(r.id);
  const std::string listed = mysql::JoinIds(ids);
  std::vector<int64_t> unacknowledged;  // as in Archive()
  RECSYNC_RETURN_IF_ERROR(WithRetry("re-pointing Media rows", [&]() -> Status {
    Session session(mysql_, config_, "re-pointing Media rows");
    mysql::Transaction txn(session);
    RECSYNC_RETURN_IF_ERROR(txn.Begin());
    auto locked = LockRows(session, listed, 0);
    if (!locked.ok()) return locked.status();
    std::map<int64_t, std::string> current;
    for (MediaRow& row : *locked) current[row.id] = std::move(row.filepath);
    changed.clear();
    for (size_t i = 0; i < rows.size(); ++i) {
      auto it = current.find(rows[i].id);
      // Archived, or no longer the file that was renamed: leave it.
      if (it == current.end() || it->second != rows[i].filepath) continue;
      auto updated = session.Query("UPDATE Media SET filepath = ? WHERE id = ?",
                                   {Param::Bytes(new_paths[i]), Param::Int(rows[i].id)}, {});
      if (!updated.ok()) {
        const Status& st = updated.status();
        return st.code() == Code::kRejected ? Unstorable(st, rows[i].id, new_paths[i]) : st;
      }
      it->second = new_paths[i];  // a repeated id must match its new path
      changed.push_back(rows[i].id);
    }
    if (changed.empty()) return Status::Ok();  // nothing to do; the guard rolls back
    std::map<int64_t, std::string> written;
    for (int64_t id : changed) written[id] = current[id];
    RECSYNC_RETURN_IF_ERROR(VerifyPaths(session, config_, "re-pointing Media rows", written));
    if (before_commit) RECSYNC_RETURN_IF_ERROR(before_commit(changed));
    return CommitChange(txn, before_commit_, changed, &unacknowledged);
  }));
  return WithUnacknowledged(std::move(changed), unacknowledged);
}

Result<std::vector<int64_t>> Catalog::RestoreRows(const std::vector<MediaRow>& rows,
                                                  const ChangeHook& before_commit) {
  std::vector<int64_t> changed;
  if (rows.empty()) return changed;
  std::map<int64_t, std::string> expected;
  std::vector<int64_t> ids;
  for (const auto& r : rows) {
    ids.push_back(r.id);
    expected[r.id] = r.filepath;
  }
  const std::string listed = mysql::JoinIds(ids);
  std::vector<int64_t> unacknowledged;  // as in Archive()
  RECSYNC_RETURN_IF_ERROR(WithRetry("restoring Media rows", [&]() -> Status {
    Session session(mysql_, config_, "restoring Media rows");
    mysql::Transaction txn(session);
    RECSYNC_RETURN_IF_ERROR(txn.Begin());
    // Only rows still archived at the path their file came back to are
    // restored.
    auto locked = LockRows(session, listed, 1);
    if (!locked.ok()) return locked.status();
    changed.clear();
    for (const MediaRow& row : *locked) {
      auto it = expected.find(row.id);
      if (it != expected.end() && it->second == row.filepath) changed.push_back(row.id);
    }
    if (changed.empty()) return Status::Ok();  // nothing to do; the guard rolls back
    const std::string restoring = mysql::JoinIds(changed);
    RECSYNC_RETURN_IF_ERROR(session.Exec("UPDATE Media FORCE INDEX (PRIMARY) SET archive = 0"
                                         " WHERE id IN (" + restoring + ") AND archive = 1"));
    RECSYNC_RETURN_IF_ERROR(session.Exec("UPDATE EventsCam SET archive = 0 WHERE media_id IN (" +
                                         restoring + ") AND archive = 1"));
    if (before_commit) RECSYNC_RETURN_IF_ERROR(before_commit(changed));
    return CommitChange(txn, before_commit_, changed, &unacknowledged);
  }));
  return WithUnacknowledged(std::move(changed), unacknowledged);
}

}  // namespace recsync
