// Reading the active rows on two connections at once (catalog/row_stream.h):
// the caller must see exactly what one connection would show it.
#include "catalog/row_stream.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/catalog/catalog_test_util.h"
#include "tests/support/test_database.h"

namespace recsync::testing {
namespace {

struct Seen {
  int64_t id;
  int64_t start;
  std::string filepath;
  int64_t last_id;
  bool operator==(const Seen& o) const {
    return id == o.id && start == o.start && filepath == o.filepath && last_id == o.last_id;
  }
};

// `count` rows with a jump in the ids, archived rows and rows without a path
// among them; returns what a read must hand over, in order.
std::vector<Seen> Fill(TestDatabase& db, int count) {
  std::vector<std::string> first, later;
  for (int i = 0; i < count / 2; ++i) first.push_back(RecordingPath(i));
  for (int i = count / 2; i < count; ++i) later.push_back(RecordingPath(i));
  std::vector<int64_t> ids = db.InsertMediaBulk(first, 1700000000);
  db.Exec("ALTER TABLE Media AUTO_INCREMENT = 5000000");
  for (int64_t id : db.InsertMediaBulk(later, 1700000100)) ids.push_back(id);
  db.Exec("UPDATE Media SET archive = 1 WHERE id % 7 = 0");
  db.Exec("UPDATE Media SET filepath = '' WHERE id % 11 = 0");
  std::vector<Seen> expected;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] % 7 == 0 || ids[i] % 11 == 0) continue;
    const int64_t start = static_cast<int>(i) < count / 2 ? 1700000000 : 1700000100;
    expected.push_back({ids[i], start, RecordingPath(static_cast<int>(i)), ids.back()});
  }
  return expected;
}

// Appends each row to `out`; then asks `then` (given how many rows came)
// whether to go on.
std::function<bool(const MediaRowView&)> Collect(
    std::vector<Seen>& out, std::function<bool(size_t)> then = nullptr) {
  return [&out, then](const MediaRowView& row) {
    out.push_back({row.id, row.start, std::string(row.filepath), row.last_id});
    return then ? then(out.size()) : true;
  };
}

}  // namespace

TEST_CASE("rows read on two connections reach the caller once each, in id order") {
  TestDatabase db;
  const std::vector<Seen> expected = Fill(db, 600);
  auto first = MustConnect(db.config());
  auto second = MustConnect(db.config());

  // Spans of one id up to more than all of them; chunks of one row up to
  // more than a span; no chunk allowed ahead of the caller, or many.
  RowStreamOptions options;
  options.span_ids = GENERATE(1, 7, 500, 100000000);
  options.chunk_rows = GENERATE(1, 64);
  options.ahead_chunks = GENERATE(0, 3, 1000);
  std::vector<std::atomic<size_t>> spans(2);
  options.spans_read = &spans;
  std::vector<Seen> seen;
  REQUIRE(StreamActiveRowsOn({first.get(), second.get()}, 0, options, Collect(seen)).ok());
  CHECK(seen == expected);
  // With hundreds of spans both connections read some.
  if (options.span_ids <= 7) {
    CHECK(spans[0] > 0);
    CHECK(spans[1] > 0);
  }
  options.spans_read = nullptr;

  // And from an id on, as the single-connection read does.
  const int64_t after = expected[expected.size() / 3].id;
  std::vector<Seen> tail, single;
  REQUIRE(StreamActiveRowsOn({first.get(), second.get()}, after, options, Collect(tail)).ok());
  REQUIRE(first->StreamActiveRows(after, Collect(single)).ok());
  CHECK(tail == single);
  CHECK(tail.front().id > after);
}

TEST_CASE("a read stopped by the caller hands over nothing after and returns Ok") {
  TestDatabase db;
  const std::vector<Seen> expected = Fill(db, 3000);
  auto first = MustConnect(db.config());
  auto second = MustConnect(db.config());
  RowStreamOptions options;
  options.span_ids = 100;
  options.chunk_rows = 16;
  options.ahead_chunks = 2;
  std::vector<Seen> seen;
  const size_t stop_at = GENERATE(1, 15, 16, 500);
  Status read = StreamActiveRowsOn({first.get(), second.get()}, 0, options,
                                   Collect(seen, [&](size_t n) { return n < stop_at; }));
  REQUIRE(read.ok());
  CHECK(seen == std::vector<Seen>(expected.begin(), expected.begin() + stop_at));
  // Both connections are free again.
  std::vector<Seen> again;
  REQUIRE(StreamActiveRowsOn({second.get(), first.get()}, 0, options, Collect(again)).ok());
  CHECK(again == expected);
}

