// Catalog: Bluecherry's MySQL/MariaDB database, the system of record.
//
// recsync only ever reads Media/EventsCam/Storage and flips `archive` from 0 to
// 1 (and, for renames, rewrites Media.filepath; for a file that came back
// after recsync archived its row, flips it back to 0); it never deletes a row.
//
// Contract
// - Every value is bound through a prepared statement or escaped by the
//   client library; a path with quotes, newlines or invalid UTF-8 just works.
// - Every session runs in a strict sql_mode of its own (whatever the
//   server's default), and every write of a path is exact or not made: a new
//   path the column cannot hold byte for byte (too long, bytes its character
//   set lacks) fails with kRejected and changes nothing, and the paths
//   written are read back in the same transaction before it commits.
// - Transient failures are retried with capped exponential backoff,
//   reconnecting as needed, until `retry_for` has passed since the first of
//   them; then the call returns kUnavailable. Transient are: the server
//   unreachable or the connection lost, a deadlock or lock wait timeout, and
//   a server that refuses writes for now (read-only, a privilege revoked, a
//   full disk). A refused value is kRejected; anything else (access denied
//   or unknown database at connect, a missing table, SQL errors) is
//   kDatabase, at once. Every message is one line naming the server, the
//   cause and the fix; catalog/mysql_errors.h lists the codes and wording.
// - Every statement that picks Media rows by id names the primary key
//   (FORCE INDEX (PRIMARY)). With Bluecherry 3.1.13's indexes on `archive`
//   the optimizer otherwise reads a span's rows through them, up to every
//   active row of the table, and a FOR UPDATE or UPDATE locks index records
//   (and gaps) of the active rows that Bluecherry's own inserts then wait on.
// - ArchiveBatch() is one transaction: either every listed row that was still
//   active is archived in Media and its EventsCam rows too, or nothing is.
//
// Thread-safety: one Catalog (one connection) is used by one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/db_config.h"
#include "common/status.h"

struct st_mysql;

namespace recsync {

struct CatalogOptions {
  // How long a call keeps retrying a transient failure before giving up.
  std::chrono::milliseconds retry_for{10000};
  // Per-attempt connect/read/write timeout.
  std::chrono::seconds io_timeout{5};
  // How many ids one read of active rows covers at most. `archive = 0` has
  // no index: with a long archived history below the active rows, one
  // unbounded query scanned it for longer than io_timeout before its first
  // row (10 M archived rows: 5-7 s on a 2-core host) and every sweep failed.
  // A span of a million ids is scanned in well under a second.
  int64_t id_span = 1'000'000;
};

// One active Media row, as the sweep needs it.
struct MediaRow {
  int64_t id = 0;
  int64_t start = 0;  // unix seconds
  std::string filepath;
};

// A MediaRow borrowed from a buffer owned by someone else (a streamed result).
struct MediaRowView {
  int64_t id = 0;
  int64_t start = 0;
  std::string_view filepath;
  // The highest id the stream may still deliver: every row after this one
  // has an id in (id, last_id], so at most last_id - id rows are left.
  int64_t last_id = 0;
};

// The ids (from, upto] that one read of active rows covers.
struct IdSpan {
  int64_t from = 0;
  int64_t upto = 0;
};

// One row of Bluecherry's Storage table. The thresholds are disk-usage
// percentages (DECIMAL(5,2) in the table) rounded down to whole percent.
struct StorageInfo {
  std::string path;
  int64_t priority = 0;
  int64_t max_thresh = 0;  // Bluecherry's cleaner starts above this usage
  int64_t min_thresh = 0;  // ... and stops below this one
};

// One account of Bluecherry's Users table, as sign-in needs it.
struct UserAccount {
  std::string username;
  std::string password;  // md5(password + salt) in hex, Bluecherry's scheme
  std::string salt;
  bool admin = false;    // access_setup = 1
};

// Called inside ArchiveRows/RepathRows before COMMIT with the ids the
// transaction changes; a non-OK Status rolls it back and is returned. The
// journal writes its intents here (see Journal::RecordIntent), so no COMMIT
// can happen without a trace. It may be called again for the same ids when a
// transaction is retried, and for a large archive batch it runs on another
// thread while the UPDATEs do (so it must not use the Catalog), even when
// those then fail.
using ChangeHook = std::function<Status(const std::vector<int64_t>& changed)>;

// Called inside ArchiveBatch/ArchiveRows/RepathRows after the UPDATEs and before COMMIT; tests use it
// to kill the server at the worst moment. Null in production.
using BeforeCommitHook = std::function<void()>;

// Called on the calling thread each time a transient failure (`cause`, always
// kUnavailable) is about to be retried, before the backoff; tests use it to
// learn that the outage was noticed. Null in production (retries are logged).
using RetryHook = std::function<void(const Status& cause)>;

class Catalog {
 public:
  // Connects (retrying transient failures for options.retry_for) and checks
  // that Media, EventsCam and Storage have the columns recsync uses, so that a
  // wrong database fails at start-up rather than in the middle of a sweep.
  static Result<std::unique_ptr<Catalog>> Connect(const DbConfig& config,
                                                  const CatalogOptions& options);
  ~Catalog();
  Catalog(const Catalog&) = delete;
  Catalog& operator=(const Catalog&) = delete;

