// `recsync journal retry [SEQ...|--all]`: failed events become pending again
// (attempts reset to 0, see Journal::RetryFailed), so the daemon applies them
// once more. Through the daemon when one answers on control_socket (its
// reconciler takes them at once); otherwise written to the journal directly,
// unless a daemon holds the journal without answering (then refused, since
// its reconciler would not know). Prints how many; exits 1 when a seq given
// was not a failed event (the others are still retried), 2 on usage errors.
#pragma once

#include "cli/journal_commands.h"

namespace recsync {

// Adds `retry` under the `journal` command AddJournalCommands() added to `app`.
void AddRetryCommand(CLI::App& app, CommandRunner* runner);

}  // namespace recsync
