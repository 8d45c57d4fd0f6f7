#include "catalog/mysql_errors.h"

#include <errmsg.h>
#include <mysqld_error.h>

#include <cstdio>

namespace recsync::mysql {

bool IsTransientError(unsigned code) {
  switch (code) {
    // The client could not reach the server, or lost it mid-request.
    case CR_SOCKET_CREATE_ERROR:
    case CR_CONNECTION_ERROR:
    case CR_CONN_HOST_ERROR:
    case CR_IPSOCK_ERROR:
    case CR_SERVER_GONE_ERROR:
    case CR_SERVER_HANDSHAKE_ERR:
    case CR_SERVER_LOST:
    case CR_SERVER_LOST_EXTENDED:
    case CR_ERR_NET_READ:
    case CR_ERR_NET_WRITE:
    // The server is going away, is full, or dropped us; a later try gets a
    // fresh connection.
    case ER_CON_COUNT_ERROR:
    case ER_SERVER_SHUTDOWN:
    case ER_TOO_MANY_USER_CONNECTIONS:
    case ER_NET_READ_ERROR:
    case ER_NET_READ_INTERRUPTED:
    case ER_NET_ERROR_ON_WRITE:
    case ER_NET_WRITE_INTERRUPTED:
    case ER_QUERY_INTERRUPTED:
    case ER_CONNECTION_KILLED:
    // InnoDB chose us as a deadlock victim or we waited too long for a lock
    // (Bluecherry holds row locks while it writes); the transaction was
    // rolled back and can simply run again.
    case ER_LOCK_WAIT_TIMEOUT:
    case ER_LOCK_DEADLOCK:
    // The server refuses writes for now: read-only, a privilege taken away,
    // a full disk, no memory. Each is mended on the server, not in recsync,
    // and until it is, recsync waits as it would for a server that is down.
    case ER_OPTION_PREVENTS_STATEMENT:
    case ER_READ_ONLY_MODE:
    case ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION:
    case ER_OPEN_AS_READONLY:
    case ER_INNODB_READ_ONLY:
    case ER_TABLEACCESS_DENIED_ERROR:
    case ER_COLUMNACCESS_DENIED_ERROR:
    case ER_DISK_FULL:
    case ER_RECORD_FILE_FULL:
    case ER_TEMP_FILE_WRITE_FAILURE:
    case ER_OUTOFMEMORY:
    case ER_OUT_OF_RESOURCES:
    case ER_TOO_MANY_CONCURRENT_TRXS:
    case ER_USER_LIMIT_REACHED:
      return true;
    default:
      return false;
  }
}

namespace {

// "Table 'bluecherry.Media' doesn't exist" -> "Media".
std::string MissingTable(std::string_view message) {
  size_t open = message.find('\'');
  size_t close = open == std::string_view::npos ? open : message.find('\'', open + 1);
  if (close == std::string_view::npos) return std::string(message);
  std::string_view name = message.substr(open + 1, close - open - 1);
  size_t dot = name.rfind('.');
  if (dot != std::string_view::npos) name.remove_prefix(dot + 1);
  return std::string(name);
}

bool Contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// Whether the server's message reports OS error `err`. MariaDB renders one
// as ` 28 "No space left on device"` (after "Errcode:", "errno:" or "Got
// error", in any language), so a number set off by a space before and ` "`
// after is what is looked for; a number inside a quoted file name is not.
bool CarriesErrno(std::string_view message, int err) {
  std::string rendered = " ";
  rendered += std::to_string(err);
  rendered += " \"";
  return message.find(rendered) != std::string_view::npos;
}

// The codes that mean "the server's disk (or quota) is full": always for
// some, and for the file-error ones when they carry ENOSPC or EDQUOT.
bool IsDiskFull(unsigned code, std::string_view message) {
  switch (code) {
    case ER_DISK_FULL:
    case ER_RECORD_FILE_FULL:
    case ER_TEMP_FILE_WRITE_FAILURE:
      return true;
    case ER_CANT_CREATE_FILE:
    case ER_ERROR_ON_CLOSE:
    case ER_ERROR_ON_WRITE:
    case ER_GET_ERRNO:
    case ER_ERROR_DURING_COMMIT:
      return CarriesErrno(message, 28) || CarriesErrno(message, 122);
    default:
      return false;
  }
}

// Plain words for a refusal or a rejected value, and the fix ("" for none).
struct Meaning {
  Code code = Code::kDatabase;
  std::string plain;
  std::string fix;
};

Meaning Explain(const DbConfig& config, unsigned code, std::string_view cause) {
  const std::string file = config.SourceForMessages();
  if (IsDiskFull(code, cause)) {
    return {Code::kUnavailable, "the database server's disk is full",
            "free space where it keeps its data (datadir, tmpdir)"};
  }
  switch (code) {
    case ER_OPTION_PREVENTS_STATEMENT:
      if (!Contains(cause, "read-only") && !Contains(cause, "read_only")) {
        return {Code::kUnavailable, "the server refuses this because of an option it runs with",
                ""};
      }
      [[fallthrough]];
    case ER_READ_ONLY_MODE:
    case ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION:
      return {Code::kUnavailable, "the server is read-only (read_only=1)",
              "make it writable (SET GLOBAL read_only=0) or point host in " + file +
                  " at the primary"};
    case ER_OPEN_AS_READONLY:
    case ER_INNODB_READ_ONLY:
      return {Code::kUnavailable, "the server's storage is read-only (innodb_read_only)",
              "restart it without innodb_read_only"};
    case ER_TABLEACCESS_DENIED_ERROR:
    case ER_COLUMNACCESS_DENIED_ERROR:
      return {Code::kUnavailable, "the user lacks a privilege recsync needs",
              "grant the user SELECT and UPDATE on " + config.dbname + ".*"};
    case ER_LOCK_WAIT_TIMEOUT:
      return {Code::kUnavailable,
              "another transaction held a lock on these rows for longer than "
              "innodb_lock_wait_timeout",
              "if this persists, look for a long transaction in information_schema.INNODB_TRX"};
    case ER_OUTOFMEMORY:
    case ER_OUT_OF_RESOURCES:
      return {Code::kUnavailable, "the database server is out of memory", ""};
    case ER_DATA_TOO_LONG:
      return {Code::kRejected, "the value is longer than its column holds", ""};
    case ER_TRUNCATED_WRONG_VALUE_FOR_FIELD:
    case ER_INVALID_CHARACTER_STRING:
    case ER_CANNOT_CONVERT_CHARACTER:
      return {Code::kRejected, "the column's character set cannot hold these bytes", ""};
    case WARN_DATA_TRUNCATED:
    case ER_TRUNCATED_WRONG_VALUE:
      return {Code::kRejected, "the value would not be stored as sent", ""};
    default:
      return {IsTransientError(code) ? Code::kUnavailable : Code::kDatabase, "", ""};
  }
}

// The configuration errors of a connect, worded as what to check where; an
// OK Status when `code` is not one of them.
Status ConfigError(const DbConfig& config, std::string_view what, unsigned code,
                   const std::string& cause) {
  const std::string prefix = "database " + config.Describe() + ": ";
  const std::string file = config.SourceForMessages();
  switch (code) {
    case ER_ACCESS_DENIED_ERROR:
    case ER_ACCESS_DENIED_NO_PASSWORD_ERROR:
      return Status(Code::kDatabase, prefix + "access denied for user '" + config.user +
                                         "' (check user/password in " + file + ")");
    case ER_DBACCESS_DENIED_ERROR:
      return Status(Code::kDatabase,
                    prefix + "user '" + config.user + "' may not use database '" + config.dbname +
                        "' (check dbname in " + file + ", or grant the user access)");
    case ER_BAD_DB_ERROR:
      return Status(Code::kDatabase, prefix + "unknown database '" + config.dbname +
                                         "' (check dbname in " + file + ")");
    case ER_NO_SUCH_TABLE:
      return Status(Code::kDatabase, prefix + "table " + MissingTable(cause) +
                                         " is missing: is this a Bluecherry database?");
    case ER_BAD_FIELD_ERROR:
      return Status(Code::kDatabase, prefix + std::string(what) + ": " + cause +
                                         ": is this a Bluecherry 3.x database?");
    case CR_UNKNOWN_HOST:
      return Status(Code::kDatabase, prefix + "unknown host '" + config.host +
                                         "' (check host in " + file + ")");
    case CR_CONNECTION_ERROR:
    case CR_CONN_HOST_ERROR:
      return Status(Code::kUnavailable, prefix + std::string(what) + ": " + cause + " (error " +
                                            std::to_string(code) + "; is the server running?)");
    default:
      return Status::Ok();
  }
}

}  // namespace

Status ErrorStatus(const DbConfig& config, std::string_view what, unsigned code,
                   std::string_view message) {
  const std::string cause = OneLine(message);
  Status config_error = ConfigError(config, what, code, cause);
  if (!config_error.ok()) return config_error;
  const Meaning meaning = Explain(config, code, cause);
  std::string text = "database " + config.Describe() + ": " + std::string(what) + ": ";
  if (!meaning.plain.empty()) text += meaning.plain + ": ";
  text += cause + " (error " + std::to_string(code) + ")";
  if (!meaning.fix.empty()) text += "; " + meaning.fix;
  return Status(meaning.code, std::move(text));
}

std::string OneLine(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char ch : text) {
    if (ch == '\n') {
      out += "\\n";
    } else if (ch < 0x20 || ch == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", ch);
      out += buf;
    } else {
      out += static_cast<char>(ch);
    }
  }
  return out;
}

}  // namespace recsync::mysql
