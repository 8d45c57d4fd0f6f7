// A small blocking HTTP/1.1 client for tests: a real TCP connection, the
// request written as bytes, the answer read to the end (Connection: close).
// Chunked answers are decoded. Not for production: no TLS, no redirects.
#pragma once

#include <chrono>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace recsync::testing {

struct HttpAnswer {
  int status = 0;  // 0: no answer (connection failed or closed early)
  std::map<std::string, std::string> headers;  // lower-case names (last one wins)
  std::string body;
  std::string raw_head;  // every header line as sent (Set-Cookie may repeat)

  nlohmann::json Json() const;  // the body parsed; fails the test if it is not JSON
};

struct HttpCall {
  std::string method = "GET";
  std::string path = "/";
  std::map<std::string, std::string> headers;  // Host defaults to the address
  std::string body;
};

// `address` is "HOST:PORT" (IPv4). Fails the test if it cannot connect.
HttpAnswer Http(const std::string& address, const HttpCall& call,
                std::chrono::milliseconds timeout = std::chrono::seconds(30));

// Sends `raw` as it is and reads the answer until EOF or `timeout`.
HttpAnswer HttpRaw(const std::string& address, const std::string& raw,
                   std::chrono::milliseconds timeout = std::chrono::seconds(30));

// Connects and returns the socket (the caller closes it).
int HttpConnect(const std::string& address);

// Reads an answer from `fd` until EOF or `timeout`.
HttpAnswer HttpReadAnswer(int fd, std::chrono::milliseconds timeout);

}  // namespace recsync::testing
