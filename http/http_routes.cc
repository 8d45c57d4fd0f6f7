// HttpFront's routes: sign-in and sign-out, and /api/v1 to the backend.
#include <algorithm>
#include <cctype>

#include "http/http_front.h"

namespace recsync {
namespace {

std::optional<nlohmann::json> JsonObject(const HttpRequest& request,
                                         const std::function<void(HttpResponse)>& respond) {
  if (request.body.empty()) return nlohmann::json::object();
  if (AsciiLower(request.Header("content-type")).rfind("application/json", 0) != 0) {
    respond(HttpResponse::Error(415, "unsupported media type",
                                "send the body as JSON with Content-Type: application/json"));
    return std::nullopt;
  }
  auto body = nlohmann::json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    respond(HttpResponse::Error(400, "bad JSON", "the body must be one JSON object"));
    return std::nullopt;
  }
  return body;
}

std::optional<int64_t> ParseId(const std::string& text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  int64_t id = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    id = id * 10 + (c - '0');
  }
  return id;
}

// Secure only when the proxy in front (on loopback) says the browser used HTTPS.
std::string SessionCookie(const HttpRequest& request, const std::string& value, bool expire) {
  std::string cookie = std::string(kSessionCookie) + "=" + value + "; Path=/; HttpOnly; SameSite=Strict";
  if (request.peer_loopback && AsciiLower(request.Header("x-forwarded-proto")) == "https") {
    cookie += "; Secure";
  }
  if (expire) cookie += "; Max-Age=0";
  return cookie;
}

}  // namespace

void HttpFront::SessionRoute(const HttpRequest& request, const Respond& respond) {
  if (request.method == "POST") return SignIn(request, respond);
  if (request.method == "GET") {
    const auto* s = sessions_.Find(request.Cookie(kSessionCookie), clock_.NowMs());
    if (!s) return respond(HttpResponse::Error(401, "unauthorized", "not signed in"));
    return respond(HttpResponse::Json(200, {{"user", s->user}, {"csrf", s->csrf}}));
  }
  if (request.method == "DELETE") {
    if (!Authenticate(request, respond)) return;
    sessions_.Remove(request.Cookie(kSessionCookie));
    HttpResponse r;
    r.status = 204;
    r.With("Set-Cookie", SessionCookie(request, "", true));
    return respond(std::move(r));
  }
  respond(HttpResponse::MethodNotAllowed(request.method, "GET, POST, DELETE"));
}

void HttpFront::SignIn(const HttpRequest& request, const Respond& respond) {
  const std::string client = ClientOf(request);
  if (const int64_t wait = throttle_.WaitSeconds(client, clock_.NowMs()); wait > 0) {
    return respond(HttpResponse::Error(429, "too many failed sign-ins",
                                       "try again in " + std::to_string(wait) + " s")
                       .With("Retry-After", std::to_string(wait)));
  }
  // JSON only: a form on another site cannot send it without the browser
  // asking this server first (CORS), which it never allows.
  if (AsciiLower(request.Header("content-type")).rfind("application/json", 0) != 0) {
    return respond(HttpResponse::Error(415, "unsupported media type",
                                       "sign in with a JSON body and Content-Type: application/json"));
  }
  auto body = JsonObject(request, respond);
  if (!body) return;
  const auto user = body->find("username");
  const auto password = body->find("password");
  if (user == body->end() || !user->is_string() || password == body->end() ||
      !password->is_string()) {
    return respond(HttpResponse::Error(400, "bad sign-in", "username and password must be strings"));
  }
  backend_.SignIn(*user, *password, [this, respond, client, request](Result<SignInVerdict> v) {
    if (!v.ok()) {
      return respond(HttpResponse::Error(503, "cannot check the account", v.status().message()));
    }
    if (v->kind == SignInVerdict::Kind::kWrong) {
      throttle_.Failed(client, clock_.NowMs());
      return respond(HttpResponse::Error(401, "sign-in failed", "wrong username or password"));
    }
    throttle_.Succeeded(client);
    if (v->kind == SignInVerdict::Kind::kNotAdmin) {
      return respond(HttpResponse::Error(403, "not an administrator",
                                         "an administrator account (a Bluecherry user with "
                                         "setup access) is needed"));
    }
    auto session = sessions_.Create(v->user, clock_.NowMs());
    if (!session.ok()) {
      return respond(HttpResponse::Error(503, "cannot start a session", session.status().message()));
    }
    respond(HttpResponse::Json(200, {{"user", session->user}, {"csrf", session->csrf}})
                .With("Set-Cookie", SessionCookie(request, session->id, false)));
  });
}

void HttpFront::Api(const HttpRequest& request, const Respond& respond) {
  const std::string rest = request.path.substr(std::min(request.path.size(), kApiPrefix.size()));
  const std::string& m = request.method;
  auto get_only = [&](auto&& answer) {
    if (m != "GET") return respond(HttpResponse::MethodNotAllowed(m, "GET"));
    answer();
  };
  if (rest == "/status") {
    get_only([&] { respond(HttpResponse::Json(200, backend_.Status())); });
  } else if (rest == "/roots") {
    get_only([&] { respond(HttpResponse::Json(200, backend_.Roots())); });
  } else if (rest == "/sweeps" || rest.rfind("/sweeps/", 0) == 0) {
    Sweeps(request, rest.substr(7), respond);
  } else if (rest == "/events") {
    get_only([&] { backend_.ListEvents(request.query, respond); });
  } else if (rest == "/events/retry") {
    if (m != "POST") return respond(HttpResponse::MethodNotAllowed(m, "POST"));
    if (auto body = JsonObject(request, respond)) backend_.RetryEvents(*body, respond);
  } else if (rest == "/actions") {
    get_only([&] { backend_.ListActions(request.query, respond); });
  } else if (rest == "/history") {
    get_only([&] { backend_.History(request.query, respond); });
  } else {
    respond(HttpResponse::Error(404, "not found",
                                "no such endpoint: " + request.path + "; see docs/http.md"));
  }
}

// `rest` is "" (the collection) or "/{id}".
void HttpFront::Sweeps(const HttpRequest& request, const std::string& rest, const Respond& respond) {
  const std::string& m = request.method;
  if (rest.empty()) {
    if (m == "GET") return backend_.ListSweeps(request.query, respond);
    if (m != "POST") return respond(HttpResponse::MethodNotAllowed(m, "GET, POST"));
    if (auto body = JsonObject(request, respond)) backend_.StartSweep(*body, respond);
    return;
  }
  const auto id = ParseId(rest.substr(1));
  if (!id) {
    return respond(HttpResponse::Error(404, "not found", "a sweep id is a whole number"));
  }
  if (m == "GET") return backend_.GetSweep(*id, respond);
  if (m == "DELETE") return backend_.CancelSweep(*id, respond);
  respond(HttpResponse::MethodNotAllowed(m, "GET, DELETE"));
}

void HttpFront::Stream(const HttpExchange& exchange, const Respond&) {
  HttpResponse head;
  head.content_type = "text/event-stream";
  head.body = "retry: 2000\n\n";
  head.With("X-Accel-Buffering", "no");  // nginx: pass events through as they come
  if (auto stream = exchange.OpenStream(std::move(head))) backend_.Subscribe(std::move(stream));
}

}  // namespace recsync
