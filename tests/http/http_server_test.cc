// HttpServer on a libuv loop: deferred answers, streams, limits.
#include "http/http_server.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <optional>
#include <thread>

#include "http/listen_address.h"
#include "tests/support/http_client.h"
#include "tests/support/test_loop.h"

using namespace recsync;
using namespace recsync::testing;

namespace {

struct Served {
  TestLoop loop;
  std::unique_ptr<HttpServer> server;
  std::string address;

  Served(HttpServerOptions options, HttpServer::Handler handler) {
    auto fd = Listen(*ParseListenAddress("127.0.0.1:0"), false);
    REQUIRE(fd.ok());
    address = "127.0.0.1:" + std::to_string(*BoundPort(fd->get()));
    auto started = HttpServer::Start(loop.get(), std::move(*fd), options, std::move(handler));
    REQUIRE(started.ok());
    server = std::move(*started);
  }
  ~Served() { server.reset(); }
};

// A request made on another thread while the test's thread runs the loop.
struct Client {
  std::atomic<bool> done{false};
  HttpAnswer answer;
  std::thread thread;
  Client(const std::string& address, std::string path) {
    thread = std::thread([this, address, path] {
      answer = Http(address, {"GET", path, {}, ""});
      done = true;
    });
  }
  ~Client() { thread.join(); }
};

}  // namespace

TEST_CASE("an answer given later from the loop reaches its client while others are served") {
  std::optional<HttpExchange> parked;
  Served s({}, [&](const HttpExchange& e) {
    if (e.request().path == "/slow") {
      parked = e;  // answered later
    } else {
      e.Respond(HttpResponse::Json(200, {{"fast", true}}));
    }
  });
  Client slow(s.address, "/slow");
  REQUIRE(s.loop.RunUntil([&] { return parked.has_value(); }));
  Client fast(s.address, "/fast");
  REQUIRE(s.loop.RunUntil([&] { return fast.done.load(); }));
  CHECK(fast.answer.status == 200);
  CHECK_FALSE(slow.done);
  parked->Respond(HttpResponse::Json(201, {{"slow", true}}));
  REQUIRE(s.loop.RunUntil([&] { return slow.done.load(); }));
  CHECK(slow.answer.status == 201);
  CHECK(slow.answer.Json()["slow"] == true);
}

TEST_CASE("a request nobody answers gets 500 once its exchange is dropped") {
  std::optional<HttpExchange> parked;
  Served s({}, [&](const HttpExchange& e) { parked = e; });
  Client c(s.address, "/x");
  REQUIRE(s.loop.RunUntil([&] { return parked.has_value(); }));
  parked.reset();
  REQUIRE(s.loop.RunUntil([&] { return c.done.load(); }));
  CHECK(c.answer.status == 500);
}

TEST_CASE("a stream delivers what is sent as it is sent, until it is closed") {
  std::shared_ptr<HttpStream> stream;
  Served s({}, [&](const HttpExchange& e) {
    HttpResponse head;
    head.content_type = "text/event-stream";
    head.body = "retry: 1000\n\n";
    stream = e.OpenStream(head);
  });
  const int fd = HttpConnect(s.address);
  const std::string req = "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n";
  REQUIRE(::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size()));
  REQUIRE(s.loop.RunUntil([&] { return stream != nullptr; }));
  stream->Send("event: status\ndata: {}\n\n");
  std::string got;
  REQUIRE(s.loop.RunUntil([&] {
    pollfd p{fd, POLLIN, 0};
    char buf[4096];
    if (::poll(&p, 1, 0) == 1) {
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n > 0) got.append(buf, static_cast<size_t>(n));
    }
    return got.find("event: status") != std::string::npos;
  }));
  CHECK(got.find("text/event-stream") != std::string::npos);
  CHECK(got.find("retry: 1000") != std::string::npos);
  ::close(fd);
  REQUIRE(s.loop.RunUntil([&] {
    stream->Send(": ping\n\n");  // the write that finds the client gone
    return stream->closed();
  }));
}

TEST_CASE("a client that sends nothing is disconnected after the idle timeout") {
  HttpServerOptions options;
  options.idle_timeout = std::chrono::seconds(1);
  Served s(options, [](const HttpExchange& e) { e.Respond(HttpResponse::Json(200, {})); });
  const int fd = HttpConnect(s.address);
  const std::string half = "GET / HTTP/1.1\r\nHo";  // and then nothing
  ::send(fd, half.data(), half.size(), MSG_NOSIGNAL);
  bool closed = false;
  REQUIRE(s.loop.RunUntil(
      [&] {
        pollfd p{fd, POLLIN, 0};
        char buf[256];
        if (::poll(&p, 1, 0) == 1 && ::read(fd, buf, sizeof buf) <= 0) closed = true;
        return closed;
      },
      std::chrono::seconds(15)));
  ::close(fd);
}

TEST_CASE("headers over the limit get 431 and a declared body over it 413, unread") {
  HttpServerOptions options;
  options.max_header_bytes = 4096;
  options.max_body_bytes = 1024;
  int handled = 0;
  Served s(options, [&](const HttpExchange& e) {
    ++handled;
    e.Respond(HttpResponse::Json(200, {}));
  });
  std::atomic<bool> done{false};
  HttpAnswer big_header, big_body;
  std::thread t([&] {
    big_header = HttpRaw(s.address, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " +
                                        std::string(8192, 'a') + "\r\n\r\n");
    big_body = HttpRaw(s.address, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n");
    done = true;
  });
  REQUIRE(s.loop.RunUntil([&] { return done.load(); }));
  t.join();
  CHECK(big_header.status == 431);
  CHECK(big_body.status == 413);
  CHECK(handled == 0);
}
