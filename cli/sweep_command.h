// `recsync sweep [--dry-run] [--force] [--relist] [--json]`: one full reconcile.
#pragma once

#include "cli/journal_commands.h"

namespace recsync {

// Adds `sweep` to `app`; when parsed, *runner is set to it.
void AddSweepCommand(CLI::App& app, CommandRunner* runner);

}  // namespace recsync
