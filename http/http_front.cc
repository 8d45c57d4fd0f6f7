#include "http/http_front.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>

#include "http/credentials.h"

namespace recsync {
namespace {

// "Example.org:7320" -> "example.org"; "[::1]:7320" -> "::1".
std::string HostWithoutPort(const std::string& host) {
  if (!host.empty() && host.front() == '[') {
    const size_t close = host.find(']');
    return close == std::string::npos ? host : host.substr(1, close - 1);
  }
  const size_t colon = host.find(':');
  return colon == std::string::npos ? host : host.substr(0, colon);
}

bool Changes(const std::string& method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

HttpResponse NotFound(const std::string& path) {
  return HttpResponse::Error(404, "not found", "no such endpoint: " + path + "; see docs/http.md");
}

void AddCommonHeaders(HttpResponse& r) {
  r.With("Cache-Control", "no-store")
      .With("X-Frame-Options", "DENY")
      .With("Referrer-Policy", "no-referrer")
      .With("Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
            "frame-ancestors 'none'");
}

}  // namespace

std::vector<std::string> DefaultAllowedHosts() {
  std::vector<std::string> hosts = {"localhost", "127.0.0.1", "::1"};
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) == 0 && name[0]) {
    const std::string full = AsciiLower(name);
    hosts.push_back(full);
    const size_t dot = full.find('.');
    if (dot != std::string::npos) hosts.push_back(full.substr(0, dot));
  }
  return hosts;
}

HttpFront::HttpFront(HttpBackend& backend, const Clock& clock, HttpFrontOptions options)
    : backend_(backend), clock_(clock), options_(std::move(options)), sessions_(options_.session_idle) {}

void HttpFront::Reconfigure(HttpFrontOptions options) {
  options_ = std::move(options);
  sessions_.SetIdle(options_.session_idle);
}

bool HttpFront::HostAllowed(const HttpRequest& request) const {
  const std::string host = AsciiLower(HostWithoutPort(request.Header("host")));
  return std::find(options_.allowed_hosts.begin(), options_.allowed_hosts.end(), host) !=
         options_.allowed_hosts.end();
}

std::string HttpFront::ClientOf(const HttpRequest& request) {
  if (request.peer_loopback) {
    const std::string real = request.Header("x-real-ip");
    if (!real.empty()) return real;
    std::string forwarded = request.Header("x-forwarded-for");
    const size_t comma = forwarded.rfind(',');
    if (comma != std::string::npos) forwarded = forwarded.substr(comma + 1);
    forwarded.erase(0, forwarded.find_first_not_of(' '));
    if (!forwarded.empty()) return forwarded;
  }
  return request.peer;
}

void HttpFront::Handle(const HttpExchange& exchange) {
  const HttpRequest& request = exchange.request();
  const Respond respond = [exchange](HttpResponse r) {
    AddCommonHeaders(r);
    exchange.Respond(std::move(r));
  };
  if (!HostAllowed(request)) {
    respond(HttpResponse::Error(403, "foreign host",
                                "the Host header \"" + request.Header("host") +
                                    "\" does not name this server; add it to http_allowed_hosts "
                                    "if it should"));
    return;
  }
  const std::string& path = request.path;
  if (path == "/healthz") {
    respond(request.method == "GET" ? backend_.Health() : HttpResponse::MethodNotAllowed(request.method, "GET"));
  } else if (path == std::string(kApiPrefix) + "/session") {
    SessionRoute(request, respond);
  } else if (path == std::string(kApiPrefix) + "/stream") {
    if (request.method != "GET") return respond(HttpResponse::MethodNotAllowed(request.method, "GET"));
    if (Authenticate(request, respond)) Stream(exchange, respond);
  } else if (path == "/metrics" || path.rfind(std::string(kApiPrefix) + "/", 0) == 0 || path == kApiPrefix) {
    if (!Authenticate(request, respond)) return;
    if (path == "/metrics") {
      if (request.method != "GET") return respond(HttpResponse::MethodNotAllowed(request.method, "GET"));
      HttpResponse r;
      r.content_type = "text/plain; version=0.0.4; charset=utf-8";
      r.body = backend_.Metrics();
      return respond(std::move(r));
    }
    Api(request, respond);
  } else if (request.method == "GET" || request.method == "HEAD") {
    auto file = options_.page ? options_.page(path) : std::nullopt;
    respond(file ? std::move(*file) : NotFound(path));
  } else {
    respond(NotFound(path));
  }
}

std::optional<HttpFront::Caller> HttpFront::Authenticate(const HttpRequest& request,
                                                         const Respond& respond) {
  const std::string auth = request.Header("authorization");
  if (!auth.empty()) {
    const std::string scheme = "bearer ";
    if (AsciiLower(auth.substr(0, scheme.size())) == scheme && !options_.api_token.empty() &&
        SecretEquals(auth.substr(scheme.size()), options_.api_token)) {
      return Caller{};
    }
    respond(HttpResponse::Error(401, "unauthorized", "the bearer token is not the one in api_token_file")
                .With("WWW-Authenticate", "Bearer"));
    return std::nullopt;
  }
  const Session* session = sessions_.Find(request.Cookie(kSessionCookie), clock_.NowMs());
  if (!session) {
    respond(HttpResponse::Error(401, "unauthorized",
                                "sign in with a Bluecherry administrator account, or send "
                                "Authorization: Bearer <token from api_token_file>"));
    return std::nullopt;
  }
  if (Changes(request.method) && !SecretEquals(request.Header("x-csrf-token"), session->csrf)) {
    respond(HttpResponse::Error(403, "CSRF token missing or wrong",
                                "send the session's csrf value in the X-CSRF-Token header"));
    return std::nullopt;
  }
  return Caller{session};
}

}  // namespace recsync
