// The recsync command line: global options (every config key as a flag,
// accepted before or after the command word) and the commands.
#pragma once

#include <iosfwd>

namespace recsync {

// Exit codes, as documented in the README.
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;       // usage or configuration error
inline constexpr int kExitIncomplete = 3;  // a root was offline or refused by a guard

// Parses argv, loads the configuration and runs the chosen command.
int RunCli(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace recsync
