#include "tests/support/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cctype>
#include <cstring>

namespace recsync::testing {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Dechunk(const std::string& body) {
  std::string out;
  size_t pos = 0;
  while (pos < body.size()) {
    const size_t eol = body.find("\r\n", pos);
    if (eol == std::string::npos) break;
    const size_t n = std::stoul(body.substr(pos, eol - pos), nullptr, 16);
    if (n == 0) break;
    out += body.substr(eol + 2, n);
    pos = eol + 2 + n + 2;
  }
  return out;
}

HttpAnswer Parse(const std::string& raw) {
  HttpAnswer a;
  const size_t end = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/1.", 0) != 0 || end == std::string::npos) return a;
  a.status = std::stoi(raw.substr(9, 3));
  a.raw_head = raw.substr(0, end);
  size_t pos = raw.find("\r\n") + 2;
  while (pos < end) {
    const size_t eol = raw.find("\r\n", pos);
    const std::string line = raw.substr(pos, eol - pos);
    const size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      a.headers[Lower(line.substr(0, colon))] = value;
    }
    pos = eol + 2;
  }
  a.body = raw.substr(end + 4);
  if (Lower(a.headers["transfer-encoding"]) == "chunked") a.body = Dechunk(a.body);
  return a;
}

}  // namespace

nlohmann::json HttpAnswer::Json() const {
  auto j = nlohmann::json::parse(body, nullptr, false);
  INFO("status " << status << " body: " << body);
  REQUIRE_FALSE(j.is_discarded());
  return j;
}

int HttpConnect(const std::string& address) {
  const size_t colon = address.rfind(':');
  REQUIRE(colon != std::string::npos);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(std::stoi(address.substr(colon + 1))));
  REQUIRE(inet_pton(AF_INET, address.substr(0, colon).c_str(), &addr.sin_addr) == 1);
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  INFO("connecting to " << address << ": " << std::strerror(errno));
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  return fd;
}

HttpAnswer HttpReadAnswer(int fd, std::chrono::milliseconds timeout) {
  std::string raw;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[65536];
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    raw.append(buf, static_cast<size_t>(n));
  }
  return Parse(raw);
}

HttpAnswer HttpRaw(const std::string& address, const std::string& raw,
                   std::chrono::milliseconds timeout) {
  const int fd = HttpConnect(address);
  size_t sent = 0;
  while (sent < raw.size()) {
    const ssize_t n = ::send(fd, raw.data() + sent, raw.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may close early (413): read what it said
    sent += static_cast<size_t>(n);
  }
  HttpAnswer a = HttpReadAnswer(fd, timeout);
  ::close(fd);
  return a;
}

HttpAnswer Http(const std::string& address, const HttpCall& call,
                std::chrono::milliseconds timeout) {
  std::string raw = call.method + " " + call.path + " HTTP/1.1\r\n";
  auto headers = call.headers;
  if (!headers.count("Host")) headers["Host"] = address;
  headers["Connection"] = "close";
  if (!call.body.empty() && !headers.count("Content-Type")) headers["Content-Type"] = "application/json";
  headers["Content-Length"] = std::to_string(call.body.size());
  for (const auto& [name, value] : headers) raw += name + ": " + value + "\r\n";
  raw += "\r\n" + call.body;
  return HttpRaw(address, raw, timeout);
}

}  // namespace recsync::testing
