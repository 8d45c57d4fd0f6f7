// Small filesystem operations the daemon runs on its probe worker: how full a
// root is, and the cookie files of `recsync sync`. Errors name the path.
#pragma once

#include <string>

#include "common/status.h"

namespace recsync {

// Used space of the filesystem holding `root`, in percent, as df(1) counts
// it: used / (used + available to unprivileged users).
Result<double> UsedPercent(const std::string& root);

// Creates (O_CREAT|O_EXCL) and closes an empty file; the create is the event.
Status CreateCookie(const std::string& path);

// Removes a cookie file; a missing one is fine.
Status RemoveCookie(const std::string& path);

}  // namespace recsync
