// HttpServer: libmicrohttpd driven by the daemon's libuv loop.
//
// libmicrohttpd runs in external-epoll mode: it owns no thread. A uv_poll_t
// on its epoll fd and a uv_timer_t that follows MHD_get_timeout() call
// MHD_run() on the loop thread, so every callback of the library, and every
// route, runs on the loop thread too. A route must not block: it answers at
// once, or keeps its Exchange and answers later (from a mailbox callback,
// after a worker did the work); meanwhile the connection is suspended and
// costs nothing. A stream (Server-Sent Events) is an Exchange answered with
// OpenStream(): the connection stays open and Stream::Send() writes to it.
//
// Limits, each answered in HTTP where the protocol allows: at most
// `max_connections` at once (the next is closed at accept); headers beyond
// `max_header_bytes` get 431 from the library; a body beyond `max_body_bytes`
// gets 413 before it is read; a connection idle for `idle_timeout` (a client
// that sends nothing, or stops half-way) is closed. Suspended connections
// (waiting for a worker) and streams do not time out.
//
// Thread rules: loop thread only, like the loop it runs on. Stop() (or the
// destructor) closes the listening socket and every connection; Exchanges
// and Streams that outlive it answer nothing.
#pragma once

#include <uv.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "common/status.h"
#include "common/unique_fd.h"
#include "http/http_message.h"

namespace recsync {

struct HttpServerOptions {
  size_t max_connections = 64;
  size_t max_header_bytes = 16 * 1024;
  size_t max_body_bytes = 64 * 1024;
  std::chrono::seconds idle_timeout{30};
};

struct HttpConnectionState;

// An open stream of a response (text/event-stream). Send() queues text for
// the client; closed() turns true when the client went away or the server
// stopped, after which Send() does nothing.
class HttpStream {
 public:
  virtual ~HttpStream() = default;
  virtual void Send(std::string text) = 0;
  virtual bool closed() const = 0;
};

// One request waiting for its answer; copies share it. The first Respond()
// or OpenStream() answers; later ones do nothing. When the last copy goes
// unanswered, the client gets 500.
class HttpExchange {
 public:
  const HttpRequest& request() const;
  void Respond(HttpResponse response) const;
  // Answers with `head` (status, type, headers; its body is sent first) and
  // keeps the connection open; null when the client is already gone.
  std::shared_ptr<HttpStream> OpenStream(HttpResponse head) const;

  // Made only by the server (Ticket is defined in http_server.cc).
  struct Ticket;
  explicit HttpExchange(std::shared_ptr<Ticket> ticket) : ticket_(std::move(ticket)) {}

 private:
  std::shared_ptr<Ticket> ticket_;
};

class HttpServer {
 public:
  // Called on the loop thread for every complete request.
  using Handler = std::function<void(const HttpExchange&)>;

  // Serves `listener` (a bound, listening socket: listen_address.h) on
  // `loop`. kIo naming the cause when libmicrohttpd cannot start.
  static Result<std::unique_ptr<HttpServer>> Start(uv_loop_t* loop, UniqueFd listener,
                                                    HttpServerOptions options, Handler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  void Stop();
  // Connections open now (streams and suspended requests included).
  size_t connections() const;

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace recsync
