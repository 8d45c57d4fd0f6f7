// With Bluecherry 3.1.13's indexes on Media (archive), (archive, start),
// (start) and (filepath), on a table of a realistic size and shape, the
// catalog's statements keep the plans they were designed for, and their
// results stay right: whatever picks rows by id reads a range of the primary
// key (the optimizer would otherwise read a span through idx_media_archive,
// up to every active row of the table, and lock index records of active rows
// through it), and a lookup by path uses the filepath index. The statements
// checked are the ones the catalog sent, as the server's general log has
// them, EXPLAINed on the same server.
#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "catalog/row_stream.h"
#include "tests/catalog/catalog_test_util.h"
#include "tests/support/mariadb_server.h"
#include "tests/support/test_database.h"

namespace recsync::testing {
namespace {

constexpr int64_t kRows = 300000;
constexpr int64_t kArchived = 270000;  // the oldest; the newest 30,000 are active

std::string PathOf(int64_t id) {
  return "/var/lib/bluecherry/recordings/2024/01/01/000001/" + std::to_string(id) + ".mp4";
}

// Fills Media (and EventsCam, one event a recording) on the server's side:
// ids 1..kRows, the first kArchived archived. Then the statistics a server
// that has run for a while has.
void FillAsADvrSomeYearsIn(TestDatabase& db) {
  db.Exec("INSERT INTO Media (start, end, size, device_id, filepath, archive)"
          " SELECT 1600000000 + seq * 60, 1600000060 + seq * 60, 1048576, 1,"
          " CONCAT('/var/lib/bluecherry/recordings/2024/01/01/000001/', seq, '.mp4'),"
          " seq <= " + std::to_string(kArchived) + " FROM seq_1_to_" + std::to_string(kRows));
  db.Exec("INSERT INTO EventsCam (time, level_id, device_id, type_id, length, media_id, archive)"
          " SELECT start, 'info', device_id, 'continuous', 60, id, archive FROM Media");
  db.Exec("ANALYZE TABLE Media, EventsCam");
}

// What EXPLAIN says about Media in one statement.
struct MediaAccess {
  std::string type, key;
};

std::vector<MediaAccess> ExplainMedia(TestDatabase& db, const std::string& statement) {
  std::vector<MediaAccess> out;
  auto rows = db.Query("EXPLAIN " + statement);
  // EXPLAIN's columns: id, select_type, table, type, possible_keys, key, ...
  for (const auto& row : rows) {
    if (row.size() > 5 && row[2] && *row[2] == "Media") {
      out.push_back({row[3].value_or("NULL"), row[5].value_or("NULL")});
    }
  }
  return out;
}

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("With Bluecherry 3.1.13's indexes, rows are picked by id and the results stay right") {
  PrivateMariaDB server(PrivateMariaDBOptions{{"--innodb-buffer-pool-size=256M"}, ""});
  TestDatabaseOptions options;
  options.socket = server.socket();
  options.charset = "utf8mb3";  // Bluecherry's published schema: the whole filepath is indexed
  options.cleanup_indexes = true;
  TestDatabase db(options);
  FillAsADvrSomeYearsIn(db);
  auto catalog = MustConnect(db.config());
  auto second = Must(catalog->Another());
  db.Exec("TRUNCATE TABLE mysql.general_log");
  db.Exec("SET GLOBAL log_output = 'TABLE'; SET GLOBAL general_log = 1");

  // The reads, each with its result.
  int64_t count = 0, first = 0, last = 0;
  auto count_rows = [&](const MediaRowView& row) {
    if (count++ == 0) first = row.id;
    CHECK(row.id > last);
    CHECK(row.filepath == PathOf(row.id));
    last = row.id;
    return true;
  };
  REQUIRE(catalog->StreamActiveRows(0, count_rows).ok());
  CHECK(count == kRows - kArchived);
  CHECK(first == kArchived + 1);
  CHECK(last == kRows);
  count = first = last = 0;
  REQUIRE(StreamActiveRowsOn({catalog.get(), second.get()}, 0, {}, count_rows).ok());
  CHECK(count == kRows - kArchived);
  const std::vector<MediaRow> after = Must(catalog->ActiveRowsAfter(280000, 3));
  REQUIRE(after.size() == 3);
  CHECK(after[0].id == 280001);
  CHECK(after[2].id == 280003);
  const std::vector<MediaRow> by_path = Must(catalog->ActiveRowsByPath(PathOf(285000)));
  REQUIRE(by_path.size() == 1);
  CHECK(by_path[0].id == 285000);
  CHECK(Must(catalog->ActiveRowsByPath(PathOf(1000))).empty());  // archived
  const std::vector<MediaRow> by_ids = Must(catalog->ActiveRowsByIds({1000, 285000, 299999}));
  REQUIRE(by_ids.size() == 2);
  CHECK(by_ids[1].id == 299999);

  // The writes, each with what it changed.
  const std::vector<MediaRow> gone = {{280001, 0, PathOf(280001)}, {280002, 0, PathOf(280002)}};
  CHECK(Must(catalog->ArchiveRows(gone)) == std::vector<int64_t>{280001, 280002});
  CHECK(Must(catalog->ArchiveBatch({1000, 280003})) == std::vector<int64_t>{280003});
  CHECK(db.ArchivedMediaIds().size() == static_cast<size_t>(kArchived + 3));
  CHECK(db.EventsArchivedFor(280003));
  CHECK_FALSE(db.EventsArchivedFor(280004));
  CHECK(Must(catalog->RepathRows({{290000, 0, PathOf(290000)}}, {"/srv/moved/290000.mp4"})) ==
        std::vector<int64_t>{290000});
  CHECK(Must(catalog->UpdateFilepath(290001, "/srv/moved/290001.mp4")));
  CHECK(db.MediaPath(290000) == "/srv/moved/290000.mp4");
  db.Exec("SET GLOBAL general_log = 0");

  // What the catalog sent (not the test's own connection), EXPLAINed.
  const auto logged = db.Query(
      "SELECT argument FROM mysql.general_log WHERE command_type IN ('Query', 'Execute')"
      " AND thread_id <> CONNECTION_ID() AND argument LIKE '%Media%'");
  std::set<std::string> kinds;  // which kinds of statement were seen
  for (const auto& row : logged) {
    const std::string statement = row.at(0).value_or("");
    if (statement.rfind("SELECT", 0) != 0 && statement.rfind("UPDATE", 0) != 0) continue;
    INFO(statement.substr(0, 300));
    const std::vector<MediaAccess> accesses = ExplainMedia(db, statement);
    for (const MediaAccess& access : accesses) {
      INFO("type " << access.type << ", key " << access.key);
      if (Has(statement, "WHERE filepath = ")) {
        CHECK(access.key == "idx_media_filepath");
        kinds.insert("by path");
      } else {
        CHECK(access.key == "PRIMARY");
        CHECK((access.type == "range" || access.type == "const" || access.type == "eq_ref"));
      }
    }
    if (Has(statement, "archive = 0 AND id >")) kinds.insert("span");
    if (Has(statement, "FOR UPDATE")) kinds.insert("lock");
    if (statement.rfind("UPDATE Media", 0) == 0) kinds.insert("update");
    if (Has(statement, "id IN (")) kinds.insert("by ids");
  }
  CHECK(kinds == std::set<std::string>{"by ids", "by path", "lock", "span", "update"});
}

}  // namespace recsync::testing
