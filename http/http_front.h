// HttpFront: who may ask what over HTTP, and which backend call answers.
//
// Rules, in the order they are checked:
// 1. The Host header must name this server (`allowed_hosts`, compared
//    without the port, case-insensitively): a page on another site that
//    points its own name at 127.0.0.1 (DNS rebinding) is refused with 403.
// 2. GET /healthz is open. The page's own files (the same for everyone, no
//    data in them) are open too: the sign-in form must load.
// 3. POST /api/v1/session signs in with a Bluecherry account; only
//    administrators (access_setup = 1) get a session; failures are rate-
//    limited per client (LoginThrottle: 429 with Retry-After).
// 4. Everything else needs `Authorization: Bearer <api token>` or a session
//    cookie; with the cookie, every request that changes something (POST,
//    PUT, PATCH, DELETE) must carry the session's token in X-CSRF-Token.
//    A body must be JSON (Content-Type application/json) when there is one.
// Then the route calls the backend (http_backend.h). Errors are
// {"error", "detail"} with the status that fits; no answer ever holds the
// API token, a session id other than the caller's own, or a password.
//
// Thread rules: loop thread only.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "http/http_backend.h"
#include "http/http_server.h"
#include "http/sessions.h"

namespace recsync {

struct HttpFrontOptions {
  // Host names and addresses the Host header may carry (lower-case, no port).
  std::vector<std::string> allowed_hosts;
  std::string api_token;  // "" accepts no bearer token
  std::chrono::seconds session_idle{1800};
  // The page's files: the response for `path` ("/", "/app.js"), or nullopt.
  std::function<std::optional<HttpResponse>(const std::string& path)> page;
};

// The loopback names, this machine's host name and its names with the
// domain: the default of `http_allowed_hosts`.
std::vector<std::string> DefaultAllowedHosts();

class HttpFront {
 public:
  HttpFront(HttpBackend& backend, const Clock& clock, HttpFrontOptions options);

  void Handle(const HttpExchange& exchange);
  // New settings (SIGHUP): the token and hosts; sessions stay.
  void Reconfigure(HttpFrontOptions options);

 private:
  struct Caller {
    const Session* session = nullptr;  // null: the bearer token
  };
  using Respond = std::function<void(HttpResponse)>;

  bool HostAllowed(const HttpRequest& request) const;
  std::optional<Caller> Authenticate(const HttpRequest& request, const Respond& respond);
  void SignIn(const HttpRequest& request, const Respond& respond);
  void SessionRoute(const HttpRequest& request, const Respond& respond);
  void Api(const HttpRequest& request, const Respond& respond);
  void Sweeps(const HttpRequest& request, const std::string& rest, const Respond& respond);
  void Stream(const HttpExchange& exchange, const Respond& respond);
  // The client a sign-in is counted against: the peer, or behind a proxy on
  // loopback, the address the proxy names.
  static std::string ClientOf(const HttpRequest& request);

  HttpBackend& backend_;
  const Clock& clock_;
  HttpFrontOptions options_;
  SessionStore sessions_;
  LoginThrottle throttle_;
};

}  // namespace recsync
