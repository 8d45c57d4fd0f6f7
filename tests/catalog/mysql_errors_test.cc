// How each MariaDB error is classified and worded (catalog/mysql_errors.h).
// The server produces most of these in the tests beside this one; the rest
// (a full disk reported through errno 28 in a file error, an out-of-memory
// server, ...) cannot be provoked reliably, so their codes and the server's
// wording of them are checked here.
#include "catalog/mysql_errors.h"

#include <errmsg.h>
#include <mysqld_error.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace recsync::testing {
namespace {

struct Case {
  unsigned code;
  std::string server_says;
  Code expected;
  std::string words;  // expected in the message
};

DbConfig Config() {
  DbConfig c;
  c.user = "bc";
  c.dbname = "bluecherry";
  c.socket = "/run/mysqld/mysqld.sock";
  c.source = "/srv/custom/bluecherry.conf";
  return c;
}

}  // namespace

TEST_CASE("Refusals are transient, rejected values permanent, configuration errors fatal") {
  const std::string full = "the database server's disk is full: ";
  const std::vector<Case> cases = {
      // A full disk, in each way the server reports one.
      {ER_RECORD_FILE_FULL, "The table 'Media' is full", Code::kUnavailable, full},
      {ER_DISK_FULL, "Disk full (./bluecherry/Media.ibd); waiting for someone to free some space...",
       Code::kUnavailable, full},
      {ER_TEMP_FILE_WRITE_FAILURE, "Temporary file write failure", Code::kUnavailable, full},
      {ER_ERROR_ON_WRITE, "Error writing file './ib_tmp' (Errcode: 28 \"No space left on device\")",
       Code::kUnavailable, full},
      {ER_GET_ERRNO, "Got error 28 \"No space left on device\" from storage engine InnoDB",
       Code::kUnavailable, full},
      {ER_ERROR_DURING_COMMIT, "Got error 122 \"Disk quota exceeded\" during COMMIT",
       Code::kUnavailable, full},
      {ER_CANT_CREATE_FILE, "Can't create file '/tmp/#sql-28' (errno: 28 \"Plein\")",
       Code::kUnavailable, full},
      // The same codes with another errno are not a full disk.
      {ER_GET_ERRNO, "Got error 5 \"Input/output error\" from storage engine InnoDB",
       Code::kDatabase, "(error 1030)"},
      {ER_ERROR_ON_WRITE, "Error writing file '/var/tmp/28 \"x' (Errcode: 13 \"Permission denied\")",
       Code::kDatabase, "(error 1026)"},
      // Read-only, in its variants.
      {ER_OPTION_PREVENTS_STATEMENT,
       "The MariaDB server is running with the --read-only option so it cannot execute this "
       "statement",
       Code::kUnavailable,
       "the server is read-only (read_only=1): The MariaDB server is running with the --read-only "
       "option so it cannot execute this statement (error 1290); make it writable (SET GLOBAL "
       "read_only=0) or point host in /srv/custom/bluecherry.conf at the primary"},
      {ER_OPTION_PREVENTS_STATEMENT,
       "The MariaDB server is running with the --secure-file-priv option so it cannot execute "
       "this statement",
       Code::kUnavailable, "because of an option it runs with"},
      {ER_READ_ONLY_MODE, "Running in read-only mode", Code::kUnavailable, "read-only (read_only=1)"},
      {ER_INNODB_READ_ONLY, "InnoDB is in read only mode", Code::kUnavailable,
       "(innodb_read_only)"},
      {ER_OPEN_AS_READONLY, "Table 'Media' is read only", Code::kUnavailable, "(innodb_read_only)"},
      // A privilege missing on a table or a column.
      {ER_TABLEACCESS_DENIED_ERROR,
       "UPDATE command denied to user 'bc'@'localhost' for table `bluecherry`.`Media`",
       Code::kUnavailable, "the user lacks a privilege recsync needs: UPDATE command denied"},
      {ER_COLUMNACCESS_DENIED_ERROR,
       "UPDATE command denied to user 'bc'@'localhost' for column 'archive' in table 'Media'",
       Code::kUnavailable, "; grant the user SELECT and UPDATE on bluecherry.*"},
      // Locks, memory, limits.
      {ER_LOCK_WAIT_TIMEOUT, "Lock wait timeout exceeded; try restarting transaction",
       Code::kUnavailable, "longer than innodb_lock_wait_timeout"},
      {ER_LOCK_DEADLOCK, "Deadlock found when trying to get lock; try restarting transaction",
       Code::kUnavailable, "(error 1213)"},
      {ER_OUTOFMEMORY, "Out of memory; restart server and try again (needed 65536 bytes)",
       Code::kUnavailable, "the database server is out of memory"},
      {ER_OUT_OF_RESOURCES, "Out of memory.", Code::kUnavailable, "out of memory"},
      {ER_TOO_MANY_CONCURRENT_TRXS, "Too many active concurrent transactions", Code::kUnavailable,
       "(error 1637)"},
      {ER_USER_LIMIT_REACHED, "User 'bc' has exceeded the 'max_updates' resource (current value: 9)",
       Code::kUnavailable, "(error 1226)"},
      // A value the column cannot hold.
      {ER_DATA_TOO_LONG, "Data too long for column 'filepath' at row 1", Code::kRejected,
       "the value is longer than its column holds: Data too long"},
      {ER_TRUNCATED_WRONG_VALUE_FOR_FIELD,
       "Incorrect string value: '\\xF0\\x9F\\x8E\\xA5.m...' for column `bluecherry`.`Media`."
       "`filepath` at row 1",
       Code::kRejected, "the column's character set cannot hold these bytes"},
      {ER_INVALID_CHARACTER_STRING, "Invalid utf8mb4 character string: 'FF'", Code::kRejected,
       "character set"},
      {WARN_DATA_TRUNCATED, "Data truncated for column 'filepath' at row 1", Code::kRejected,
       "would not be stored as sent"},
      // Configuration errors at connect: fatal, naming the file to fix.
      {ER_ACCESS_DENIED_ERROR, "Access denied for user 'bc'@'localhost' (using password: YES)",
       Code::kDatabase, "check user/password in /srv/custom/bluecherry.conf"},
      {ER_DBACCESS_DENIED_ERROR, "Access denied for user 'bc'@'localhost' to database 'bluecherry'",
       Code::kDatabase, "check dbname in /srv/custom/bluecherry.conf"},
      {ER_BAD_DB_ERROR, "Unknown database 'bluecherry'", Code::kDatabase,
       "check dbname in /srv/custom/bluecherry.conf"},
      {CR_UNKNOWN_HOST, "Unknown server host 'db' (-2)", Code::kDatabase,
       "check host in /srv/custom/bluecherry.conf"},
      // Anything else.
      {ER_PARSE_ERROR, "You have an error in your SQL syntax", Code::kDatabase, "(error 1064)"},
  };
  const DbConfig config = Config();
  for (const Case& c : cases) {
    INFO("error " << c.code << ": " << c.server_says);
    const Status st = mysql::ErrorStatus(config, "doing it", c.code, c.server_says);
    INFO(st.message());
    CHECK(st.code() == c.expected);
    CHECK(st.message().rfind("database " + config.Describe() + ": ", 0) == 0);
    CHECK_THAT(st.message(), Catch::Contains(c.words));
    CHECK(st.message().find('\n') == std::string::npos);
  }
}

TEST_CASE("A refusal's message quotes the server and its code, then the fix") {
  const Status st = mysql::ErrorStatus(Config(), "archiving Media rows", ER_RECORD_FILE_FULL,
                                       "The table 'Media' is full");
  CHECK(st.message() ==
        "database bc@unix:/run/mysqld/mysqld.sock/bluecherry: archiving Media rows: the database "
        "server's disk is full: The table 'Media' is full (error 1114); free space where it keeps "
        "its data (datadir, tmpdir)");
}

}  // namespace recsync::testing
