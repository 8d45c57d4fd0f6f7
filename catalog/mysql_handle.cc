#include "catalog/mysql_handle.h"

#include <algorithm>
#include <mutex>

namespace recsync::mysql {

Result<MysqlPtr> Open(const DbConfig& config, const CatalogOptions& options) {
  // mysql_init() would do this lazily, but not thread-safely.
  static std::once_flag library_once;
  std::call_once(library_once, [] { mysql_library_init(0, nullptr, nullptr); });

  MysqlPtr mysql(mysql_init(nullptr));
  if (!mysql) {
    return Status(Code::kDatabase, "database " + config.Describe() + ": mysql_init: out of memory");
  }
  const auto seconds = std::clamp<int64_t>(options.io_timeout.count(), 1, 3600);
  const unsigned timeout = static_cast<unsigned>(seconds);
  const my_bool off = 0;
  const unsigned no_local_infile = 0;
  mysql_options(mysql.get(), MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  mysql_options(mysql.get(), MYSQL_OPT_READ_TIMEOUT, &timeout);
  mysql_options(mysql.get(), MYSQL_OPT_WRITE_TIMEOUT, &timeout);
  // character_set_client/connection/results = binary: what we send is stored
  // as sent, and what we read is the column's bytes, unconverted.
  mysql_options(mysql.get(), MYSQL_SET_CHARSET_NAME, "binary");
  mysql_options(mysql.get(), MYSQL_OPT_RECONNECT, &off);
  mysql_options(mysql.get(), MYSQL_OPT_LOCAL_INFILE, &no_local_infile);

  const char* host = config.host.empty() ? nullptr : config.host.c_str();
  const char* socket = config.socket.empty() ? nullptr : config.socket.c_str();
  const char* db = config.dbname.empty() ? nullptr : config.dbname.c_str();
  if (mysql_real_connect(mysql.get(), host, config.user.c_str(), config.password.c_str(), db,
                         config.port, socket, 0) == nullptr) {
    return ErrorStatus(config, "connecting", mysql_errno(mysql.get()), mysql_error(mysql.get()));
  }
  // A server configured with autocommit=0 would leave every read inside an
  // ever-growing transaction; recsync's reads must not hold snapshots. This
  // runs after the server's init_connect, so it has the last word; and the
  // client library reads no option file (no MYSQL_READ_DEFAULT_FILE/GROUP
  // is set above), so no my.cnf init-command comes into it either.
  const std::string setup = std::string("SET SESSION sql_mode = '") + kSessionSqlMode +
                            "', SESSION autocommit = 1";
  if (mysql_real_query(mysql.get(), setup.data(), setup.size()) != 0) {
    return ErrorStatus(config, "setting up the session", mysql_errno(mysql.get()),
                       mysql_error(mysql.get()));
  }
  return mysql;
}

Status Session::Fail(unsigned code, const char* message) {
  last_error_ = code;
  return ErrorStatus(config_, what_, code, message ? message : "unknown error");
}

Status Session::FailStmt(MYSQL_STMT* stmt) {
  // A connection lost while rows are fetched is recorded on the connection,
  // not on the statement (whose errno stays 0): without this it would look
  // like a permanent error and not be retried.
  if (mysql_stmt_errno(stmt) == 0 && mysql_errno(mysql_) != 0) {
    return Fail(mysql_errno(mysql_), mysql_error(mysql_));
  }
  return Fail(mysql_stmt_errno(stmt), mysql_stmt_error(stmt));
}

Status Session::Exec(std::string_view sql) {
  if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) {
    return Fail(mysql_errno(mysql_), mysql_error(mysql_));
  }
  ResultPtr result(mysql_store_result(mysql_));
  if (!result && mysql_field_count(mysql_) != 0) {
    return Fail(mysql_errno(mysql_), mysql_error(mysql_));
  }
  return Status::Ok();
}

Result<std::vector<std::vector<std::optional<std::string>>>> Session::Select(
    std::string_view sql, std::vector<std::string>* names) {
  if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) {
    return Fail(mysql_errno(mysql_), mysql_error(mysql_));
  }
  ResultPtr result(mysql_store_result(mysql_));
  std::vector<std::vector<std::optional<std::string>>> rows;
  if (!result) {
    if (mysql_field_count(mysql_) != 0) return Fail(mysql_errno(mysql_), mysql_error(mysql_));
    return rows;
  }
  const unsigned n = mysql_num_fields(result.get());
  if (names) {
    const MYSQL_FIELD* fields = mysql_fetch_fields(result.get());
    names->clear();
    for (unsigned i = 0; i < n; ++i) names->emplace_back(fields[i].name, fields[i].name_length);
  }
  // The whole result is already in client memory: fetching cannot fail.
  while (MYSQL_ROW row = mysql_fetch_row(result.get())) {
    const unsigned long* lengths = mysql_fetch_lengths(result.get());
    auto& out = rows.emplace_back(n);
    for (unsigned i = 0; i < n; ++i) {
      if (row[i] != nullptr) out[i].emplace(row[i], lengths[i]);
    }
  }
  return rows;
}

