#include "http/http_message.h"

#include "common/json.h"

namespace recsync {

std::string HttpRequest::Header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

std::optional<std::string> HttpRequest::Query(const std::string& name) const {
  auto it = query.find(name);
  if (it == query.end()) return std::nullopt;
  return it->second;
}

std::string HttpRequest::Cookie(const std::string& name) const {
  const std::string all = Header("cookie");
  size_t pos = 0;
  while (pos < all.size()) {
    size_t end = all.find(';', pos);
    if (end == std::string::npos) end = all.size();
    std::string_view pair(all.data() + pos, end - pos);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    const size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) {
      return std::string(pair.substr(eq + 1));
    }
    pos = end + 1;
  }
  return "";
}

HttpResponse HttpResponse::Json(int status, const nlohmann::json& value) {
  HttpResponse r;
  r.status = status;
  r.body = DumpJson(value);
  r.body += '\n';
  return r;
}

HttpResponse HttpResponse::MethodNotAllowed(const std::string& method, const std::string& allow) {
  return Error(405, "method not allowed", method + " is not allowed here; use " + allow)
      .With("Allow", allow);
}

std::string AsciiLower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

HttpResponse HttpResponse::Error(int status, const std::string& error, const std::string& detail) {
  return Json(status, {{"error", error}, {"detail", detail}});
}

}  // namespace recsync
