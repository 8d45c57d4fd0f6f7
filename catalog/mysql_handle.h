// Internal to the catalog: RAII over the MariaDB C API and a small query
// layer (text protocol for statements whose only values are integers we
// format ourselves, prepared statements for anything else).
//
// Every failure becomes a Status from ErrorStatus (catalog/mysql_errors.h):
// one line naming the server, the cause and the fix, classified kUnavailable
// (Catalog::WithRetry retries it), kRejected or kDatabase.
#pragma once

#include <mysql.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "catalog/mysql_errors.h"
#include "common/status.h"

namespace recsync::mysql {

struct MysqlCloser {
  void operator()(MYSQL* m) const { mysql_close(m); }
};
struct ResultFreer {
  void operator()(MYSQL_RES* r) const { mysql_free_result(r); }
};
struct StmtCloser {
  void operator()(MYSQL_STMT* s) const { mysql_stmt_close(s); }
};
using MysqlPtr = std::unique_ptr<MYSQL, MysqlCloser>;
using ResultPtr = std::unique_ptr<MYSQL_RES, ResultFreer>;
using StmtPtr = std::unique_ptr<MYSQL_STMT, StmtCloser>;

// Opens a connection with per-attempt timeouts from `options`, the binary
// character set (paths are bytes: no conversion either way), autocommit on,
// client-side reconnect off (Catalog reconnects itself, so that it knows a
// session, and any transaction in it, is gone) and the session's sql_mode
// set to kSessionSqlMode, whatever the server's default or its init_connect.
//
// Strict: a value a column cannot hold as sent (too long, bytes its character
// set lacks) is an error, never a warning with a truncated or '?'-substituted
// value stored; ALL rather than TRANS because old installs may have MyISAM
// tables, where TRANS_TABLES lets a multi-row statement truncate. The whole
// mode is set, not just a flag added, so that no
// server mode changes what recsync's SQL means (EMPTY_STRING_IS_NULL would
// make `filepath <> ''` match nothing, ORACLE or ANSI_QUOTES change syntax).
inline constexpr const char* kSessionSqlMode = "STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION";
Result<MysqlPtr> Open(const DbConfig& config, const CatalogOptions& options);

// A value for a '?' placeholder. Bytes are sent as a blob, which the server
// never converts, whatever the connection character set.
struct Param {
  static Param Int(int64_t v) { return Param{false, v, {}}; }
  static Param Bytes(std::string_view v) { return Param{true, 0, v}; }
  bool is_bytes;
  int64_t i;
  std::string_view bytes;  // not owned: must outlive the call
};

enum class ColumnType { kInt, kBytes };

// One column of a result row: NULL, or an integer or bytes per ColumnType.
struct Value {
  bool null = false;
  int64_t i = 0;
  std::string bytes;
};
using Row = std::vector<Value>;

// A Value borrowed from Session::Stream's buffers.
struct ValueView {
  bool null = false;
  int64_t i = 0;
  std::string_view bytes;
};

// A borrowed connection plus what is needed to word errors. `what` names the
// operation for messages ("archiving Media rows"). The last failure's error
// code stays available, for callers that give one code a meaning.
class Session {
 public:
  Session(MYSQL* mysql, const DbConfig& config, std::string_view what)
      : mysql_(mysql), config_(config), what_(what) {}

  // Runs a statement through the text protocol, discarding any result.
  Status Exec(std::string_view sql);
  // Runs a query through the text protocol; every column comes back as bytes.
  // Column names go to `names` when it is not null.
  Result<std::vector<std::vector<std::optional<std::string>>>> Select(
      std::string_view sql, std::vector<std::string>* names = nullptr);
  // Prepares and runs `sql` unbuffered: rows reach `fn` as the server sends
  // them, never all in memory, in the binary protocol (integers travel as
  // integers: neither side formats or parses text, a third of the server's
  // work for a sweep's million rows). Views point into buffers reused for
  // the next row. `fn` returns false to stop early (closing the statement
  // drops the rest, as the protocol requires).
  Status Stream(std::string_view sql, const std::vector<ColumnType>& columns,
                const std::function<bool(const std::vector<ValueView>& row)>& fn);
  // Prepares and runs `sql` with `params`; each result column is read as
  // `columns` says. For statements without a result, pass no columns and
  // read affected rows from `affected` when it is not null.
  Result<std::vector<Row>> Query(std::string_view sql, const std::vector<Param>& params,
                                 const std::vector<ColumnType>& columns,
                                 uint64_t* affected = nullptr);

  unsigned last_error() const { return last_error_; }

 private:
  friend class Transaction;  // to keep last_error() across its ROLLBACK
  Status Fail(unsigned code, const char* message);
  Status FailStmt(MYSQL_STMT* stmt);
  // Binds `columns` to an executed statement's result and hands each row to
  // `fn` (false stops); shared by Stream (unbuffered) and Query (stored).
  Status FetchEach(MYSQL_STMT* stmt, const std::vector<ColumnType>& columns,
                   const std::function<bool(const std::vector<ValueView>& row)>& fn);

  MYSQL* mysql_;
  const DbConfig& config_;
  std::string_view what_;
  unsigned last_error_ = 0;
};

// START TRANSACTION on construction via Begin(); ROLLBACK on destruction
// unless Commit() succeeded, so every early return undoes a half-done batch.
// A rollback on a dead connection fails quietly: the server rolls back a
// transaction whose connection is gone.
class Transaction {
 public:
  explicit Transaction(Session& session) : session_(session) {}
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  Status Begin();
  Status Commit();

 private:
  Session& session_;
  bool open_ = false;
};

// "1,2,3": integers are safe to put into SQL text as they are.
std::string JoinIds(const std::vector<int64_t>& ids);

// MediaRows from the result of "SELECT id, start, filepath" read as
// (kInt, kInt, kBytes).
std::vector<MediaRow> ToMediaRows(const std::vector<Row>& rows);

}  // namespace recsync::mysql