Status Session::Stream(std::string_view sql, const std::vector<ColumnType>& columns,
                       const std::function<bool(const std::vector<ValueView>& row)>& fn) {
  StmtPtr stmt(mysql_stmt_init(mysql_));
  if (!stmt) return Fail(mysql_errno(mysql_), mysql_error(mysql_));
  if (mysql_stmt_prepare(stmt.get(), sql.data(), sql.size()) != 0) return FailStmt(stmt.get());
  const size_t n = columns.size();
  if (mysql_stmt_field_count(stmt.get()) != n) {
    return Status(Code::kDatabase, "database " + config_.Describe() + ": " + std::string(what_) +
                                       ": statement shape mismatch: " + std::string(sql));
  }
  if (mysql_stmt_execute(stmt.get()) != 0) return FailStmt(stmt.get());
  return FetchEach(stmt.get(), columns, fn);
}

Status Session::FetchEach(MYSQL_STMT* stmt, const std::vector<ColumnType>& columns,
                          const std::function<bool(const std::vector<ValueView>& row)>& fn) {
  // A bytes value longer than its buffer is fetched again into a grown one.
  const size_t n = columns.size();
  std::vector<MYSQL_BIND> out(n);
  std::vector<unsigned long> length(n);
  std::vector<my_bool> is_null(n), error(n);
  std::vector<int64_t> ints(n);
  std::vector<std::string> bytes(n);
  auto bind = [&] {
    for (size_t c = 0; c < n; ++c) {
      out[c] = MYSQL_BIND{};
      out[c].length = &length[c];
      out[c].is_null = &is_null[c];
      out[c].error = &error[c];
      if (columns[c] == ColumnType::kInt) {
        out[c].buffer_type = MYSQL_TYPE_LONGLONG;
        out[c].buffer = &ints[c];
      } else {
        if (bytes[c].empty()) bytes[c].resize(1024);
        out[c].buffer_type = MYSQL_TYPE_BLOB;
        out[c].buffer = bytes[c].data();
        out[c].buffer_length = bytes[c].size();
      }
    }
    return mysql_stmt_bind_result(stmt, out.data()) == 0;
  };
  if (!bind()) return FailStmt(stmt);

  std::vector<ValueView> row(n);
  for (;;) {
    const int rc = mysql_stmt_fetch(stmt);
    if (rc == MYSQL_NO_DATA) break;
    if (rc != 0 && rc != MYSQL_DATA_TRUNCATED) return FailStmt(stmt);
    for (size_t c = 0; c < n; ++c) {
      ValueView& v = row[c];
      v = ValueView{};
      if (is_null[c]) {
        v.null = true;
      } else if (columns[c] == ColumnType::kInt) {
        if (error[c]) {
          return Status(Code::kDatabase, "database " + config_.Describe() + ": " +
                                             std::string(what_) + ": column " + std::to_string(c) +
                                             " does not fit a 64-bit integer");
        }
        v.i = ints[c];
      } else {
        if (length[c] > bytes[c].size()) {
          bytes[c].resize(length[c]);
          MYSQL_BIND whole{};
          unsigned long whole_length = 0;
          whole.buffer_type = MYSQL_TYPE_BLOB;
          whole.buffer = bytes[c].data();
          whole.buffer_length = length[c];
          whole.length = &whole_length;
          if (mysql_stmt_fetch_column(stmt, &whole, static_cast<unsigned>(c), 0) != 0) {
            return FailStmt(stmt);
          }
          if (!bind()) return FailStmt(stmt);  // the grown buffer from now on
        }
        v.bytes = std::string_view(bytes[c].data(), length[c]);
      }
    }
    if (!fn(row)) break;
  }
  return Status::Ok();
}

