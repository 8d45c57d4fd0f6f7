// How a command reports an expected failure: one line on the error stream,
// "recsync: <the Status's message>", the message naming the thing and the fix.
#pragma once

#include <ostream>

#include "common/status.h"

namespace recsync {

// Reports `result`'s failure, if any; returns whether it holds a value.
template <typename T>
bool OkOrReport(const Result<T>& result, std::ostream& err) {
  if (!result.ok()) err << "recsync: " << result.status().message() << '\n';
  return result.ok();
}

}  // namespace recsync
