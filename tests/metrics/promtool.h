// `promtool check metrics` on a text, as Prometheus's own tooling judges an
// exposition (syntax and its naming lint).
#pragma once

#include <map>
#include <string>

#include "tests/support/temp_dir.h"

namespace recsync::testing {

// Fails the test when promtool is not installed (scripts/deps.sh).
ProcessResult PromtoolCheck(const std::string& metrics_text);

// The samples of an exposition: each series as written ("name{labels}") and
// its value as written.
std::map<std::string, std::string> MetricSamples(const std::string& metrics_text);

}  // namespace recsync::testing
