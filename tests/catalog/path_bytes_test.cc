// Paths are bytes: whatever a filesystem allows (quotes, backslashes,
// newlines, invalid UTF-8) must come back from the catalog unchanged and be
// found again by an exact lookup.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "tests/catalog/catalog_test_util.h"
#include "tests/support/test_database.h"

namespace recsync::testing {
namespace {

using namespace std::string_literals;

// Valid UTF-8 of at most three bytes a character (and plain ASCII), so
// storable in utf8mb4, utf8mb3 and latin1.
const std::vector<std::string> kAwkwardPaths = {
    "/r/it's here.mp4",
    "/r/say \"cheese\".mp4",
    "/r/back\\slash\\.mp4",
    "/r/trailing space .mp4",
    "/r/new\nline.mp4",
    "/r/tab\tand\rcarriage.mp4",
    "/r/percent%_under_score.mp4",
    "/r/semi;colon -- comment.mp4",
    "/r/caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac.mp4",
    "/r/" + std::string(900, 'x') + ".mp4",  // longer than any inline buffer
};

// Four bytes in UTF-8: not in utf8mb3 (Bluecherry's published schema).
const std::vector<std::string> kFourBytePaths = {
    "/r/emoji \xf0\x9f\x8e\xa5.mp4",
};

// Not UTF-8 at all: only a latin1 column can hold these.
const std::vector<std::string> kInvalidUtf8Paths = {
    "/r/\xff\xfe.mp4",
    "/r/latin1 caf\xe9.mp4",
    "/r/truncated \xe6\x97.mp4",
    "/r/nul\0inside.mp4"s,
};

void ExpectRoundTrip(TestDatabase& db, Catalog& catalog, const std::vector<std::string>& paths) {
  std::vector<int64_t> ids = db.InsertMediaBulk(paths);
  std::vector<MediaRow> all = Must(catalog.ActiveRowsAfter(0, 1000));
  REQUIRE(all.size() == paths.size());
  for (size_t i = 0; i < paths.size(); ++i) {
    INFO("path " << TestDatabase::Hex(paths[i]));
    CHECK(all[i].id == ids[i]);
    CHECK(all[i].filepath == paths[i]);
    std::vector<MediaRow> found = Must(catalog.ActiveRowsByPath(paths[i]));
    REQUIRE(found.size() == 1);
    CHECK(found[0].id == ids[i]);
    CHECK(found[0].filepath == paths[i]);
  }
  // And back in: rename each row to a sibling name and find it there.
  for (size_t i = 0; i < paths.size(); ++i) {
    INFO("path " << TestDatabase::Hex(paths[i]));
    const std::string renamed = paths[i] + "'\"\\\n.renamed";
    CHECK(Must(catalog.UpdateFilepath(ids[i], renamed)));
    CHECK(db.MediaPath(ids[i]) == renamed);
    std::vector<MediaRow> found = Must(catalog.ActiveRowsByPath(renamed));
    REQUIRE(found.size() == 1);
    CHECK(found[0].id == ids[i]);
    CHECK(Must(catalog.ActiveRowsByPath(paths[i])).empty());
  }
}

}  // namespace

TEST_CASE("Awkward paths round-trip byte for byte") {
  TestDatabaseOptions options;
  options.charset = GENERATE("utf8mb4", "utf8mb3", "latin1");
  options.filepath_index = GENERATE(false, true);
  options.cleanup_indexes = GENERATE(false, true);
  INFO("charset " << options.charset << ", index " << options.filepath_index << ", 3.1.13 indexes "
                  << options.cleanup_indexes);
  TestDatabase db(options);
  auto catalog = MustConnect(db.config());
  std::vector<std::string> paths = kAwkwardPaths;
  if (options.charset != "utf8mb3") {
    paths.insert(paths.end(), kFourBytePaths.begin(), kFourBytePaths.end());
  }
  ExpectRoundTrip(db, *catalog, paths);
}

TEST_CASE("Invalid UTF-8 paths round-trip in a latin1 database") {
  TestDatabaseOptions options;
  options.charset = "latin1";
  options.filepath_index = GENERATE(false, true);
  TestDatabase db(options);
  auto catalog = MustConnect(db.config());
  ExpectRoundTrip(db, *catalog, kInvalidUtf8Paths);
}

TEST_CASE("A path the column's character set cannot hold matches nothing and is not stored") {
  const auto [charset, path] = GENERATE(table<std::string, std::string>({
      {"utf8mb4", "/r/\xff.mp4"},                     // invalid UTF-8
      {"utf8mb3", "/r/\xff.mp4"},                     // invalid UTF-8
      {"utf8mb3", "/r/emoji \xf0\x9f\x8e\xa5.mp4"},  // a 4-byte character
  }));
  INFO(charset << ", " << TestDatabase::Hex(path));
  TestDatabaseOptions options;
  options.charset = charset;
  TestDatabase db(options);
  const int64_t id = db.InsertMedia("/r/ok.mp4");
  auto catalog = MustConnect(db.config());
  // No row can hold these bytes, so none has them: an answer, not an error.
  CHECK(Must(catalog->ActiveRowsByPath(path)).empty());
  // Storing them is impossible: the write is refused, and retrying cannot help.
  auto stored = catalog->UpdateFilepath(id, path);
  REQUIRE_FALSE(stored.ok());
  CHECK(stored.status().code() == Code::kRejected);
  CHECK(stored.status().message().find("\n") == std::string::npos);
  CHECK(db.MediaPath(id) == "/r/ok.mp4");
}

}  // namespace recsync::testing
