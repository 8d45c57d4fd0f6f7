// Small pieces shared by the control server and client: the protocol's line
// limit, unix socket addresses, an owned socket descriptor and mkdir -p.
#pragma once

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <string>
#include <utility>

#include "common/status.h"

namespace recsync {

// The longest request line the server accepts, without its newline. Requests
// are small commands; the bound keeps a broken client from growing a buffer
// without end.
inline constexpr size_t kMaxRequestLine = size_t{1} << 20;

// The longest response line the client accepts. Responses can be large (a
// sweep report lists every archived row), so this is far above the request
// limit; it only keeps a broken server from exhausting the client's memory.
inline constexpr size_t kMaxResponseLine = size_t{256} << 20;

// Owns one socket descriptor and closes it, unless Release() handed it to
// someone else first (libuv, which then closes it itself).
class SocketFd {
 public:
  explicit SocketFd(int fd) : fd_(fd) {}
  ~SocketFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  SocketFd(const SocketFd&) = delete;
  SocketFd& operator=(const SocketFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

// The address of the unix socket at `path`. kInvalid, naming the path and the
// limit, when the path is empty, holds a NUL byte or does not fit sun_path
// (107 bytes on Linux): bind(2) and connect(2) would silently use a truncated
// name otherwise.
Result<sockaddr_un> UnixAddress(const std::string& path);

// Creates the missing directories above `path`, each with `mode` (minus the
// umask); existing ones are left as they are.
Status MakeParentDirectories(const std::string& path, unsigned mode);

}  // namespace recsync
