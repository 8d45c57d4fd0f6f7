#include "control/control_client.h"

#include <grp.h>
#include <poll.h>
#include <sys/stat.h>

#include <cerrno>
#include <vector>

#include <fmt/format.h>

#include "common/json.h"
#include "common/text.h"
#include "control/unix_socket.h"

namespace recsync {
namespace {

using Clock = std::chrono::steady_clock;

class Deadline {
 public:
  explicit Deadline(std::chrono::milliseconds timeout) : end_(Clock::now() + timeout) {}
  // Milliseconds left, rounded up so that poll() never spins on a zero
  // timeout while time remains; 0 once the deadline has passed.
  int RemainingMs() const {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(end_ - Clock::now()).count();
    return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 1 << 30));
  }

 private:
  Clock::time_point end_;
};

// What the calls below need to say who failed and how.
struct Peer {
  const std::string& path;
  std::chrono::milliseconds timeout;

  std::string Shown() const { return PrintableText(path); }
  Status TimedOut() const {
    return Status(Code::kTimeout,
                  fmt::format("the recsync daemon at {} did not answer within {:g} s", Shown(),
                              static_cast<double>(timeout.count()) / 1000.0));
  }
  Status Closed() const {
    return Status(Code::kIo, fmt::format("the recsync daemon at {} closed the connection "
                                         "without answering (see its log)",
                                         Shown()));
  }
  Status PermissionDenied() const {
    std::string group = "its group";
    struct stat st;
    if (::stat(path.c_str(), &st) == 0) {
      std::vector<char> buf(16384);
      struct group g;
      struct group* found = nullptr;
      if (::getgrgid_r(st.st_gid, &g, buf.data(), buf.size(), &found) == 0 && found != nullptr) {
        group = fmt::format("group '{}'", PrintableText(found->gr_name));
      } else {
        group = fmt::format("group {}", st.st_gid);
      }
    }
    return Status(Code::kIo, fmt::format("permission denied on control socket {}: run as root "
                                         "or join {}",
                                         Shown(), group));
  }
};

// Waits until `fd` is ready for `events` (or in error: the next call says
// which) or the deadline passes.
Status WaitFor(int fd, short events, const Deadline& deadline, const Peer& peer) {
  for (;;) {
    int ms = deadline.RemainingMs();
    if (ms == 0) return peer.TimedOut();
    pollfd p{fd, events, 0};
    int rc = ::poll(&p, 1, ms);
    if (rc > 0) return Status::Ok();
    if (rc < 0 && errno != EINTR) {
      int err = errno;
      return ErrnoStatus(err, "poll on the control socket");
    }
  }
}

Status Connect(int fd, const sockaddr_un& addr, const Deadline& deadline, const Peer& peer) {
  // A unix connect() waits only while the listener's backlog is full, and
  // gives up with EAGAIN after SO_SNDTIMEO; so blocking with that timeout
  // keeps the deadline without a non-blocking connect dance.
  int ms = deadline.RemainingMs();
  if (ms == 0) return peer.TimedOut();
  timeval tv{ms / 1000, (ms % 1000) * 1000};
  if (::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0) {
    int err = errno;
    return ErrnoStatus(err, "setsockopt(SO_SNDTIMEO)");
  }
  int rc;
  do {
    rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
  } while (rc != 0 && errno == EINTR);
  if (rc == 0 || errno == EISCONN) return Status::Ok();
  int err = errno;
  switch (err) {
    case ENOENT:
      return Status(Code::kNotFound,
                    fmt::format("no recsync daemon is running: control socket {} does not exist",
                                peer.Shown()));
    case ECONNREFUSED:
      return Status(Code::kNotFound,
                    fmt::format("no recsync daemon is running: nothing accepts on control "
                                "socket {} (a stale socket)",
                                peer.Shown()));
    case EACCES:
    case EPERM:
      return peer.PermissionDenied();
    case EAGAIN:
      return peer.TimedOut();
    default:
      return ErrnoStatus(err, fmt::format("connecting to control socket {}", peer.Shown()));
  }
}

Status SendLine(int fd, const std::string& line, const Deadline& deadline, const Peer& peer) {
  size_t sent = 0;
  while (sent < line.size()) {
    RECSYNC_RETURN_IF_ERROR(WaitFor(fd, POLLOUT, deadline, peer));
    ssize_t n = ::send(fd, line.data() + sent, line.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    int err = errno;
    if (err == EAGAIN || err == EINTR) continue;
    // The daemon may have closed after answering with an error (a request
    // line too long): its answer is still there to read.
    if (err == EPIPE || err == ECONNRESET) return Status::Ok();
    return ErrnoStatus(err, fmt::format("writing to control socket {}", peer.Shown()));
  }
  return Status::Ok();
}

Result<std::string> ReadLine(int fd, const Deadline& deadline, const Peer& peer) {
  std::string in;
  size_t scanned = 0;
  for (;;) {
    size_t newline = in.find('\n', scanned);
    if (newline != std::string::npos) {
      in.resize(newline);
      return in;
    }
    scanned = in.size();
    if (in.size() > kMaxResponseLine) {
      return Status(Code::kInvalid,
                    fmt::format("the recsync daemon at {} sent an answer longer than {} bytes",
                                peer.Shown(), kMaxResponseLine));
    }
    RECSYNC_RETURN_IF_ERROR(WaitFor(fd, POLLIN, deadline, peer));
    size_t old_size = in.size();
    in.resize(old_size + 64 * 1024);
    ssize_t n = ::recv(fd, in.data() + old_size, in.size() - old_size, MSG_DONTWAIT);
    in.resize(old_size + static_cast<size_t>(n > 0 ? n : 0));
    if (n > 0) continue;
    if (n == 0) return peer.Closed();
    int err = errno;
    if (err == EAGAIN || err == EINTR) continue;
    if (err == ECONNRESET) return peer.Closed();
    return ErrnoStatus(err, fmt::format("reading from control socket {}", peer.Shown()));
  }
}

}  // namespace

Result<nlohmann::json> ControlRequest(const std::string& socket_path,
                                      const nlohmann::json& request,
                                      std::chrono::milliseconds timeout) {
  Deadline deadline(timeout);
  Peer peer{socket_path, timeout};
  Result<sockaddr_un> addr = UnixAddress(socket_path);
  if (!addr.ok()) return addr.status();
  SocketFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    int err = errno;
    return ErrnoStatus(err, "socket(AF_UNIX)");
  }
  RECSYNC_RETURN_IF_ERROR(Connect(fd.get(), *addr, deadline, peer));
  RECSYNC_RETURN_IF_ERROR(SendLine(fd.get(), DumpJson(request) + "\n", deadline, peer));
  Result<std::string> line = ReadLine(fd.get(), deadline, peer);
  if (!line.ok()) return line.status();
  if (!line->empty() && line->back() == '\r') line->pop_back();
  nlohmann::json response = nlohmann::json::parse(*line, nullptr, /*allow_exceptions=*/false);
  if (response.is_discarded() || !response.is_object()) {
    return Status(Code::kInvalid,
                  fmt::format("the recsync daemon at {} answered something that is not a JSON "
                              "object: {}",
                              peer.Shown(), PrintableText(line->substr(0, 120))));
  }
  return response;
}

}  // namespace recsync
