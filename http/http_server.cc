#include "http/http_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <optional>
#include <set>

namespace recsync {
namespace {

// A stream whose client reads slower than this much is written to is closed:
// its text would otherwise pile up in the daemon.
constexpr size_t kMaxStreamBacklog = 1 << 20;

bool IsLoopback(const sockaddr* addr) {
  if (!addr || addr->sa_family == AF_UNIX) return true;
  if (addr->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(addr);
    return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
  }
  if (addr->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
    if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr)) return true;
    return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && in6->sin6_addr.s6_addr[12] == 127;
  }
  return false;
}

std::string PeerText(const sockaddr* addr) {
  char text[INET6_ADDRSTRLEN] = {};
  if (!addr || addr->sa_family == AF_UNIX) return "unix";
  if (addr->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(addr)->sin_addr, text, sizeof text);
  } else if (addr->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(addr)->sin6_addr, text,
              sizeof text);
  }
  return text;
}

MHD_Result CollectInto(void* cls, MHD_ValueKind kind, const char* key, const char* value) {
  auto* into = static_cast<std::map<std::string, std::string>*>(cls);
  std::string name = key ? key : "";
  if (kind == MHD_HEADER_KIND) {
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  }
  into->emplace(std::move(name), value ? value : "");
  return MHD_YES;
}

void LogFromLibrary(void*, const char* format, va_list args) {
  char line[512];
  std::vsnprintf(line, sizeof line, format, args);
  std::string text(line);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  spdlog::debug("http: {}", text);
}

}  // namespace

struct HttpStreamState;

// What the server keeps of one connection's request.
struct HttpConnectionState {
  HttpServer::Impl* server = nullptr;  // null once the request is done or the server stopped
  MHD_Connection* connection = nullptr;
  HttpRequest request;
  bool handled = false;
  bool suspended = false;
  bool too_large = false;
  bool answered = false;
  std::optional<HttpResponse> pending;      // queued at the next access call
  std::shared_ptr<HttpStreamState> stream;  // set when answered with a stream
};

struct HttpStreamState : HttpStream {
  HttpServer::Impl* server = nullptr;
  MHD_Connection* connection = nullptr;  // null once closed
  std::string backlog;
  bool suspended = false;
  bool is_closed = false;

  void Send(std::string text) override;
  bool closed() const override { return is_closed; }
  void Close();
};

struct HttpExchange::Ticket {
  std::shared_ptr<HttpConnectionState> state;
  ~Ticket();
};

struct HttpServer::Impl {
  uv_loop_t* loop = nullptr;
  HttpServerOptions options;
  Handler handler;
  MHD_Daemon* daemon = nullptr;
  uv_poll_t* poll = nullptr;   // freed by its close callback
  uv_timer_t* timer = nullptr;
  std::set<HttpConnectionState*> states;
  bool running = false;  // inside MHD_run

  void Run();
  void Rearm();
  // Makes MHD look at resumed connections on the loop's next turn.
  void Kick() {
    if (timer && !running) uv_timer_start(timer, OnTimer, 0, 0);
    if (running) kick_after_run = true;
  }
  bool kick_after_run = false;
  void Resume(MHD_Connection* connection) {
    MHD_resume_connection(connection);
    Kick();
  }

  static void OnPoll(uv_poll_t* poll, int, int);
  static void OnTimer(uv_timer_t* timer);
  static MHD_Result OnAccess(void* cls, MHD_Connection* c, const char* url, const char* method,
                             const char* version, const char* upload, size_t* upload_size,
                             void** con_cls);
  static void OnCompleted(void* cls, MHD_Connection* c, void** con_cls,
                          MHD_RequestTerminationCode code);
  MHD_Result Begin(MHD_Connection* c, const char* url, const char* method, void** con_cls);
  MHD_Result Queue(HttpConnectionState& state, HttpResponse response);
  MHD_Result QueueStream(HttpConnectionState& state, HttpResponse head);
};