  const DbConfig& config() const { return config_; }

  // A second connection to the same database, with the same options and
  // hooks, for work done in parallel (a sweep archives on two). With
  // retry_connect false it tries to connect once: for a connection that only
  // speeds things up, a server at its connection limit should not cost
  // retry_for.
  Result<std::unique_ptr<Catalog>> Another(bool retry_connect = true) const;

  // The Storage rows ordered by priority.
  Result<std::vector<StorageInfo>> StorageInfos();
  // Storage.path values ordered by priority (StorageInfos' paths).
  Result<std::vector<std::string>> StorageRoots();
  // The Users row named `username`, byte for byte; nullopt when none is.
  Result<std::optional<UserAccount>> FindUser(const std::string& username);

  // Whether Media has an index whose first column is filepath (Bluecherry
  // 3.1.14+); recsync works either way but chooses strategies by it.
  Result<bool> HasFilepathIndex();

  // Active rows (archive=0 AND filepath!='') with id > after_id, ordered by
  // id, at most `limit`: keyset pagination, so the table is never held in
  // memory and a long sweep does not hold a long-running read. Read in
  // queries of at most id_span ids each, up to the highest id when called.
  Result<std::vector<MediaRow>> ActiveRowsAfter(int64_t after_id, size_t limit);

  // Every active row with id > after_id, in id order, streamed (no page
  // round trips, the whole set never in memory) by one query per id_span ids
  // up to the highest id when it starts: `fn` gets each row and returns
  // false to stop. A lost connection resumes after the last row delivered. The connection is busy until this returns, so `fn`
  // must not use this Catalog. Holds one read view for the duration, which
  // delays InnoDB purge by about as long as the sweep reads (a second or two
  // per million rows).
  // The view's filepath points into the client's buffer: valid during the
  // call only.
  Status StreamActiveRows(int64_t after_id, const std::function<bool(const MediaRowView& row)>& fn);

  // The parts StreamActiveRows is made of, for readers that share the spans
  // out between connections (catalog/row_stream.h). Each retries on its own.
  // The highest id in Media now (0 when empty): where a read of active rows
  // ends, since rows added later are younger than any grace period.
  Result<int64_t> MaxMediaId();
  // The span to read after `last`: at most `span` ids, from the first id
  // above `last` that exists (one lookup, so a gap in the ids costs nothing)
  // and never past `top`; nullopt when no id is left.
  Result<std::optional<IdSpan>> NextIdSpan(int64_t last, int64_t top, int64_t span);
  // The active rows of one span, in id order, each with last_id = top; a
  // lost connection resumes after the last row handed over. `fn` returns
  // false to stop (still Ok). Same buffer rule as StreamActiveRows.
  Status StreamSpan(IdSpan span, int64_t top,
                    const std::function<bool(const MediaRowView& row)>& fn);