Result<std::vector<Row>> Session::Query(std::string_view sql, const std::vector<Param>& params,
                                        const std::vector<ColumnType>& columns,
                                        uint64_t* affected) {
  StmtPtr stmt(mysql_stmt_init(mysql_));
  if (!stmt) return Fail(mysql_errno(mysql_), mysql_error(mysql_));
  if (mysql_stmt_prepare(stmt.get(), sql.data(), sql.size()) != 0) return FailStmt(stmt.get());
  if (mysql_stmt_param_count(stmt.get()) != params.size() ||
      mysql_stmt_field_count(stmt.get()) != columns.size()) {
    // A programming error, but one worth a clear message over a crash.
    return Status(Code::kDatabase, "database " + config_.Describe() + ": " + std::string(what_) +
                                       ": statement shape mismatch: " + std::string(sql));
  }

  static char empty_bytes[1] = {0};
  std::vector<MYSQL_BIND> in(params.size());
  std::vector<unsigned long> in_length(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    const Param& p = params[i];
    if (p.is_bytes) {
      in[i].buffer_type = MYSQL_TYPE_BLOB;
      in[i].buffer = p.bytes.empty() ? empty_bytes : const_cast<char*>(p.bytes.data());
      in[i].buffer_length = p.bytes.size();
      in_length[i] = p.bytes.size();
      in[i].length = &in_length[i];
    } else {
      in[i].buffer_type = MYSQL_TYPE_LONGLONG;
      in[i].buffer = const_cast<int64_t*>(&p.i);
    }
  }
  if (!in.empty() && mysql_stmt_bind_param(stmt.get(), in.data()) != 0) return FailStmt(stmt.get());
  if (mysql_stmt_execute(stmt.get()) != 0) return FailStmt(stmt.get());
  if (affected) *affected = mysql_stmt_affected_rows(stmt.get());

  std::vector<Row> rows;
  if (columns.empty()) return rows;
  // Buffer the whole result so the statement is done with the connection
  // before we look at a single row; pages are small by design.
  if (mysql_stmt_store_result(stmt.get()) != 0) return FailStmt(stmt.get());
  RECSYNC_RETURN_IF_ERROR(FetchEach(stmt.get(), columns, [&](const std::vector<ValueView>& row) {
    Row& out = rows.emplace_back(row.size());
    for (size_t c = 0; c < row.size(); ++c) {
      out[c].null = row[c].null;
      out[c].i = row[c].i;
      out[c].bytes.assign(row[c].bytes);
    }
    return true;
  }));
  return rows;
}

Transaction::~Transaction() {
  if (!open_) return;
  // Keep the error that made us roll back, not the rollback's own.
  const unsigned saved = session_.last_error_;
  (void)session_.Exec("ROLLBACK");
  session_.last_error_ = saved;
}

Status Transaction::Begin() {
  RECSYNC_RETURN_IF_ERROR(session_.Exec("START TRANSACTION"));
  open_ = true;
  return Status::Ok();
}

Status Transaction::Commit() {
  RECSYNC_RETURN_IF_ERROR(session_.Exec("COMMIT"));
  open_ = false;
  return Status::Ok();
}

std::vector<MediaRow> ToMediaRows(const std::vector<Row>& rows) {
  std::vector<MediaRow> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    // start is NOT NULL in Bluecherry's schema; 0 stands in if it ever is.
    out.push_back(MediaRow{r[0].i, r[1].null ? 0 : r[1].i, r[2].bytes});
  }
  return out;
}

std::string JoinIds(const std::vector<int64_t>& ids) {
  std::string out;
  out.reserve(ids.size() * 8);
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(ids[i]);
  }
  return out;
}

}  // namespace recsync::mysql
