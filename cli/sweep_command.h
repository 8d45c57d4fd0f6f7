// `recsync sweep [--dry-run] [--force] [--relist] [--json]`: one full reconcile.
#pragma once

#include "cli/journal_commands.h"

namespace recsync {

// Adds `sweep` to `app`; when parsed, *runner is set to it. `given` holds
// the settings given on the command line by the time the runner runs: those
// that shape one sweep (min_age, max_missing_ratio, batch_size, storage) go
// with a sweep the daemon runs.
void AddSweepCommand(CLI::App& app, CommandRunner* runner, const SettingsOverrides* given);

}  // namespace recsync
