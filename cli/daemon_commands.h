// The daemon's commands: `run` (the daemon itself), `status` and `sync`
// (clients of its control socket).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

#include "cli/journal_commands.h"
#include "config/config.h"

namespace recsync {

// `reload` re-reads the configuration as the command line loaded it; the
// daemon calls it on SIGHUP.
void AddDaemonCommands(CLI::App& app, CommandRunner* runner,
                       std::function<Result<Settings>()> reload);

// The one-line advice when no daemon answers on `socket`.
std::string NoDaemonMessage(const std::string& socket);

}  // namespace recsync
