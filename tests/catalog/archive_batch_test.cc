// Writing the catalog: ArchiveBatch and UpdateFilepath change exactly the rows
// they are about, and say what they changed.
#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "tests/catalog/catalog_test_util.h"
#include "tests/support/test_database.h"

namespace recsync::testing {

TEST_CASE("ArchiveBatch archives exactly the listed active rows and their events") {
  TestDatabaseOptions options;
  options.events_per_media = 2;
  TestDatabase db(options);
  std::vector<std::string> paths;
  for (int i = 0; i < 20; ++i) paths.push_back("/r/2024/05/06/000001/" + std::to_string(i) + ".mp4");
  std::vector<int64_t> ids = db.InsertMediaBulk(paths);
  // An event without a recording, which must stay as it is.
  db.Exec("INSERT INTO EventsCam (time, level_id, device_id, type_id, length, media_id)"
          " VALUES (1, 'info', 1, 'motion', 0, NULL)");
  auto catalog = MustConnect(db.config());

  const std::vector<int64_t> batch = {ids[3], ids[1], ids[7], ids[12]};
  std::vector<int64_t> changed = Must(catalog->ArchiveBatch(batch));
  CHECK(changed == std::vector<int64_t>{ids[1], ids[3], ids[7], ids[12]});
  CHECK(db.ArchivedMediaIds() == changed);
  CHECK(db.MediaIdsWithArchivedEvents() == changed);
  for (int64_t id : changed) CHECK(db.EventsArchivedFor(id));
  CHECK(db.QueryInt("SELECT COUNT(*) FROM EventsCam WHERE archive <> 0") == 8);
  CHECK(db.QueryInt("SELECT COUNT(*) FROM EventsCam WHERE media_id IS NULL AND archive = 0") == 1);
  CHECK_FALSE(db.MediaArchived(ids[0]));

  SECTION("a second call changes nothing and says so") {
    CHECK(Must(catalog->ArchiveBatch(batch)).empty());
    CHECK(db.ArchivedMediaIds() == changed);
  }
  SECTION("rows already archived, unknown ids and repeats are left out") {
    const std::vector<int64_t> mixed = {ids[1], ids[2], 999999, ids[2], -5, ids[3]};
    CHECK(Must(catalog->ArchiveBatch(mixed)) == std::vector<int64_t>{ids[2]});
    CHECK(db.ArchivedMediaIds() == std::vector<int64_t>{ids[1], ids[2], ids[3], ids[7], ids[12]});
  }
  SECTION("archived rows vanish from ActiveRowsAfter and ActiveRowsByPath") {
    for (const MediaRow& row : Must(catalog->ActiveRowsAfter(0, 100))) {
      CHECK(std::find(changed.begin(), changed.end(), row.id) == changed.end());
    }
    CHECK(Must(catalog->ActiveRowsByPath(paths[7])).empty());
    CHECK(Must(catalog->ActiveRowsByPath(paths[8])).size() == 1);
  }
}

TEST_CASE("ArchiveBatch leaves the events of rows it did not change alone") {
  TestDatabase db;
  const int64_t a = db.InsertMedia("/r/a.mp4");
  const int64_t b = db.InsertMedia("/r/b.mp4");
  // Bluecherry archived b's Media row but not its event: not ours to fix.
  db.Exec("UPDATE Media SET archive = 1 WHERE id = " + std::to_string(b));
  auto catalog = MustConnect(db.config());
  CHECK(Must(catalog->ArchiveBatch({a, b})) == std::vector<int64_t>{a});
  CHECK(db.EventsArchivedFor(a));
  CHECK_FALSE(db.EventsArchivedFor(b));
}

TEST_CASE("ArchiveBatch with no ids does nothing") {
  TestDatabase db;
  db.InsertMedia("/r/a.mp4");
  auto catalog = MustConnect(db.config());
  CHECK(Must(catalog->ArchiveBatch({})).empty());
  CHECK(db.ArchivedMediaIds().empty());
}

TEST_CASE("ArchiveBatch runs the before-commit hook inside the transaction") {
  TestDatabase db;
  const int64_t a = db.InsertMedia("/r/a.mp4");
  auto catalog = MustConnect(db.config());
  bool ran = false;
  catalog->SetBeforeCommitHook([&] {
    ran = true;
    // Another connection cannot see the change yet: it is not committed.
    CHECK(db.QueryInt("SELECT archive FROM Media WHERE id = " + std::to_string(a)) == 0);
  });
  CHECK(Must(catalog->ArchiveBatch({a})) == std::vector<int64_t>{a});
  CHECK(ran);
  CHECK(db.MediaArchived(a));
}

TEST_CASE("ArchiveBatch handles a large batch in one go") {
  TestDatabase db;
  std::vector<std::string> paths;
  for (int i = 0; i < 5000; ++i) paths.push_back("/r/big/" + std::to_string(i) + ".mp4");
  std::vector<int64_t> ids = db.InsertMediaBulk(paths);
  auto catalog = MustConnect(db.config());
  CHECK(Must(catalog->ArchiveBatch(ids)) == ids);
  CHECK(db.QueryInt("SELECT COUNT(*) FROM Media WHERE archive = 0") == 0);
  CHECK(db.QueryInt("SELECT COUNT(*) FROM EventsCam WHERE archive = 0") == 0);
}

TEST_CASE("UpdateFilepath rewrites the path of an active row only") {
  TestDatabase db;
  const int64_t active = db.InsertMedia("/r/old.mp4");
  const int64_t archived = db.InsertMedia("/r/gone.mp4");
  db.Exec("UPDATE Media SET archive = 1 WHERE id = " + std::to_string(archived));
  auto catalog = MustConnect(db.config());

  CHECK(Must(catalog->UpdateFilepath(active, "/r/new.mp4")));
  CHECK(db.MediaPath(active) == "/r/new.mp4");
  CHECK(Must(catalog->ActiveRowsByPath("/r/new.mp4")).size() == 1);
  CHECK(Must(catalog->ActiveRowsByPath("/r/old.mp4")).empty());
  // Same path again: nothing changes, and it says so.
  CHECK_FALSE(Must(catalog->UpdateFilepath(active, "/r/new.mp4")));
  CHECK_FALSE(Must(catalog->UpdateFilepath(archived, "/r/elsewhere.mp4")));
  CHECK(db.MediaPath(archived) == "/r/gone.mp4");
  CHECK_FALSE(Must(catalog->UpdateFilepath(987654, "/r/x.mp4")));
}

}  // namespace recsync::testing

TEST_CASE("ArchiveRows leaves a row whose path changed since it was checked") {
  recsync::testing::TestDatabase db;
  auto catalog = recsync::Catalog::Connect(db.config(), {});
  REQUIRE(catalog.ok());
  const int64_t moved = db.InsertMedia("/rec/2026/11/23/000001/a.mp4");
  const int64_t same = db.InsertMedia("/rec/2026/11/23/000001/b.mp4");
  db.Exec("UPDATE Media SET filepath = '/rec/2026/11/23/000001/a2.mp4' WHERE id = " +
          std::to_string(moved));
  auto changed = (*catalog)->ArchiveRows({{moved, 0, "/rec/2026/11/23/000001/a.mp4"},
                                          {same, 0, "/rec/2026/11/23/000001/b.mp4"}});
  REQUIRE(changed.ok());
  CHECK(*changed == std::vector<int64_t>{same});
  CHECK_FALSE(db.MediaArchived(moved));
  CHECK_FALSE(db.EventsArchivedFor(moved));
}
