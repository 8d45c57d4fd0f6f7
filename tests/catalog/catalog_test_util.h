// Shared by the catalog tests: connecting with short timeouts, and Catch2
// output for Status.
#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "catalog/catalog.h"

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

}  // namespace recsync::testing