// ---- answers ----

namespace {

void Deliver(const std::shared_ptr<HttpConnectionState>& s, HttpResponse response) {
  if (s->answered) return;
  s->answered = true;
  if (!s->server) return;  // the client or the server is gone
  s->pending = std::move(response);
  if (s->suspended) {
    s->suspended = false;
    s->server->Resume(s->connection);
  }
}

}  // namespace

HttpExchange::Ticket::~Ticket() {
  if (!state->answered) {
    Deliver(state, HttpResponse::Error(500, "internal error", "the request was not answered"));
  }
}

const HttpRequest& HttpExchange::request() const { return ticket_->state->request; }

void HttpExchange::Respond(HttpResponse response) const {
  Deliver(ticket_->state, std::move(response));
}

std::shared_ptr<HttpStream> HttpExchange::OpenStream(HttpResponse head) const {
  auto& s = ticket_->state;
  if (s->answered || !s->server) return nullptr;
  s->stream = std::make_shared<HttpStreamState>();
  s->stream->server = s->server;
  s->stream->connection = s->connection;
  auto stream = s->stream;
  Deliver(s, std::move(head));
  return stream;
}

void HttpStreamState::Send(std::string text) {
  if (is_closed) return;
  if (backlog.size() + text.size() > kMaxStreamBacklog) {
    spdlog::warn("http: closing a stream whose client does not read");
    Close();
    return;
  }
  backlog += text;
  if (suspended && connection && server) {
    suspended = false;
    server->Resume(connection);
  }
}

void HttpStreamState::Close() {
  if (is_closed) return;
  is_closed = true;
  if (suspended && connection && server) {
    suspended = false;
    server->Resume(connection);  // the reader then ends the stream
  }
}

// ---- the library's callbacks ----

MHD_Result HttpServer::Impl::OnAccess(void* cls, MHD_Connection* c, const char* url,
                                      const char* method, const char*, const char* upload,
                                      size_t* upload_size, void** con_cls) {
  auto* impl = static_cast<Impl*>(cls);
  auto* holder = static_cast<std::shared_ptr<HttpConnectionState>*>(*con_cls);
  if (!holder) return impl->Begin(c, url, method, con_cls);
  const auto state = *holder;
  if (*upload_size > 0) {
    if (!state->too_large) {
      if (state->request.body.size() + *upload_size > impl->options.max_body_bytes) {
        state->too_large = true;
        state->request.body.clear();
      } else {
        state->request.body.append(upload, *upload_size);
      }
    }
    *upload_size = 0;
    return MHD_YES;
  }
  if (state->too_large && !state->answered) {
    state->answered = true;
    return impl->Queue(*state, HttpResponse::Error(413, "request too large",
                                                   "the body is over " +
                                                       std::to_string(impl->options.max_body_bytes) +
                                                       " bytes"));
  }
  if (!state->handled) {
    state->handled = true;
    MHD_get_connection_values(c, MHD_HEADER_KIND, CollectInto, &state->request.headers);
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, CollectInto, &state->request.query);
    impl->handler(HttpExchange(std::make_shared<HttpExchange::Ticket>(state)));
  }
  if (state->pending) {
    HttpResponse response = std::move(*state->pending);
    state->pending.reset();
    return state->stream ? impl->QueueStream(*state, std::move(response))
                         : impl->Queue(*state, std::move(response));
  }
  if (!state->answered && !state->suspended) {
    MHD_suspend_connection(c);
    state->suspended = true;
  }
  return MHD_YES;
}

