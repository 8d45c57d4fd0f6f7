// Storage rows with their thresholds, rows under a directory, and renamed
// rows re-pointed: exact bytes, whatever the collation and the path's
// characters.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "tests/catalog/catalog_test_util.h"
#include "tests/support/test_database.h"

namespace recsync::testing {
namespace {

std::vector<int64_t> Ids(const std::vector<MediaRow>& rows) {
  std::vector<int64_t> ids;
  for (const auto& r : rows) ids.push_back(r.id);
  return ids;
}

// A directory name LIKE or a case-folding collation would get wrong.
const std::string kDir = "/r/Cam 'one' \"two\"\nthree\\%_";

}  // namespace

TEST_CASE("StorageInfos lists Storage rows by priority with whole-percent thresholds") {
  TestDatabase db;
  auto catalog = MustConnect(db.config());
  CHECK(Must(catalog->StorageInfos()).empty());
  db.InsertStorage(3, "/mnt/c");  // 95.00 / 90.00
  db.Exec(
      "INSERT INTO Storage (priority, path, max_thresh, min_thresh) VALUES"
      " (1, '/var/lib/bluecherry/recordings', 87.50, 80.99)");
  db.InsertStorage(2, "/mnt/b with space");
  auto infos = Must(catalog->StorageInfos());
  REQUIRE(infos.size() == 3);
  CHECK(infos[0].path == "/var/lib/bluecherry/recordings");
  CHECK(infos[0].priority == 1);
  CHECK(infos[0].max_thresh == 87);  // rounded down
  CHECK(infos[0].min_thresh == 80);
  CHECK(infos[1].path == "/mnt/b with space");
  CHECK(infos[2].path == "/mnt/c");
  CHECK(infos[2].priority == 3);
  CHECK(infos[2].max_thresh == 95);
  CHECK(infos[2].min_thresh == 90);
  CHECK(Must(catalog->StorageRoots()) ==
        std::vector<std::string>{"/var/lib/bluecherry/recordings", "/mnt/b with space", "/mnt/c"});
}

TEST_CASE("ActiveRowsUnder returns the active rows below a directory, byte for byte") {
  TestDatabaseOptions options;
  options.charset = GENERATE("utf8mb4", "latin1");
  options.filepath_index = GENERATE(false, true);
  INFO("charset " << options.charset << ", index " << options.filepath_index);
  TestDatabase db(options);
  std::vector<int64_t> ids = db.InsertMediaBulk({
      kDir + "/1.mp4",                          // 0: under
      kDir + "/000001/a b\n'c'.mp4",            // 1: under, deeper
      "/r/cam 'one' \"two\"\nthree\\%_/2.mp4",  // 2: differs in case only
      kDir + "x/3.mp4",                         // 3: a sibling sharing the prefix
      kDir,                                     // 4: the directory's own path
      "/r/Cam 'one' \"two\"\nthree\\ab/4.mp4",  // 5: what LIKE's % and _ would match
      kDir + "/archived.mp4",                   // 6: under, but archived
      kDir + " /5.mp4",                         // 7: trailing space before the slash
  });
  db.Exec("UPDATE Media SET archive = 1 WHERE id = " + std::to_string(ids[6]));
  auto catalog = MustConnect(db.config());

  auto rows = Must(catalog->ActiveRowsUnder(kDir));
  CHECK(Ids(rows) == std::vector<int64_t>{ids[0], ids[1]});
  REQUIRE(rows.size() == 2);
  CHECK(rows[1].filepath == kDir + "/000001/a b\n'c'.mp4");
  CHECK(Ids(Must(catalog->ActiveRowsUnder(kDir + "/000001"))) == std::vector<int64_t>{ids[1]});
  CHECK(Must(catalog->ActiveRowsUnder("/r/nothing")).empty());
}

TEST_CASE("ActiveRowsUnder with invalid UTF-8 finds rows in latin1 and nothing in utf8mb4") {
  const std::string dir = "/r/caf\xe9 \xff";
  SECTION("latin1") {
    TestDatabaseOptions options;
    options.charset = "latin1";
    TestDatabase db(options);
    auto ids = db.InsertMediaBulk({dir + "/a.mp4", "/r/caf\xc9 \xff/b.mp4"});
    auto catalog = MustConnect(db.config());
    CHECK(Ids(Must(catalog->ActiveRowsUnder(dir))) == std::vector<int64_t>{ids[0]});
  }
  SECTION("utf8mb4") {
    TestDatabase db;
    db.InsertMedia("/r/cafe/a.mp4");
    auto catalog = MustConnect(db.config());
    CHECK(Must(catalog->ActiveRowsUnder(dir)).empty());
  }
}

TEST_CASE("RepathRows re-points rows still active at the path they were read with") {
  TestDatabase db;
  auto ids = db.InsertMediaBulk({"/r/a.mp4", "/r/b.mp4", "/r/c.mp4", "/r/D.mp4", "/r/e.mp4"});
  auto catalog = MustConnect(db.config());
  auto rows = Must(catalog->ActiveRowsByIds(ids));
  REQUIRE(rows.size() == 5);
  // Meanwhile b is archived and c renamed by someone else; d is given with
  // the wrong case, which the collation would accept and bytes do not.
  db.Exec("UPDATE Media SET archive = 1 WHERE id = " + std::to_string(ids[1]));
  db.Exec("UPDATE Media SET filepath = '/r/c2.mp4' WHERE id = " + std::to_string(ids[2]));
  rows[3].filepath = "/r/d.mp4";

  const std::vector<std::string> to = {"/s/it's \"a\"\nnew.mp4", "/s/b.mp4", "/s/c.mp4", "/s/d.mp4",
                                       "/s/e %_.mp4"};
  // Given out of order, answered ascending.
  std::vector<MediaRow> given = {rows[4], rows[0], rows[1], rows[2], rows[3]};
  std::vector<std::string> given_to = {to[4], to[0], to[1], to[2], to[3]};
  CHECK(Must(catalog->RepathRows(given, given_to)) == std::vector<int64_t>{ids[0], ids[4]});
  CHECK(db.MediaPath(ids[0]) == to[0]);
  CHECK(db.MediaPath(ids[1]) == "/r/b.mp4");
  CHECK(db.MediaPath(ids[2]) == "/r/c2.mp4");
  CHECK(db.MediaPath(ids[3]) == "/r/D.mp4");
  CHECK(db.MediaPath(ids[4]) == to[4]);
  CHECK(db.ArchivedMediaIds() == std::vector<int64_t>{ids[1]});
  CHECK(db.MediaIdsWithArchivedEvents().empty());
  CHECK(Ids(Must(catalog->ActiveRowsByPath(to[0]))) == std::vector<int64_t>{ids[0]});

  // Done already: a replay changes nothing.
  CHECK(Must(catalog->RepathRows(given, given_to)).empty());
  CHECK(Must(catalog->RepathRows({}, {})).empty());
}

TEST_CASE("RepathRows refuses mismatched lists and changes nothing when a path cannot be stored") {
  TestDatabaseOptions options;
  options.charset = "utf8mb4";  // invalid UTF-8 cannot be stored
  TestDatabase db(options);
  auto ids = db.InsertMediaBulk({"/r/a.mp4", "/r/b.mp4"});
  auto catalog = MustConnect(db.config());
  auto rows = Must(catalog->ActiveRowsByIds(ids));

  auto mismatched = catalog->RepathRows(rows, {"/s/a.mp4"});
  REQUIRE_FALSE(mismatched.ok());
  CHECK(mismatched.status().code() == Code::kInvalid);

  auto unstorable = catalog->RepathRows(rows, {"/s/a.mp4", "/s/\xff.mp4"});
  REQUIRE_FALSE(unstorable.ok());
  CHECK(unstorable.status().code() == Code::kRejected);
  CHECK(unstorable.status().message().find('\n') == std::string::npos);
  // One transaction: the first row, already updated, was rolled back.
  CHECK(db.MediaPath(ids[0]) == "/r/a.mp4");
  CHECK(db.MediaPath(ids[1]) == "/r/b.mp4");
}

}  // namespace recsync::testing
