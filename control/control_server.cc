#include "control/control_server.h"

#include <signal.h>
#include <sys/stat.h>

#include <cerrno>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/text.h"
#include "control/control_connection.h"
#include "control/unix_socket.h"

namespace recsync {
namespace {

using nlohmann::json;

uv_stream_t* AsStream(uv_pipe_t* pipe) { return reinterpret_cast<uv_stream_t*>(pipe); }
uv_handle_t* AsHandle(uv_pipe_t* pipe) { return reinterpret_cast<uv_handle_t*>(pipe); }

// Removes a socket file nobody answers on; refuses a live socket or a file of
// another kind.
Status ClearStaleSocket(const std::string& path, const sockaddr_un& addr) {
  std::string shown = PrintableText(path);
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    int err = errno;
    if (err == ENOENT) return Status::Ok();
    return ErrnoStatus(err, fmt::format("control socket {}", shown));
  }
  if (!S_ISSOCK(st.st_mode)) {
    return Status(Code::kInvalid,
                  fmt::format("control socket {} exists and is not a socket; remove it or set "
                              "control_socket to another path",
                              shown));
  }
  SocketFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!probe.valid()) {
    int err = errno;
    return ErrnoStatus(err, "socket(AF_UNIX)");
  }
  // Non-blocking: a live listener accepts into its backlog at once, or says
  // EAGAIN when the backlog is full; only a socket without a listener refuses.
  int rc = ::connect(probe.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
  int err = rc == 0 ? 0 : errno;
  if (rc == 0 || err == EAGAIN) {
    return Status(Code::kBusy,
                  fmt::format("another process (a running recsync daemon?) answers on control "
                              "socket {}; stop it first (systemctl stop recsync) or set "
                              "control_socket to another path",
                              shown));
  }
  if (err == ENOENT) return Status::Ok();  // removed meanwhile
  if (err != ECONNREFUSED) {
    return ErrnoStatus(err, fmt::format("probing control socket {}", shown));
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    int uerr = errno;
    return ErrnoStatus(uerr, fmt::format("removing stale control socket {}", shown));
  }
  spdlog::info("control socket {}: replaced a stale socket left by an earlier run", shown);
  return Status::Ok();
}

void IgnoreSigpipe() {
  struct sigaction sa {};
  sa.sa_handler = SIG_IGN;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGPIPE, &sa, nullptr);
}

}  // namespace

json ErrorResponse(const std::string& message) { return json{{"ok", false}, {"error", message}}; }

ControlServer::ControlServer(uv_loop_t* loop, std::string path, Handler handler)
    : loop_(loop), path_(std::move(path)), handler_(std::move(handler)) {}

Result<std::unique_ptr<ControlServer>> ControlServer::Listen(uv_loop_t* loop,
                                                             const std::string& path,
                                                             Handler handler) {
  Result<sockaddr_un> addr = UnixAddress(path);
  if (!addr.ok()) return addr.status();
  std::string shown = PrintableText(path);
  RECSYNC_RETURN_IF_ERROR(MakeParentDirectories(path, 0750).With("control socket " + shown));
  RECSYNC_RETURN_IF_ERROR(ClearStaleSocket(path, *addr));
  IgnoreSigpipe();

  SocketFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) {
    int err = errno;
    return ErrnoStatus(err, "socket(AF_UNIX)");
  }
  // Bound by hand, not with uv_pipe_bind: that one truncates long paths and
  // unlinks the path on close even when the file is no longer ours.
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof(*addr)) != 0) {
    int err = errno;
    if (err == EADDRINUSE) {
      return Status(Code::kBusy, fmt::format("control socket {} was created by another process "
                                             "just now; is another recsync daemon starting?",
                                             shown));
    }
    return ErrnoStatus(err, fmt::format("binding control socket {}", shown));
  }
  std::unique_ptr<ControlServer> server(new ControlServer(loop, path, std::move(handler)));
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0) {
    server->bound_ = true;  // from here on the destructor removes the file
    server->dev_ = st.st_dev;
    server->ino_ = st.st_ino;
  }
  // Before listen(2): until then every connect is refused, so nobody gets in
  // under the umask's mode.
  if (::chmod(path.c_str(), 0660) != 0) {
    int err = errno;
    return ErrnoStatus(err, fmt::format("chmod 0660 control socket {}", shown));
  }

  auto* listener = new uv_pipe_t;
  int rc = uv_pipe_init(loop, listener, 0);
  if (rc != 0) {
    delete listener;  // never initialised, so no uv_close
    return Status(Code::kIo, fmt::format("uv_pipe_init: {}", uv_strerror(rc)));
  }
  listener->data = server.get();
  server->listener_ = listener;  // the destructor closes it
  rc = uv_pipe_open(listener, fd.get());
  if (rc != 0) {
    return Status(Code::kIo, fmt::format("control socket {}: uv_pipe_open: {}", shown,
                                         uv_strerror(rc)));
  }
  fd.Release();  // the pipe handle closes it now
  rc = uv_listen(AsStream(listener), 64, &ControlServer::OnConnection);
  if (rc != 0) {
    return Status(Code::kIo,
                  fmt::format("listening on control socket {}: {}", shown, uv_strerror(rc)));
  }
  return server;
}

ControlServer::~ControlServer() {
  auto connections = std::move(connections_);
  connections_.clear();
  for (auto& [raw, connection] : connections) connection->Detach();
  // Only the file we bound: a successor that found ours stale (or an operator)
  // may have put another one there, which must stay.
  struct stat st;
  if (bound_ && ::lstat(path_.c_str(), &st) == 0 && st.st_dev == dev_ && st.st_ino == ino_) {
    if (::unlink(path_.c_str()) != 0) {
      int err = errno;
      spdlog::warn("control socket {}: cannot remove it: {}", PrintableText(path_),
                   ErrnoText(err));
    }
  }
  if (listener_ != nullptr) {
    listener_->data = nullptr;
    uv_close(AsHandle(listener_), [](uv_handle_t* h) { delete reinterpret_cast<uv_pipe_t*>(h); });
  }
}

size_t ControlServer::client_count() const { return connections_.size(); }

void ControlServer::Forget(ControlConnection* connection) { connections_.erase(connection); }

void ControlServer::OnConnection(uv_stream_t* listener, int status) {
  auto* server = static_cast<ControlServer*>(listener->data);
  if (server == nullptr) return;
  if (status < 0) {
    spdlog::warn("control socket {}: accept: {}", PrintableText(server->path_),
                 uv_strerror(status));
    return;
  }
  server->Accept();
}

void ControlServer::Accept() {
  auto connection = std::make_shared<ControlConnection>(this);
  uv_pipe_t* pipe = connection->pipe();
  int rc = uv_pipe_init(loop_, pipe, 0);
  if (rc != 0) {
    spdlog::warn("control socket {}: uv_pipe_init: {}", PrintableText(path_), uv_strerror(rc));
    return;  // never initialised: nothing to close
  }
  pipe->data = connection.get();
  rc = uv_accept(AsStream(listener_), AsStream(pipe));
  if (rc != 0) {
    spdlog::debug("control socket {}: accept: {}", PrintableText(path_), uv_strerror(rc));
    connection->Detach();  // closes the initialised handle
    return;
  }
  connections_.emplace(connection.get(), connection);
  connection->Start();
}

}  // namespace recsync
