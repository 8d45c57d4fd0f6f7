// ListenAddress: where the HTTP server listens (the `http_listen` setting),
// and the listening socket made from it.
//
//   off                  no HTTP server
//   127.0.0.1:7320       an IPv4 address and port ("localhost:7320" too)
//   [::1]:7320           an IPv6 address in brackets
//   unix:/run/recsync/http.sock   a unix socket (for a reverse proxy)
//
// A host that is not a loopback address serves every machine that can reach
// it; Listen() refuses it unless `allow_remote` (`http_allow_remote`) says
// the operator meant it. A unix socket is created mode 0660, after removing
// a stale socket file (never any other kind of file).
//
// Thread rules: pure functions; Listen() does blocking socket calls (the
// daemon calls it once, at start).
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"
#include "common/unique_fd.h"

namespace recsync {

struct ListenAddress {
  enum class Kind { kOff, kTcp, kUnix };
  Kind kind = Kind::kOff;
  std::string host;  // kTcp: a numeric address (localhost resolved to 127.0.0.1)
  uint16_t port = 0;
  std::string path;  // kUnix

  bool loopback() const;  // kUnix counts as loopback
  // "127.0.0.1:7320", "[::1]:7320", "unix:/path" or "off".
  std::string ToText() const;
};

// kInvalid naming the setting and the accepted forms.
Result<ListenAddress> ParseListenAddress(const std::string& text);

// A bound, listening, non-blocking, close-on-exec socket.
Result<UniqueFd> Listen(const ListenAddress& address, bool allow_remote);

// The port a TCP listener got (useful after asking for port 0).
Result<uint16_t> BoundPort(int fd);

}  // namespace recsync
