// HttpRequest and HttpResponse: one HTTP exchange as the routes see it,
// without anything of the server library in it.
//
// A request is complete when a route sees it: headers (names lower-cased),
// the decoded path without its query, the decoded query arguments and the
// whole body (already checked against the size limit). A response is a
// status, a content type, a body and extra headers; Json() and Error() make
// the two kinds the API answers with.
//
// Thread rules: plain values.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace recsync {

struct HttpRequest {
  std::string method;  // GET, POST, DELETE, ...
  std::string path;    // decoded, without the query: "/api/v1/status"
  std::map<std::string, std::string> query;    // decoded arguments
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string peer;    // the client's address ("127.0.0.1", "::1", "unix")
  bool peer_loopback = false;

  // The header's value, "" when absent (`name` lower-case).
  std::string Header(const std::string& name) const;
  std::optional<std::string> Query(const std::string& name) const;
  // The value of cookie `name` in the Cookie header, "" when absent.
  std::string Cookie(const std::string& name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  // `value` as JSON; invalid UTF-8 in it (paths) becomes U+FFFD.
  static HttpResponse Json(int status, const nlohmann::json& value);
  // {"error": error, "detail": detail}.
  static HttpResponse Error(int status, const std::string& error, const std::string& detail);
  // 405 naming the methods `allow` lists ("GET, POST"), with its Allow header.
  static HttpResponse MethodNotAllowed(const std::string& method, const std::string& allow);
  HttpResponse& With(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

// ASCII lower case (header names and values compared without case).
std::string AsciiLower(std::string s);

// Where the session cookie and the API live.
inline constexpr char kSessionCookie[] = "recsync_session";
inline constexpr std::string_view kApiPrefix = "/api/v1";

}  // namespace recsync
