#include "control/control_server.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <vector>

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

ControlServer::ControlServer(uv_loop_t* loop, std::string path, Handler handler,
                             ControlLimits limits)
    : loop_(loop), path_(std::move(path)), handler_(std::move(handler)), limits_(limits) {}

Result<std::unique_ptr<ControlServer>> ControlServer::Listen(uv_loop_t* loop,
                                                             const std::string& path,
                                                             Handler handler,
                                                             ControlLimits limits) {
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
  std::unique_ptr<ControlServer> server(
      new ControlServer(loop, path, std::move(handler), limits));
  server->listen_fd_ = UniqueFd(fd.Release());
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
  for (uv_timer_t** timer : {&server->idle_timer_, &server->retry_timer_}) {
    *timer = new uv_timer_t;
    uv_timer_init(loop, *timer);  // cannot fail
    (*timer)->data = server.get();
  }
  RECSYNC_RETURN_IF_ERROR(server->StartListening().With("control socket " + shown));
  return server;
}

// A libuv listener on a duplicate of listen_fd_: pausing closes the handle,
// never the socket, so clients keep queueing in its backlog meanwhile.
Status ControlServer::StartListening() {
  SocketFd fd(::fcntl(listen_fd_.get(), F_DUPFD_CLOEXEC, 0));
  if (!fd.valid()) {
    int err = errno;
    return ErrnoStatus(err, "dup");
  }
  auto* listener = new uv_pipe_t;
  int rc = uv_pipe_init(loop_, listener, 0);
  if (rc != 0) {
    delete listener;  // never initialised, so no uv_close
    return Status(Code::kIo, fmt::format("uv_pipe_init: {}", uv_strerror(rc)));
  }
  listener->data = this;
  listener_ = listener;  // the destructor or a pause closes it
  rc = uv_pipe_open(listener, fd.get());
  if (rc != 0) return Status(Code::kIo, fmt::format("uv_pipe_open: {}", uv_strerror(rc)));
  fd.Release();  // the pipe handle closes it now
  rc = uv_listen(AsStream(listener), 64, &ControlServer::OnConnection);
  if (rc != 0) return Status(Code::kIo, fmt::format("listen: {}", uv_strerror(rc)));
  return Status::Ok();
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
  for (uv_timer_t* timer : {idle_timer_, retry_timer_}) {
    if (timer == nullptr) continue;
    uv_close(reinterpret_cast<uv_handle_t*>(timer),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  }
}

size_t ControlServer::client_count() const { return connections_.size(); }

void ControlServer::Forget(ControlConnection* connection) {
  connections_.erase(connection);
  if (connections_.empty()) UpdateIdleTimer();
}

void ControlServer::OnConnection(uv_stream_t* listener, int status) {
  auto* server = static_cast<ControlServer*>(listener->data);
  if (server == nullptr) return;
  if (status < 0) {
    server->PauseAccepting(status);
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
  if (recovering_) {
    recovering_ = false;
    spdlog::info("control socket {}: accepting clients again", PrintableText(path_));
  }
  if (!MakeRoom()) {
    ++refused_;
    std::string message = fmt::format(
        "too many control connections ({} busy); retry when a status wait, sweep or sync "
        "in progress has finished",
        connections_.size());
    Warn(refused_log_, fmt::format("refused a client: {}", message));
    connection->Refuse(message);
    return;
  }
  connections_.emplace(connection.get(), connection);
  connection->Start();
  UpdateIdleTimer();
}

bool ControlServer::MakeRoom() {
  if (connections_.size() < limits_.max_connections) return true;
  ControlConnection* oldest = nullptr;
  for (const auto& [raw, connection] : connections_) {
    if (connection->busy()) continue;
    if (oldest == nullptr || raw->activity_order() < oldest->activity_order()) oldest = raw;
  }
  if (oldest == nullptr) return false;
  ++evicted_;
  Warn(evicted_log_, fmt::format("{} connections open; closed the one idle longest to serve "
                                 "a new client",
                                 connections_.size()));
  oldest->Refuse(fmt::format("closed: too many control connections ({}); this one was idle "
                             "the longest; reconnect to send a request",
                             connections_.size()));
  return connections_.size() < limits_.max_connections;
}

// libuv accepts in a loop and calls us for every failure; closing the
// listener handle is what ends that loop (a retry at once would fail again
// while the process has no descriptor to spare).
void ControlServer::PauseAccepting(int uv_error) {
  ++accept_failures_;
  Warn(accept_log_,
       fmt::format("cannot accept a client: {}; pausing the control socket for {} ms (clients "
                   "wait meanwhile)",
                   uv_strerror(uv_error), limits_.accept_retry.count()));
  recovering_ = true;
  if (listener_ == nullptr) return;
  listener_->data = nullptr;
  uv_close(AsHandle(listener_), [](uv_handle_t* h) { delete reinterpret_cast<uv_pipe_t*>(h); });
  listener_ = nullptr;
  uv_timer_start(
      retry_timer_,
      [](uv_timer_t* t) { static_cast<ControlServer*>(t->data)->ResumeAccepting(); },
      static_cast<uint64_t>(limits_.accept_retry.count()), 0);
}

void ControlServer::ResumeAccepting() {
  Status listening = StartListening();
  if (listening.ok()) return;
  if (listener_ != nullptr) {
    uv_close(AsHandle(listener_), [](uv_handle_t* h) { delete reinterpret_cast<uv_pipe_t*>(h); });
    listener_ = nullptr;
  }
  PauseAccepting(UV_EMFILE);  // still out of descriptors, most likely
}

// Checked every half timeout while any client is connected; no wake-ups
// without one.
void ControlServer::UpdateIdleTimer() {
  const bool want = !connections_.empty();
  if (want == idle_timer_running_) return;
  idle_timer_running_ = want;
  if (!want) {
    uv_timer_stop(idle_timer_);
    return;
  }
  const uint64_t every = std::max<uint64_t>(1, limits_.idle_timeout.count() / 2);
  uv_timer_start(
      idle_timer_, [](uv_timer_t* t) { static_cast<ControlServer*>(t->data)->CloseIdle(); },
      every, every);
}

void ControlServer::CloseIdle() {
  const uint64_t now = NowMs();
  const auto timeout = static_cast<uint64_t>(limits_.idle_timeout.count());
  std::vector<std::shared_ptr<ControlConnection>> idle;
  for (const auto& [raw, connection] : connections_) {
    if (!connection->busy() && now - connection->last_activity_ms() >= timeout) {
      idle.push_back(connection);
    }
  }
  for (auto& connection : idle) {
    ++idle_closed_;
    connection->Close();
  }
  if (!idle.empty()) {
    spdlog::debug("control socket {}: closed {} connections idle for {} ms",
                  PrintableText(path_), idle.size(), timeout);
  }
}

void ControlServer::Warn(Throttled& throttle, const std::string& message) {
  constexpr uint64_t kEveryMs = 60 * 1000;
  const uint64_t now = NowMs();
  if (throttle.ever && now - throttle.last_ms < kEveryMs) {
    ++throttle.unlogged;
    return;
  }
  std::string also = throttle.unlogged == 0
                         ? ""
                         : fmt::format(" ({} more times since the last such message)",
                                       throttle.unlogged);
  spdlog::warn("control socket {}: {}{}", PrintableText(path_), message, also);
  throttle = Throttled{now, 0, true};
}

}  // namespace recsync