  // Active rows whose filepath is exactly `path`, byte for byte: rows equal
  // only under the column's (often case-insensitive) collation are left out,
  // and a path the column's charset cannot hold matches nothing.
  Result<std::vector<MediaRow>> ActiveRowsByPath(const std::string& path);

  // Active rows whose filepath begins with dir + "/", byte for byte (a
  // case-only difference or a sibling such as dir + "x/" is not under dir),
  // ordered by id. `dir` is given without a trailing '/'. For whole-directory
  // moves, which are rare: the comparison is on the binary bytes, which no
  // index serves, so it scans Media.
  Result<std::vector<MediaRow>> ActiveRowsUnder(const std::string& dir);

  // Active rows among `ids` (primary-key lookups), ordered by id.
  Result<std::vector<MediaRow>> ActiveRowsByIds(const std::vector<int64_t>& ids);

  // Archives, in one transaction, the rows among `ids` that are still active:
  // Media.archive=1 and EventsCam.archive=1 for their media_id. Returns the
  // ids that this call changed, ascending (rows already archived are left
  // out). If the connection drops during COMMIT the outcome is unknown and
  // the retry finds those rows archived; they still count as changed here.
  // `ids` go into the SQL text: keep a batch to a few thousand.
  Result<std::vector<int64_t>> ArchiveBatch(const std::vector<int64_t>& ids);

  // Like ArchiveBatch, but a row is archived only while its filepath is still
  // byte-for-byte the one given: a row renamed since it was checked is left.
  Result<std::vector<int64_t>> ArchiveRows(const std::vector<MediaRow>& rows,
                                           const ChangeHook& before_commit = nullptr);

  // Rewrites Media.filepath of an active row (a file renamed within the
  // managed roots), in a transaction that reads the path back before it
  // commits. Returns whether a row changed. A path the column cannot hold
  // byte for byte fails with kRejected and the row keeps its old path.
  Result<bool> UpdateFilepath(int64_t id, const std::string& new_path);

  // Re-points renamed rows, in one transaction: rows[i] gets filepath
  // new_paths[i] only while it is still active and its filepath is still
  // byte-for-byte rows[i].filepath (a row archived or renamed meanwhile is
  // left). Returns the ids changed, ascending; like ArchiveRows, a COMMIT
  // whose acknowledgement was lost counts as changed. The two vectors must
  // be the same size (else kInvalid). A new path the column cannot hold byte
  // for byte (longer than it, or bytes its character set lacks) fails the
  // call with kRejected, naming the row and the path, and changes nothing:
  // every row keeps its old path. The paths written are read back before
  // COMMIT (and before `before_commit`), so a server that stored anything
  // else is caught the same way. `rows` go into the SQL text: keep a call
  // to a few thousand.
  Result<std::vector<int64_t>> RepathRows(const std::vector<MediaRow>& rows,
                                          const std::vector<std::string>& new_paths,
                                          const ChangeHook& before_commit = nullptr);

  // Restores, in one transaction, the rows among `rows` that are archived
  // and whose filepath is still byte-for-byte the one given:
  // Media.archive=0 and EventsCam.archive=0 for their media_id. For a file
  // that came back after recsync archived its row. Returns the ids changed,
  // ascending (like ArchiveRows, a COMMIT whose answer was lost counts).
  Result<std::vector<int64_t>> RestoreRows(const std::vector<MediaRow>& rows,
                                           const ChangeHook& before_commit = nullptr);

  void SetBeforeCommitHook(BeforeCommitHook hook) { before_commit_ = std::move(hook); }
  void SetRetryHook(RetryHook hook) { on_retry_ = std::move(hook); }

 private:
  Catalog(DbConfig config, CatalogOptions options);
  Status EnsureConnected();
  Result<std::vector<int64_t>> Archive(const std::vector<int64_t>& ids,
                                       const std::map<int64_t, std::string>* expected,
                                       const ChangeHook& before_commit);
  // Runs `op` with reconnect-and-retry for transient errors.
  Status WithRetry(const char* what, const std::function<Status()>& op);

  DbConfig config_;
  CatalogOptions options_;
  st_mysql* mysql_ = nullptr;
  BeforeCommitHook before_commit_;
  RetryHook on_retry_;
};

}  // namespace recsync
