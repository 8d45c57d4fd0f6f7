// `promtool check metrics` on a text, as Prometheus's own tooling judges an
// exposition (syntax and its naming lint).
#pragma once

#include <string>

#include "tests/support/temp_dir.h"

namespace recsync::testing {

// Fails the test when promtool is not installed (scripts/deps.sh).
ProcessResult PromtoolCheck(const std::string& metrics_text);

}  // namespace recsync::testing
