// The `recsync journal ...` commands: read (and prune) the local journal.
// They need only the journal file, never the database, and work while a
// daemon writes it.
#pragma once

#include <functional>
#include <iosfwd>

#include "config/config.h"

namespace CLI {
class App;
}

namespace recsync {

// Runs a parsed command with the final settings; returns the exit code.
using CommandRunner = std::function<int(const Settings&, std::ostream& out, std::ostream& err)>;

// Adds `journal` with its subcommands (list, show, sweeps, actions, stats,
// prune) to `app`. When one of them is parsed, *runner is set to it. (`retry`,
// which may ask the daemon, is added by AddRetryCommand, cli/retry_command.h.)
void AddJournalCommands(CLI::App& app, CommandRunner* runner);

}  // namespace recsync
