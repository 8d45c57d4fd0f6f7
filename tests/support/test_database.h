// A private Bluecherry database for one test: created on a throwaway server
// with a unique name, loaded with scripts/bluecherry-schema.sql (and the
// index scripts the options name), dropped on destruction.
//
// The server is the one scripts/with-mariadb.sh (or scripts/test.sh) started
// and named in RECSYNC_TEST_MYSQL_SOCKET, or a PrivateMariaDB's (pass its
// socket). Helpers connect as root with the binary character set, so paths go
// in and come out as bytes; they reconnect once if the server was restarted
// under them. A failing helper throws std::runtime_error with the server's
// message, which fails the test.
#pragma once

#include <mysql.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"

namespace recsync::testing {

// The defaults of TestDatabaseOptions, from the environment, so that a whole
// test binary can be run against another shape of Bluecherry database:
//   RECSYNC_TEST_CHARSET=utf8mb3|latin1|utf8mb4   (default utf8mb4)
//   RECSYNC_TEST_CLEANUP_INDEXES=1                (default off)
// A test that depends on one shape sets it explicitly.
std::string DefaultTestCharset();
bool DefaultCleanupIndexes();

struct TestDatabaseOptions {
  // Empty: $RECSYNC_TEST_MYSQL_SOCKET.
  std::string socket;
  // The database's default character set, which the tables inherit: utf8mb4
  // (recent installs), utf8mb3 (Bluecherry's published schema: no 4-byte
  // characters such as emoji) or latin1 (old ones, and any byte is a valid
  // latin1 character, so invalid UTF-8 can be stored).
  std::string charset = DefaultTestCharset();
  // Also load scripts/bluecherry-filepath-index.sql (Bluecherry 3.1.14+).
  bool filepath_index = false;
  // Also load scripts/bluecherry-3.1.13-indexes.sql (Bluecherry 3.1.13's
  // cleanup indexes, among them one on the whole of Media.filepath, which
  // in utf8mb4 the server shortens to 768 characters).
  bool cleanup_indexes = DefaultCleanupIndexes();
  // EventsCam rows InsertMedia()/InsertMediaBulk() add for each Media row.
  int events_per_media = 1;
};

class TestDatabase {
 public:
  explicit TestDatabase(TestDatabaseOptions options = {});
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  const std::string& name() const { return name_; }
  // What the product should connect with: root over the socket, this database.
  DbConfig config() const;

  // Runs one or more ';'-separated statements; results are discarded.
  void Exec(const std::string& sql);
  // Runs a query; each cell is its bytes, or nullopt for NULL.
  std::vector<std::vector<std::optional<std::string>>> Query(const std::string& sql);
  // The first column of the first row as an integer (0 when NULL or no rows).
  int64_t QueryInt(const std::string& sql);
  // Runs a SQL script file, e.g. scripts/bluecherry-filepath-index.sql.
  void ExecFile(const std::string& path);

  // Adds an active Media row (plus events_per_media EventsCam rows pointing
  // at it) and returns its id.
  int64_t InsertMedia(const std::string& path, int64_t start = 1700000000, int device_id = 1);
  // The same for many paths at once, with multi-row INSERTs (thousands of rows
  // in well under a second). Returns the ids, in the order of `paths`.
  std::vector<int64_t> InsertMediaBulk(const std::vector<std::string>& paths,
                                       int64_t start = 1700000000, int device_id = 1);
  void InsertStorage(int priority, const std::string& path);

  bool MediaArchived(int64_t id);
  // Ids of archived Media rows, ascending.
  std::vector<int64_t> ArchivedMediaIds();
  // media_id of every archived EventsCam row, ascending, without repeats.
  std::vector<int64_t> MediaIdsWithArchivedEvents();
  // Whether media_id has EventsCam rows and all of them are archived.
  bool EventsArchivedFor(int64_t media_id);
  std::string MediaPath(int64_t id);

  // `bytes` as a SQL hex literal (X'2f61'); any byte sequence is safe in it.
  static std::string Hex(const std::string& bytes);

 private:
  void Connect();
  // Runs `sql` and discards or collects results; reconnects once when the
  // connection was lost (the server was restarted since).
  std::vector<std::vector<std::optional<std::string>>> Run(const std::string& sql, bool collect);

  TestDatabaseOptions options_;
  std::string socket_;
  std::string name_;
  MYSQL* mysql_ = nullptr;
};

}  // namespace recsync::testing
