#include "tests/metrics/promtool.h"

#include <catch2/catch.hpp>

namespace recsync::testing {

ProcessResult PromtoolCheck(const std::string& metrics_text) {
  const std::string promtool = RECSYNC_PROMTOOL;
  INFO("promtool not found: install the Debian package prometheus (scripts/deps.sh)");
  REQUIRE(!promtool.empty());
  TempDir tmp;
  const std::string file = tmp.Sub("metrics.txt");
  WriteFile(file, metrics_text);
  // promtool reads the exposition on its standard input.
  return RunProcess({"/bin/sh", "-c", "exec \"$0\" check metrics < \"$1\"", promtool, file});
}

}  // namespace recsync::testing
