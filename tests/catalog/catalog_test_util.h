// Shared by the catalog tests: connecting with short timeouts, Catch2
// output for Status, recording paths, and killing a reading connection.
#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "catalog/catalog.h"
#include "tests/support/test_database.h"

namespace recsync::testing {

// Retry budgets small enough that a test expecting failure finishes quickly,
// and large enough that a healthy server never trips them.
inline CatalogOptions TestOptions(std::chrono::milliseconds retry_for = std::chrono::seconds(5)) {
  CatalogOptions o;
  o.retry_for = retry_for;
  o.io_timeout = std::chrono::seconds(5);
  return o;
}

// Connects or fails the test with the Status message.
inline std::unique_ptr<Catalog> MustConnect(const DbConfig& config,
                                            const CatalogOptions& options = TestOptions()) {
  auto catalog = Catalog::Connect(config, options);
  INFO(catalog.status().message());
  REQUIRE(catalog.ok());
  return std::move(*catalog);
}

// The value of `result`, failing the test with its message if it is an error.
template <typename T>
T Must(Result<T> result) {
  INFO(result.status().message());
  REQUIRE(result.ok());
  return std::move(*result);
}

// The path of recording `i` in Bluecherry's layout, unique for every i.
inline std::string RecordingPath(int i) {
  char buf[96];
  std::snprintf(buf, sizeof(buf), "/var/lib/bluecherry/recordings/2024/01/%02d/%06d/%02d-%02d-00.mp4",
                1 + i % 28, 1 + i % 4, (i / 60) % 24, i % 60);
  return buf + std::to_string(i);  // unique even where the clock fields repeat
}

// Kills the connections of `db` that are reading active Media rows, as a
// server restart or a network cut would.
inline void KillRowReaders(TestDatabase& db) {
  for (const auto& row : db.Query("SELECT ID FROM information_schema.PROCESSLIST WHERE DB = '" +
                                  db.name() +
                                  "' AND INFO LIKE 'SELECT id, start, filepath FROM Media%'")) {
    if (row[0]) db.Exec("KILL CONNECTION " + *row[0]);
  }
}

}  // namespace recsync::testing