MHD_Result HttpServer::Impl::Begin(MHD_Connection* c, const char* url, const char* method,
                                   void** con_cls) {
  auto state = std::make_shared<HttpConnectionState>();
  state->server = this;
  state->connection = c;
  state->request.method = method ? method : "";
  state->request.path = url ? url : "";
  const auto* info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  const sockaddr* addr = info ? info->client_addr : nullptr;
  state->request.peer = PeerText(addr);
  state->request.peer_loopback = IsLoopback(addr);
  states.insert(state.get());
  *con_cls = new std::shared_ptr<HttpConnectionState>(state);
  // A declared body over the limit is refused before a byte of it is read.
  if (const char* length = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length")) {
    char* end = nullptr;
    errno = 0;
    const unsigned long long n = std::strtoull(length, &end, 10);
    if (errno != 0 || end == length || n > options.max_body_bytes) state->too_large = true;
  }
  if (state->too_large) {
    state->answered = true;
    return Queue(*state, HttpResponse::Error(413, "request too large",
                                             "the body is over " +
                                                 std::to_string(options.max_body_bytes) +
                                                 " bytes"));
  }
  return MHD_YES;
}

MHD_Result HttpServer::Impl::Queue(HttpConnectionState& state, HttpResponse r) {
  MHD_Response* response = MHD_create_response_from_buffer(
      r.body.size(), const_cast<char*>(r.body.data()), MHD_RESPMEM_MUST_COPY);
  if (!response) return MHD_NO;
  MHD_add_response_header(response, "Content-Type", r.content_type.c_str());
  MHD_add_response_header(response, "X-Content-Type-Options", "nosniff");
  for (const auto& [name, value] : r.headers) {
    MHD_add_response_header(response, name.c_str(), value.c_str());
  }
  const MHD_Result queued =
      MHD_queue_response(state.connection, static_cast<unsigned>(r.status), response);
  MHD_destroy_response(response);
  return queued;
}

namespace {

ssize_t ReadStream(void* cls, uint64_t, char* buf, size_t max) {
  auto* stream = static_cast<std::shared_ptr<HttpStreamState>*>(cls)->get();
  if (!stream->backlog.empty()) {
    const size_t n = std::min(max, stream->backlog.size());
    std::memcpy(buf, stream->backlog.data(), n);
    stream->backlog.erase(0, n);
    return static_cast<ssize_t>(n);
  }
  if (stream->is_closed || !stream->connection) return MHD_CONTENT_READER_END_OF_STREAM;
  // Nothing to send: park the connection until Send() or Close().
  MHD_suspend_connection(stream->connection);
  stream->suspended = true;
  return 0;
}

void FreeStream(void* cls) { delete static_cast<std::shared_ptr<HttpStreamState>*>(cls); }

}  // namespace

MHD_Result HttpServer::Impl::QueueStream(HttpConnectionState& state, HttpResponse head) {
  state.stream->backlog = std::move(head.body);
  auto* holder = new std::shared_ptr<HttpStreamState>(state.stream);
  MHD_Response* response =
      MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, ReadStream, holder, FreeStream);
  if (!response) {
    delete holder;
    return MHD_NO;
  }
  MHD_add_response_header(response, "Content-Type", head.content_type.c_str());
  MHD_add_response_header(response, "Cache-Control", "no-store");
  for (const auto& [name, value] : head.headers) {
    MHD_add_response_header(response, name.c_str(), value.c_str());
  }
  const MHD_Result queued =
      MHD_queue_response(state.connection, static_cast<unsigned>(head.status), response);
  MHD_destroy_response(response);
  return queued;
}

void HttpServer::Impl::OnCompleted(void* cls, MHD_Connection*, void** con_cls,
                                   MHD_RequestTerminationCode) {
  auto* impl = static_cast<Impl*>(cls);
  auto* holder = static_cast<std::shared_ptr<HttpConnectionState>*>(*con_cls);
  if (!holder) return;
  auto& state = **holder;
  impl->states.erase(&state);
  state.server = nullptr;
  state.connection = nullptr;
  if (state.stream) {
    state.stream->is_closed = true;
    state.stream->connection = nullptr;
    state.stream->server = nullptr;
  }
  delete holder;
  *con_cls = nullptr;
}

// ---- the loop ----

