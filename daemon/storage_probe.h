// Small filesystem operations the daemon runs on its probe worker: how full a
// root is, and the cookie files of `recsync sync`. Errors name the path.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace recsync {

// How full the filesystem holding a root is, as df(1) counts it: used
// percent = used / (used + available to unprivileged users).
struct SpaceUsage {
  double used_percent = -1;  // -1: not measured
  uint64_t bytes_used = 0;
  uint64_t bytes_free = 0;   // available to unprivileged users
  uint64_t bytes_total = 0;  // used + free (the blocks reserved for root left out)
};
Result<SpaceUsage> MeasureSpace(const std::string& root);

// Creates (O_CREAT|O_EXCL) and closes an empty file; the create is the event.
Status CreateCookie(const std::string& path);

// Removes a cookie file; a missing one is fine.
Status RemoveCookie(const std::string& path);

}  // namespace recsync
