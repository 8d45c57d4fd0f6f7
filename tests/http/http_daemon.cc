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

}  // namespace recsync::testing
