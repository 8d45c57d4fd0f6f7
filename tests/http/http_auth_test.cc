// Who may ask what over HTTP, against a real `recsync run` and MariaDB.
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>

#include "tests/http/http_daemon.h"

using namespace recsync::testing;

TEST_CASE("only /healthz and the page's own files answer without credentials") {
  HttpDaemon h;
  h.Start();
  const auto health = h.Get("/healthz");
  CHECK(health.status == 200);
  CHECK(health.Json()["ready"].is_boolean());
  for (const char* path : {"/api/v1/status", "/api/v1/roots", "/api/v1/sweeps", "/metrics",
                           "/api/v1/events", "/api/v1/actions", "/api/v1/stream"}) {
    INFO(path);
    const auto a = h.Get(path);
    CHECK(a.status == 401);
    CHECK(a.Json()["error"] == "unauthorized");
  }
}

TEST_CASE("the bearer token from api_token_file reads the status; a wrong one is refused") {
  HttpDaemon h;
  h.Start();
  const auto ok = h.WithToken("GET", "/api/v1/status");
  REQUIRE(ok.status == 200);
  CHECK(ok.Json()["pid"] == h.d.pid());
  const auto wrong = Http(h.address, {"GET", "/api/v1/status",
                                      {{"Authorization", "Bearer " + std::string(64, 'f')}}, ""});
  CHECK(wrong.status == 401);
  CHECK(wrong.body.find(kToken) == std::string::npos);
}

TEST_CASE("an administrator signs in with Bluecherry's password; the cookie is HttpOnly and SameSite=Strict") {
  HttpDaemon h;
  h.Start();
  const auto in = h.SignIn(kAdminUser, kAdminPassword);
  REQUIRE(in.status == 200);
  CHECK(in.Json()["user"] == kAdminUser);
  const std::string set = in.headers.at("set-cookie");
  CHECK(set.find("HttpOnly") != std::string::npos);
  CHECK(set.find("SameSite=Strict") != std::string::npos);
  CHECK(set.find("Secure") == std::string::npos);  // plain HTTP on loopback
  CHECK(h.csrf.size() == 64);
  CHECK(h.cookie.size() == std::string("recsync_session=").size() + 64);
  CHECK(h.AsSession("GET", "/api/v1/status").status == 200);
  // Signed out, the cookie opens nothing.
  CHECK(h.AsSession("DELETE", "/api/v1/session").status == 204);
  CHECK(h.AsSession("GET", "/api/v1/status").status == 401);
}

TEST_CASE("behind an HTTPS proxy on loopback the session cookie is Secure") {
  HttpDaemon h;
  h.Start();
  const nlohmann::json body{{"username", kAdminUser}, {"password", kAdminPassword}};
  const auto in = Http(h.address, {"POST", "/api/v1/session",
                                   {{"X-Forwarded-Proto", "https"}}, body.dump()});
  REQUIRE(in.status == 200);
  CHECK(in.headers.at("set-cookie").find("Secure") != std::string::npos);
}

TEST_CASE("a wrong password is 401 and a user without setup access is 403 naming the need") {
  HttpDaemon h;
  h.Start();
  const auto wrong = h.SignIn(kAdminUser, "not it");
  CHECK(wrong.status == 401);
  CHECK(wrong.headers.count("set-cookie") == 0);
  const auto nobody = h.SignIn("nobody", "x");
  CHECK(nobody.status == 401);
  const auto viewer = h.SignIn(kViewerUser, kViewerPassword);
  CHECK(viewer.status == 403);
  CHECK(viewer.Json()["detail"].get<std::string>().find("administrator") != std::string::npos);
  CHECK(viewer.headers.count("set-cookie") == 0);
}

TEST_CASE("every sign-in is logged with the name that was tried, on one line, never the password") {
  HttpDaemon h;
  h.Start();
  CHECK(h.SignIn(kAdminUser, "wrong secret").status == 401);
  CHECK(h.SignIn("mallory\nhttp: sign-in as \"Admin\": administrator", "x").status == 401);
  CHECK(h.SignIn(kViewerUser, kViewerPassword).status == 403);
  // Each line is written before the answer goes out.
  const std::string log = h.d.Log();
  INFO(log);
  CHECK(log.find("sign-in as \"Admin\": refused, wrong username or password") != std::string::npos);
  CHECK(log.find(R"(sign-in as "mallory\nhttp: sign-in as "Admin": administrator": refused)") !=
        std::string::npos);
  CHECK(log.find("sign-in as \"viewer\": refused, not an administrator") != std::string::npos);
  CHECK(log.find("wrong secret") == std::string::npos);
}