void HttpServer::Impl::Run() {
  if (!daemon) return;
  running = true;
  MHD_run(daemon);
  running = false;
  if (kick_after_run) {
    kick_after_run = false;
    uv_timer_start(timer, OnTimer, 0, 0);
    return;
  }
  Rearm();
}

void HttpServer::Impl::Rearm() {
  MHD_UNSIGNED_LONG_LONG timeout_ms = 0;
  if (MHD_get_timeout(daemon, &timeout_ms) == MHD_YES) {
    uv_timer_start(timer, OnTimer, timeout_ms, 0);
  } else {
    uv_timer_stop(timer);
  }
}

void HttpServer::Impl::OnPoll(uv_poll_t* poll, int, int) {
  static_cast<Impl*>(poll->data)->Run();
}

void HttpServer::Impl::OnTimer(uv_timer_t* timer) { static_cast<Impl*>(timer->data)->Run(); }

// ---- start and stop ----

Result<std::unique_ptr<HttpServer>> HttpServer::Start(uv_loop_t* loop, UniqueFd listener,
                                                      HttpServerOptions options,
                                                      Handler handler) {
  auto impl = std::make_unique<Impl>();
  impl->loop = loop;
  impl->options = options;
  impl->handler = std::move(handler);
  const unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
  impl->daemon = MHD_start_daemon(
      flags, 0, nullptr, nullptr, &Impl::OnAccess, impl.get(),
      MHD_OPTION_LISTEN_SOCKET, static_cast<MHD_socket>(listener.get()),
      MHD_OPTION_CONNECTION_LIMIT, static_cast<unsigned>(options.max_connections),
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, options.max_header_bytes,
      MHD_OPTION_CONNECTION_TIMEOUT, static_cast<unsigned>(options.idle_timeout.count()),
      MHD_OPTION_NOTIFY_COMPLETED, &Impl::OnCompleted, impl.get(),
      MHD_OPTION_EXTERNAL_LOGGER, &LogFromLibrary, nullptr, MHD_OPTION_END);
  if (!impl->daemon) {
    return Status(Code::kIo, "http: libmicrohttpd could not start on the listening socket");
  }
  (void)listener.Release();  // the library owns it now and closes it at stop
  const auto* info = MHD_get_daemon_info(impl->daemon, MHD_DAEMON_INFO_EPOLL_FD);
  impl->poll = new uv_poll_t;
  impl->timer = new uv_timer_t;
  uv_poll_init(loop, impl->poll, info->epoll_fd);
  uv_timer_init(loop, impl->timer);
  impl->poll->data = impl.get();
  impl->timer->data = impl.get();
  uv_poll_start(impl->poll, UV_READABLE, &Impl::OnPoll);
  impl->Rearm();
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Stop() {
  if (!impl_ || !impl_->daemon) return;
  // Every parked request and stream is let go first: the library must not
  // be stopped with connections it cannot finish.
  for (HttpConnectionState* s : std::set<HttpConnectionState*>(impl_->states)) {
    if (s->stream) s->stream->Close();
    if (s->suspended) {
      s->suspended = false;
      s->answered = true;
      s->pending = HttpResponse::Error(503, "stopping", "recsync is stopping");
      MHD_resume_connection(s->connection);
    }
  }
  uv_poll_stop(impl_->poll);
  uv_close(reinterpret_cast<uv_handle_t*>(impl_->poll),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
  uv_close(reinterpret_cast<uv_handle_t*>(impl_->timer),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  impl_->poll = nullptr;
  impl_->timer = nullptr;
  MHD_stop_daemon(impl_->daemon);
  impl_->daemon = nullptr;
  for (HttpConnectionState* s : impl_->states) s->server = nullptr;
  impl_->states.clear();
}

size_t HttpServer::connections() const {
  if (!impl_->daemon) return 0;
  const auto* info = MHD_get_daemon_info(impl_->daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
  return info ? info->num_connections : 0;
}

}  // namespace recsync
