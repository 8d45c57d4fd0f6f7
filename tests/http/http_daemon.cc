#include "tests/http/http_daemon.h"

#include <catch2/catch.hpp>
#include <fstream>

namespace recsync::testing {

HttpDaemon::HttpDaemon() {
  d.http_listen = "127.0.0.1:0";
  std::ofstream(d.api_token_file) << kToken << "\n";
  d.db->Exec(
      "INSERT INTO Users (username, password, salt, name, access_setup) VALUES"
      " ('Admin', MD5(CONCAT('bluecherry', '1234')), '1234', 'Bluecherry Admin', 1),"
      " ('viewer', MD5(CONCAT('look only', 'abcd')), 'abcd', 'Viewer', 0)");
}

void HttpDaemon::Start(const std::vector<std::string>& extra) {
  d.Start(extra);
  address = d.Status()["http"]["listen"].get<std::string>();
  REQUIRE(address.rfind("127.0.0.1:", 0) == 0);
}

HttpAnswer HttpDaemon::Get(const std::string& path,
                           const std::map<std::string, std::string>& headers) {
  return Http(address, {"GET", path, headers, ""});
}

HttpAnswer HttpDaemon::WithToken(const std::string& method, const std::string& path,
                                 const std::string& body) {
  return Http(address, {method, path, {{"Authorization", std::string("Bearer ") + kToken}}, body});
}

HttpAnswer HttpDaemon::SignIn(const std::string& user, const std::string& password) {
  const nlohmann::json body{{"username", user}, {"password", password}};
  HttpAnswer a = Http(address, {"POST", "/api/v1/session", {}, body.dump()});
  if (a.status == 200) {
    const std::string set = a.headers["set-cookie"];
    cookie = set.substr(0, set.find(';'));
    csrf = a.Json()["csrf"].get<std::string>();
  }
  return a;
}

HttpAnswer HttpDaemon::AsSession(const std::string& method, const std::string& path,
                                 const std::string& body, bool with_csrf) {
  std::map<std::string, std::string> headers{{"Cookie", cookie}};
  if (with_csrf) headers["X-CSRF-Token"] = csrf;
  return Http(address, {method, path, headers, body});
}

int64_t HttpDaemon::StartSweep(const std::string& body) {
  const auto a = WithToken("POST", "/api/v1/sweeps", body);
  INFO(a.body);
  REQUIRE(a.status == 202);
  return a.Json()["id"].get<int64_t>();
}

nlohmann::json HttpDaemon::AwaitSweepEnd(int64_t id, std::chrono::milliseconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  nlohmann::json sweep;
  while (true) {
    const auto a = WithToken("GET", "/api/v1/sweeps/" + std::to_string(id));
    REQUIRE(a.status == 200);
    sweep = a.Json();
    if (sweep["state"] != "running" && sweep["state"] != "queued") return sweep;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    // Asks again once the status no longer shows this sweep running.
    d.AwaitStatus(
        [id](const nlohmann::json& s) {
          const auto& current = s["sweep"]["current"];
          return current.is_null() || current["id"] != id;
        },
        left);
  }
  FAIL("sweep " << id << " still running: " << sweep.dump());
  return sweep;
}

void HttpDaemon::AwaitSweepsIdle() {
  REQUIRE(d.AwaitStatus([](const nlohmann::json& s) {
    return !s["sweep"]["running"].get<bool>() && s["sweep"]["queued"].get<int>() == 0;
  }));
}

}  // namespace recsync::testing