TEST_CASE("repeated failed sign-ins from one client get 429 with Retry-After, even with the right password") {
  HttpDaemon h;
  h.Start();
  for (int i = 0; i < 5; ++i) CHECK(h.SignIn(kAdminUser, "guess " + std::to_string(i)).status == 401);
  const auto limited = h.SignIn(kAdminUser, kAdminPassword);
  CHECK(limited.status == 429);
  CHECK(std::stoi(limited.headers.at("retry-after")) > 0);
}

TEST_CASE("a change with the session cookie but without its CSRF token is refused") {
  HttpDaemon h;
  h.Start();
  REQUIRE(h.SignIn(kAdminUser, kAdminPassword).status == 200);
  const auto missing = h.AsSession("POST", "/api/v1/sweeps", R"({"dry_run": true})", false);
  CHECK(missing.status == 403);
  CHECK(missing.Json()["error"].get<std::string>().find("CSRF") != std::string::npos);
  std::map<std::string, std::string> headers{{"Cookie", h.cookie}, {"X-CSRF-Token", std::string(64, '0')}};
  CHECK(Http(h.address, {"POST", "/api/v1/sweeps", headers, "{}"}).status == 403);
  CHECK(h.AsSession("DELETE", "/api/v1/session", "", false).status == 403);
  // Reads need none.
  CHECK(h.AsSession("GET", "/api/v1/roots", "", false).status == 200);
}

TEST_CASE("a Host header that does not name this server is refused (DNS rebinding)") {
  HttpDaemon h;
  h.Start();
  const auto foreign = Http(h.address, {"GET", "/api/v1/status",
                                        {{"Host", "evil.example:7320"},
                                         {"Authorization", std::string("Bearer ") + kToken}},
                                        ""});
  CHECK(foreign.status == 403);
  CHECK(foreign.Json()["error"] == "foreign host");
  CHECK(Http(h.address, {"GET", "/healthz", {{"Host", "localhost:7320"}}, ""}).status == 200);
}

TEST_CASE("bad JSON, a wrong content type and an oversize body get 400, 415 and 413") {
  HttpDaemon h;
  h.Start();
  CHECK(h.WithToken("POST", "/api/v1/sweeps", "{not json").status == 400);
  const auto form = Http(h.address, {"POST", "/api/v1/sweeps",
                                     {{"Authorization", std::string("Bearer ") + kToken},
                                      {"Content-Type", "application/x-www-form-urlencoded"}},
                                     "dry_run=false"});
  CHECK(form.status == 415);
  const auto big = h.WithToken("POST", "/api/v1/sweeps", std::string(200 * 1024, ' '));
  CHECK(big.status == 413);
  const auto unknown = h.WithToken("POST", "/api/v1/sweeps", R"({"dry_run": true, "colour": 1})");
  CHECK(unknown.status == 400);
  CHECK(unknown.Json()["detail"].get<std::string>().find("colour") != std::string::npos);
  CHECK(h.WithToken("GET", "/api/v1/nothing-here").status == 404);
  CHECK(h.WithToken("PUT", "/api/v1/status").status == 405);
}

TEST_CASE("a new token is accepted after a reload (SIGHUP), and the old one no longer is") {
  HttpDaemon h;
  h.Start();
  REQUIRE(h.WithToken("GET", "/api/v1/status").status == 200);
  const std::string fresh(64, 'e');
  std::ofstream(h.d.api_token_file, std::ios::trunc) << fresh << "\n";
  ::kill(h.d.pid(), SIGHUP);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  int status = 0;
  do {
    status = Http(h.address, {"GET", "/api/v1/status", {{"Authorization", "Bearer " + fresh}}, ""})
                 .status;
  } while (status != 200 && std::chrono::steady_clock::now() < deadline);
  CHECK(status == 200);
  CHECK(h.WithToken("GET", "/api/v1/status").status == 401);
}