TEST_CASE("once one reader is asked for, the rest comes on the first connection, nothing lost") {
  TestDatabase db;
  const std::vector<Seen> expected = Fill(db, 3000);
  auto first = MustConnect(db.config());
  auto second = MustConnect(db.config());
  std::atomic<bool> one_reader{false};
  RowStreamOptions options;
  options.span_ids = 50;
  options.chunk_rows = 8;
  options.ahead_chunks = 4;
  options.one_reader = &one_reader;
  std::vector<std::atomic<size_t>> spans(2);
  options.spans_read = &spans;
  const size_t switch_at = GENERATE(0, 1, 333, 2000);
  if (switch_at == 0) one_reader = true;
  std::vector<Seen> seen;
  REQUIRE(StreamActiveRowsOn({first.get(), second.get()}, 0, options,
                             Collect(seen, [&](size_t n) {
                               if (n == switch_at) one_reader = true;
                               return true;
                             }))
              .ok());
  CHECK(seen == expected);
  if (switch_at == 0) CHECK(spans[1] == 0);
  CHECK(spans[0] > 0);
}

TEST_CASE("two connections over no rows, or from past the last id, hand over nothing") {
  TestDatabase db;
  auto first = MustConnect(db.config());
  auto second = MustConnect(db.config());
  RowStreamOptions options;
  options.span_ids = 10;
  std::vector<Seen> seen;
  REQUIRE(StreamActiveRowsOn({first.get(), second.get()}, 0, options, Collect(seen)).ok());
  CHECK(seen.empty());
  const std::vector<Seen> expected = Fill(db, 100);
  REQUIRE(StreamActiveRowsOn({first.get(), second.get()}, expected.back().id, options,
                             Collect(seen))
              .ok());
  CHECK(seen.empty());
}

TEST_CASE("an exception from the caller's function leaves the read, both connections usable") {
  TestDatabase db;
  const std::vector<Seen> expected = Fill(db, 3000);
  auto first = MustConnect(db.config());
  auto second = MustConnect(db.config());
  RowStreamOptions options;
  options.span_ids = 100;
  options.chunk_rows = 16;
  options.ahead_chunks = 2;
  size_t calls = 0;
  REQUIRE_THROWS_AS(StreamActiveRowsOn({first.get(), second.get()}, 0, options,
                                       [&](const MediaRowView&) -> bool {
                                         if (++calls == 300) throw std::runtime_error("caller");
                                         return true;
                                       }),
                    std::runtime_error);
  CHECK(calls == 300);
  std::vector<Seen> again;
  REQUIRE(StreamActiveRowsOn({first.get(), second.get()}, 0, options, Collect(again)).ok());
  CHECK(again == expected);
}

TEST_CASE("connections lost in the middle of a read resume where they were: no row lost or repeated") {
  TestDatabase db;
  // Spans large enough that the server is still sending them when the
  // connections are killed: the connection ahead of the caller is held back
  // after two small chunks.
  const std::vector<Seen> expected = Fill(db, 30000);
  std::atomic<int> retries{0};
  auto first = MustConnect(db.config());
  auto second = MustConnect(db.config());
  for (Catalog* c : {first.get(), second.get()}) {
    c->SetRetryHook([&](const Status&) { ++retries; });
  }
  RowStreamOptions options;
  options.span_ids = 10000;
  options.chunk_rows = 16;
  options.ahead_chunks = 2;
  std::vector<Seen> seen;
  REQUIRE(StreamActiveRowsOn({first.get(), second.get()}, 0, options,
                             Collect(seen, [&](size_t n) {
                               if (n == 200) KillRowReaders(db);
                               return true;
                             }))
              .ok());
  CHECK(retries > 0);
  CHECK(seen == expected);
}

TEST_CASE("a connection that cannot resume ends the read with its error, after the rows before it") {
  TestDatabase db;
  const std::vector<Seen> expected = Fill(db, 30000);
  // No retries: a lost connection is an error at once.
  auto first = MustConnect(db.config(), TestOptions(std::chrono::milliseconds(0)));
  auto second = MustConnect(db.config(), TestOptions(std::chrono::milliseconds(0)));
  RowStreamOptions options;
  options.span_ids = 10000;
  options.chunk_rows = 16;
  options.ahead_chunks = 2;
  std::vector<Seen> seen;
  Status read = StreamActiveRowsOn({first.get(), second.get()}, 0, options,
                                   Collect(seen, [&](size_t n) {
                               if (n == 200) KillRowReaders(db);
                               return true;
                             }));
  REQUIRE_FALSE(read.ok());
  INFO(read.message());
  CHECK(read.code() == Code::kUnavailable);
  // What came is the start of the rows, whole, and stops short of the end.
  REQUIRE(seen.size() >= 200);
  REQUIRE(seen.size() < expected.size());
  CHECK(seen == std::vector<Seen>(expected.begin(), expected.begin() + seen.size()));
}

}  // namespace recsync::testing
