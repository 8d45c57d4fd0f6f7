#include "tests/metrics/promtool.h"

#include <catch2/catch.hpp>
#include <sstream>

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

std::map<std::string, std::string> MetricSamples(const std::string& metrics_text) {
  std::map<std::string, std::string> out;
  std::istringstream in(metrics_text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.rfind(' ');
    out[line.substr(0, space)] = line.substr(space + 1);
  }
  return out;
}

}  // namespace recsync::testing
