// Reading the catalog: keyset pagination over active rows, lookups by path,
// Storage roots and the filepath index probe.
#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "tests/catalog/catalog_test_util.h"
#include "tests/support/test_database.h"

namespace recsync::testing {

TEST_CASE("ActiveRowsAfter returns every active row exactly once, in id order, across pages") {
  TestDatabase db;
  std::vector<std::string> paths;
  for (int i = 0; i < 2500; ++i) paths.push_back(RecordingPath(i));
  std::vector<int64_t> ids = db.InsertMediaBulk(paths, 1700000000);
  // Rows the sweep must never see: archived ones and ones without a file.
  db.Exec("UPDATE Media SET archive = 1 WHERE id % 7 = 0");
  db.Exec("UPDATE Media SET filepath = '' WHERE id % 11 = 0");
  std::vector<int64_t> expected;
  for (int64_t id : ids) {
    if (id % 7 != 0 && id % 11 != 0) expected.push_back(id);
  }
  auto catalog = MustConnect(db.config());

  const size_t page = GENERATE(1, 97, 1000, 5000);
  std::vector<int64_t> seen;
  int64_t after = 0;
  size_t pages = 0;
  for (;;) {
    std::vector<MediaRow> rows = Must(catalog->ActiveRowsAfter(after, page));
    REQUIRE(rows.size() <= page);
    if (rows.empty()) break;
    ++pages;
    REQUIRE(pages <= expected.size());  // a page makes progress, or this never ends
    for (const MediaRow& row : rows) {
      REQUIRE(row.id > after);  // strictly increasing, so no repeats
      after = row.id;
      seen.push_back(row.id);
      const size_t index = static_cast<size_t>(row.id - ids.front());
      CHECK(row.filepath == paths[index]);
      CHECK(row.start == 1700000000);
    }
  }
  CHECK(seen == expected);
  CHECK(pages == (expected.size() + page - 1) / page);
}

TEST_CASE("StreamActiveRows hands over every active row once, in id order, long paths whole") {
  TestDatabaseOptions options;
  options.charset = "utf8mb4";  // a character of two bytes, counted as one
  TestDatabase db(options);
  std::vector<std::string> paths;
  for (int i = 0; i < 3000; ++i) {
    // Some paths longer (in bytes) than the stream's first buffer, which
    // must grow: 700 two-byte characters fit the VARCHAR(1024).
    std::string longer = "/rec/";
    for (int k = 0; k < 700; ++k) longer += "\xc3\xa9";
    paths.push_back(i % 500 == 7 ? longer + std::to_string(i) + ".mp4" : RecordingPath(i));
  }
  std::vector<int64_t> ids = db.InsertMediaBulk(paths, 1700000000);
  db.Exec("UPDATE Media SET archive = 1 WHERE id % 7 = 0");
  db.Exec("UPDATE Media SET filepath = '' WHERE id % 11 = 0");  // no file: never swept
  std::vector<int64_t> expected;
  for (int64_t id : ids) {
    if (id % 7 != 0 && id % 11 != 0) expected.push_back(id);
  }
  auto catalog = MustConnect(db.config());
  std::vector<int64_t> seen;
  REQUIRE(catalog
              ->StreamActiveRows(0,
                                 [&](const MediaRowView& row) {
                                   seen.push_back(row.id);
                                   const size_t index = static_cast<size_t>(row.id - ids.front());
                                   CHECK(row.filepath == paths[index]);
                                   CHECK(row.start == 1700000000);
                                   // The bound on the rows left, which the
                                   // sweep's early archiving relies on.
                                   CHECK(row.last_id == ids.back());
                                   return true;
                                 })
              .ok());
  CHECK(seen == expected);

  // From a given id on; stopping early leaves the connection usable.
  const int64_t after = expected[expected.size() / 2];
  std::vector<int64_t> tail;
  REQUIRE(catalog
              ->StreamActiveRows(after,
                                 [&](const MediaRowView& row) {
                                   tail.push_back(row.id);
                                   return tail.size() < 10;
                                 })
              .ok());
  REQUIRE(tail.size() == 10);
  CHECK(tail.front() > after);
  CHECK(std::is_sorted(tail.begin(), tail.end()));
  CHECK(Must(catalog->ActiveRowsAfter(0, 5)).size() == 5);
}

TEST_CASE("ActiveRowsAfter past the last row, or with limit 0, returns nothing") {
  TestDatabase db;
  const int64_t id = db.InsertMedia("/r/a.mp4");
  auto catalog = MustConnect(db.config());
  CHECK(Must(catalog->ActiveRowsAfter(id, 10)).empty());
  CHECK(Must(catalog->ActiveRowsAfter(0, 0)).empty());
  CHECK(Must(catalog->ActiveRowsAfter(-1, 10)).size() == 1);
}

TEST_CASE("ActiveRowsByPath finds the active rows with exactly that path") {
  const bool with_index = GENERATE(false, true);
  TestDatabaseOptions options;
  options.filepath_index = with_index;
  options.cleanup_indexes = false;  // they include one on filepath
  TestDatabase db(options);
  const int64_t first = db.InsertMedia("/r/2024/01/01/000001/10-00-00.mp4", 100);
  const int64_t duplicate = db.InsertMedia("/r/2024/01/01/000001/10-00-00.mp4", 200);
  const int64_t archived = db.InsertMedia("/r/2024/01/01/000001/10-00-00.mp4", 300);
  db.Exec("UPDATE Media SET archive = 1 WHERE id = " + std::to_string(archived));
  // Equal under utf8mb4_general_ci (case, trailing spaces) but not the same
  // file on a case-sensitive filesystem.
  db.InsertMedia("/R/2024/01/01/000001/10-00-00.MP4");
  db.InsertMedia("/r/2024/01/01/000001/10-00-00.mp4 ");
  db.InsertMedia("/r/2024/01/01/000001/10-00-01.mp4");

  auto catalog = MustConnect(db.config());
  CHECK(Must(catalog->HasFilepathIndex()) == with_index);
  std::vector<MediaRow> rows = Must(catalog->ActiveRowsByPath("/r/2024/01/01/000001/10-00-00.mp4"));
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].id == first);
  CHECK(rows[0].start == 100);
  CHECK(rows[1].id == duplicate);
  CHECK(rows[1].filepath == "/r/2024/01/01/000001/10-00-00.mp4");
  CHECK(Must(catalog->ActiveRowsByPath("/r/nowhere.mp4")).empty());
  CHECK(Must(catalog->ActiveRowsByPath("")).empty());
}

