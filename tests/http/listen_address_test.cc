#include "http/listen_address.h"

#include <catch2/catch.hpp>

using namespace recsync;

TEST_CASE("http_listen takes off, HOST:PORT, [v6]:PORT and unix:/path") {
  CHECK(ParseListenAddress("off")->kind == ListenAddress::Kind::kOff);
  auto v4 = ParseListenAddress("127.0.0.1:7320");
  REQUIRE(v4.ok());
  CHECK(v4->port == 7320);
  CHECK(v4->loopback());
  CHECK(ParseListenAddress("localhost:80")->host == "127.0.0.1");
  auto v6 = ParseListenAddress("[::1]:7320");
  REQUIRE(v6.ok());
  CHECK(v6->loopback());
  CHECK(v6->ToText() == "[::1]:7320");
  auto unix_socket = ParseListenAddress("unix:/run/recsync/http.sock");
  REQUIRE(unix_socket.ok());
  CHECK(unix_socket->loopback());
  for (const char* bad : {"7320", "example.org:80", "127.0.0.1:99999", "unix:relative", ""}) {
    INFO(bad);
    auto r = ParseListenAddress(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("http_listen") == 0);
  }
}

TEST_CASE("a non-loopback address is refused unless http_allow_remote, with the fix named") {
  auto any = ParseListenAddress("0.0.0.0:0");
  REQUIRE(any.ok());
  CHECK_FALSE(any->loopback());
  auto refused = Listen(*any, false);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().message().find("http_allow_remote") != std::string::npos);
  CHECK(Listen(*any, true).ok());
}
