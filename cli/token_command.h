// `recsync token new`: writes a new API token to `api_token_file` (mode
// 0640, replacing the old one atomically) for scripts and Prometheus, which
// send it as `Authorization: Bearer <token>`. The token is printed once on
// stdout, for the operator at the terminal, and never logged. A running
// daemon keeps accepting the old token until it re-reads the file on
// `systemctl reload recsync` (SIGHUP). Exits 1 with one line naming the file
// and the fix when it cannot write it.
#pragma once

#include "cli/journal_commands.h"

namespace recsync {

// Adds `token` with its command `new` to `app`.
void AddTokenCommand(CLI::App& app, CommandRunner* runner);

}  // namespace recsync
