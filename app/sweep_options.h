// The application layer shared by the command line (cli/) and the daemon
// (daemon/): what turns recsync's settings (config/) into the options of the
// modules that do the work, so those modules take their options from the
// caller and know nothing of the config file, and config/ knows nothing of
// them.
//
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "config/config.h"
#include "reconcile/sweep.h"
#include "reconcile/sweep_trigger.h"

namespace recsync {

// Options for a sweep with `trigger` as `settings` configure it (min_age,
// ratio, batch size, probe timeout, configured roots); flags are left off.
SweepOptions SweepOptionsFor(const Settings& settings, SweepTrigger trigger);

}  // namespace recsync
