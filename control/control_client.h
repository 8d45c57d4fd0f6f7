// ControlRequest: one request to the daemon's control socket, for CLI
// commands. Blocking, plain sockets (no libuv): the CLI has no loop.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"

namespace recsync {

// Sends `request` as one line to the daemon listening on `socket_path` and
// waits for one response line, taking at most `timeout` in all (connect,
// write and read share one deadline). Returns the response object as the
// daemon sent it, {"ok": false, ...} answers included: judging them is the
// caller's business. Errors:
//   kNotFound  no daemon listens: the socket is missing, or is a file nobody
//              accepts on (a stale socket); the CLI then works in-process;
//   kTimeout   the daemon did not answer within the timeout (the message
//              says how many seconds);
//   kInvalid   the answer is not one JSON object, or `socket_path` does not
//              fit a unix socket address;
//   kIo        anything else, e.g. the daemon closed the connection without
//              answering, or permission was denied (the message then says to
//              run as root or join the socket's group).
// Never raises SIGPIPE.
Result<nlohmann::json> ControlRequest(const std::string& socket_path,
                                      const nlohmann::json& request,
                                      std::chrono::milliseconds timeout);

}  // namespace recsync