TEST_CASE("HasFilepathIndex sees an index only when filepath is its first column") {
  TestDatabaseOptions options;
  options.cleanup_indexes = false;  // they include one on filepath
  TestDatabase db(options);
  auto catalog = MustConnect(db.config());
  CHECK_FALSE(Must(catalog->HasFilepathIndex()));
  db.Exec("CREATE INDEX by_device_path ON Media (device_id, filepath(100))");
  CHECK_FALSE(Must(catalog->HasFilepathIndex()));
  // The full-column form Bluecherry's upgrade script uses; MariaDB turns it
  // into a prefix index (with a note), which still counts.
  db.Exec("CREATE INDEX idx_media_filepath ON Media (filepath)");
  CHECK(Must(catalog->HasFilepathIndex()));
}

TEST_CASE("StorageRoots lists Storage.path by priority") {
  TestDatabase db;
  auto catalog = MustConnect(db.config());
  CHECK(Must(catalog->StorageRoots()).empty());
  db.InsertStorage(3, "/mnt/c");
  db.InsertStorage(1, "/var/lib/bluecherry/recordings");
  db.InsertStorage(2, "/mnt/b with space");
  CHECK(Must(catalog->StorageRoots()) ==
        std::vector<std::string>{"/var/lib/bluecherry/recordings", "/mnt/b with space", "/mnt/c"});
}

TEST_CASE("active rows are read span by span: past a long archived history and gaps in the ids") {
  TestDatabase db;
  // An archived history below the active rows, ids far apart, and archived
  // rows among the active ones; read 10 ids per query.
  std::vector<std::string> first, later;
  for (int i = 0; i < 250; ++i) first.push_back(RecordingPath(i));
  for (int i = 250; i < 300; ++i) later.push_back(RecordingPath(i));
  std::vector<int64_t> ids = db.InsertMediaBulk(first, 1700000000);
  db.Exec("ALTER TABLE Media AUTO_INCREMENT = 1000000");
  for (int64_t id : db.InsertMediaBulk(later, 1700000000)) ids.push_back(id);
  REQUIRE(ids.back() > 1000000);
  db.Exec("UPDATE Media SET archive = 1 WHERE id < " + std::to_string(ids[200]));
  db.Exec("UPDATE Media SET archive = 1 WHERE id % 5 = 0");
  std::vector<int64_t> expected;
  for (size_t i = 200; i < ids.size(); ++i) {
    if (ids[i] % 5 != 0) expected.push_back(ids[i]);
  }
  CatalogOptions options = TestOptions();
  options.id_span = 10;
  auto catalog = MustConnect(db.config(), options);

  std::vector<int64_t> streamed;
  REQUIRE(catalog
              ->StreamActiveRows(0,
                                 [&](const MediaRowView& row) {
                                   streamed.push_back(row.id);
                                   return true;
                                 })
              .ok());
  CHECK(streamed == expected);

  const size_t page = GENERATE(1, 7, 1000);
  std::vector<int64_t> paged;
  for (int64_t after = 0;;) {
    auto rows = Must(catalog->ActiveRowsAfter(after, page));
    REQUIRE(rows.size() <= page);
    if (rows.empty()) break;
    for (const auto& row : rows) paged.push_back(row.id);
    after = rows.back().id;
  }
  CHECK(paged == expected);
}

TEST_CASE("a connection lost in the middle of StreamActiveRows resumes after the last row handed over") {
  TestDatabase db;
  // Enough rows that the server is still sending when the connection dies.
  std::vector<std::string> paths;
  for (int i = 0; i < 30000; ++i) paths.push_back(RecordingPath(i));
  const std::vector<int64_t> ids = db.InsertMediaBulk(paths, 1700000000);
  auto catalog = MustConnect(db.config());
  int retries = 0;
  catalog->SetRetryHook([&](const Status&) { ++retries; });
  std::vector<int64_t> streamed;
  REQUIRE(catalog
              ->StreamActiveRows(0,
                                 [&](const MediaRowView& row) {
                                   streamed.push_back(row.id);
                                   if (streamed.size() == 100) KillRowReaders(db);
                                   return true;
                                 })
              .ok());
  CHECK(retries == 1);
  CHECK(streamed == ids);
}

}  // namespace recsync::testing
