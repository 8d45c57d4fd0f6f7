#include "http/listen_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>

namespace recsync {
namespace {

const char kForms[] = "use off, HOST:PORT (127.0.0.1:7320, [::1]:7320) or unix:/absolute/path";

Status Invalid(const std::string& text, const std::string& why) {
  return Status(Code::kInvalid, "http_listen \"" + text + "\": " + why + "; " + kForms);
}

Status SocketError(const std::string& what, const ListenAddress& a) {
  const int e = errno;
  std::string fix;
  if (e == EADDRINUSE) fix = "; another program listens there: pick another http_listen";
  if (e == EACCES) fix = "; permission denied: pick a port above 1023 or a writable folder";
  if (e == EADDRNOTAVAIL) fix = "; this machine has no such address";
  return Status(Code::kIo, "http_listen " + a.ToText() + ": " + what + ": " + std::strerror(e) +
                               fix);
}

Result<UniqueFd> ListenUnix(const ListenAddress& a) {
  if (a.path.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return Status(Code::kInvalid, "http_listen unix:" + a.path + ": the path is longer than 107 bytes");
  }
  struct stat st {};
  if (::lstat(a.path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return Status(Code::kInvalid, "http_listen unix:" + a.path +
                                        ": a file that is not a socket is in the way; remove it "
                                        "or pick another path");
    }
    ::unlink(a.path.c_str());  // a stale socket of an earlier run
  }
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return SocketError("socket", a);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, a.path.data(), a.path.size());
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return SocketError("bind", a);
  }
  ::chmod(a.path.c_str(), 0660);
  if (::listen(fd.get(), 64) != 0) return SocketError("listen", a);
  return fd;
}

}  // namespace

bool ListenAddress::loopback() const {
  if (kind == Kind::kUnix) return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  return inet_pton(AF_INET6, host.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

std::string ListenAddress::ToText() const {
  switch (kind) {
    case Kind::kOff:
      return "off";
    case Kind::kUnix:
      return "unix:" + path;
    case Kind::kTcp:
      break;
  }
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<ListenAddress> ParseListenAddress(const std::string& text) {
  ListenAddress a;
  if (text == "off") return a;
  if (text.rfind("unix:", 0) == 0) {
    a.kind = ListenAddress::Kind::kUnix;
    a.path = text.substr(5);
    if (a.path.empty() || a.path[0] != '/') return Invalid(text, "the socket path must be absolute");
    return a;
  }
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos) return Invalid(text, "no port");
  std::string host = text.substr(0, colon);
  const std::string port = text.substr(colon + 1);
  if (!host.empty() && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host == "localhost") host = "127.0.0.1";
  in_addr v4{};
  in6_addr v6{};
  if (inet_pton(AF_INET, host.c_str(), &v4) != 1 && inet_pton(AF_INET6, host.c_str(), &v6) != 1) {
    return Invalid(text, "\"" + host + "\" is not a numeric IP address");
  }
  char* end = nullptr;
  const long n = port.empty() ? -1 : std::strtol(port.c_str(), &end, 10);
  if (n < 0 || n > 65535 || *end != '\0') return Invalid(text, "the port must be 0..65535");
  a.kind = ListenAddress::Kind::kTcp;
  a.host = host;
  a.port = static_cast<uint16_t>(n);
  return a;
}

Result<UniqueFd> Listen(const ListenAddress& a, bool allow_remote) {
  if (a.kind == ListenAddress::Kind::kOff) {
    return Status(Code::kInvalid, "http_listen is off: there is nothing to listen on");
  }
  if (!a.loopback() && !allow_remote) {
    return Status(Code::kInvalid,
                  "http_listen " + a.ToText() +
                      " is not a loopback address: every machine that reaches it could try to "
                      "sign in; serve it through a reverse proxy (docs/http.md) or set "
                      "http_allow_remote = true if that is what you want");
  }
  if (a.kind == ListenAddress::Kind::kUnix) return ListenUnix(a);
  const bool v6 = a.host.find(':') != std::string::npos;
  UniqueFd fd(::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return SocketError("socket", a);
  const int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  int bound = -1;
  if (v6) {
    sockaddr_in6 addr{};
    addr.sin6_family = AF_INET6;
    addr.sin6_port = htons(a.port);
    inet_pton(AF_INET6, a.host.c_str(), &addr.sin6_addr);
    ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    bound = ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  } else {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(a.port);
    inet_pton(AF_INET, a.host.c_str(), &addr.sin_addr);
    bound = ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  }
  if (bound != 0) return SocketError("bind", a);
  if (::listen(fd.get(), 64) != 0) return SocketError("listen", a);
  return fd;
}

Result<uint16_t> BoundPort(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return Status(Code::kIo, std::string("getsockname: ") + std::strerror(errno));
  }
  if (addr.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  if (addr.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
  return Status(Code::kInvalid, "not a TCP socket");
}

}  // namespace recsync
