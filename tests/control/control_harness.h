// A real uv loop running a ControlServer in the test thread, and two kinds of
// clients: ControlRequest on another thread (its future is awaited while the
// loop runs), and a raw non-blocking socket driven from the test thread for
// byte-level protocol tests. The loop runs one iteration at a time until a
// condition holds or a deadline passes; a repeating timer makes every
// iteration return within 20 ms, so nothing ever sleeps.
#pragma once

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "control/control_client.h"
#include "control/control_server.h"

namespace recsync::testing {

class ControlHarness {
 public:
  ControlHarness() {
    REQUIRE(uv_loop_init(&loop_) == 0);
    REQUIRE(uv_timer_init(&loop_, &tick_) == 0);
    REQUIRE(uv_timer_start(&tick_, [](uv_timer_t*) {}, 20, 20) == 0);
  }

  ~ControlHarness() {
    server_.reset();
    for (auto& t : timers_) uv_close(reinterpret_cast<uv_handle_t*>(&t->timer), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&tick_), nullptr);
    uv_run(&loop_, UV_RUN_DEFAULT);  // runs the close callbacks
    CHECK(uv_loop_close(&loop_) == 0);
  }

  uv_loop_t* loop() { return &loop_; }

  Result<std::unique_ptr<ControlServer>> TryListen(const std::string& path,
                                                   ControlServer::Handler handler,
                                                   ControlLimits limits = {}) {
    return ControlServer::Listen(&loop_, path, std::move(handler), limits);
  }

  // Listens on `path` with `handler` as the harness's server.
  ControlServer& Listen(const std::string& path, ControlServer::Handler handler,
                        ControlLimits limits = {}) {
    auto server = TryListen(path, std::move(handler), limits);
    INFO(server.status().message());
    REQUIRE(server.ok());
    server_ = std::move(*server);
    return *server_;
  }

  ControlServer& server() { return *server_; }
  // Destroys the server; the loop frees its handles on the next iterations.
  void DestroyServer() { server_.reset(); }

  // Runs the loop until `done()` or `deadline` passes; returns done().
  bool RunUntil(const std::function<bool()>& done,
                std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
    auto end = std::chrono::steady_clock::now() + deadline;
    while (!done()) {
      if (std::chrono::steady_clock::now() > end) return false;
      uv_run(&loop_, UV_RUN_ONCE);
    }
    return true;
  }

  // Calls `fn` on the loop thread after `ms` milliseconds.
  void Later(uint64_t ms, std::function<void()> fn) {
    auto t = std::make_unique<Timer>();
    t->fn = std::move(fn);
    REQUIRE(uv_timer_init(&loop_, &t->timer) == 0);
    t->timer.data = t.get();
    REQUIRE(uv_timer_start(
                &t->timer, [](uv_timer_t* h) { static_cast<Timer*>(h->data)->fn(); }, ms, 0) == 0);
    timers_.push_back(std::move(t));
  }

  // ControlRequest on its own thread while this thread runs the loop.
  Result<nlohmann::json> Request(const std::string& path, const nlohmann::json& request,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    auto future = std::async(std::launch::async,
                             [=] { return ControlRequest(path, request, timeout); });
    bool ready = RunUntil([&] {
      return future.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
    });
    REQUIRE(ready);
    return future.get();
  }

 private:
  struct Timer {
    uv_timer_t timer;
    std::function<void()> fn;
  };

  uv_loop_t loop_;
  uv_timer_t tick_;
  std::unique_ptr<ControlServer> server_;
  std::vector<std::unique_ptr<Timer>> timers_;  // closed by the destructor
};

// A non-blocking client socket used from the loop thread: every wait runs the
// harness's loop, so the server makes progress meanwhile.
class RawClient {
 public:
  RawClient(ControlHarness& h, const std::string& path) : h_(h) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    REQUIRE(path.size() < sizeof(addr.sun_path));
    std::memcpy(addr.sun_path, path.data(), path.size());
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  }
  ~RawClient() { Close(); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  // No more requests: the server sees EOF but can still answer.
  void ShutdownWrite() { REQUIRE(::shutdown(fd_, SHUT_WR) == 0); }

  // Sends all of `data`, running the loop whenever the socket buffer is full.
  // Returns false if the server closed the connection first.
  bool Send(const std::string& data) {
    size_t sent = 0;
    bool broken = false;
    REQUIRE(h_.RunUntil([&] {
      while (sent < data.size()) {
        ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
        if (n < 0) {
          if (errno == EAGAIN) return false;
          broken = true;  // EPIPE / ECONNRESET
          return true;
        }
        sent += static_cast<size_t>(n);
      }
      return true;
    }));
    return !broken;
  }

  // The next line (without its newline), or nullopt at EOF or on error.
  std::optional<std::string> ReadLine() {
    std::optional<std::string> line;
    REQUIRE(h_.RunUntil([&] {
      if (TakeLine(&line)) return true;
      if (eof_) return true;
      Fill();
      return TakeLine(&line) || eof_;
    }));
    return line;
  }

  // True once the server has closed the connection (after any pending lines).
  bool AwaitEof() {
    return h_.RunUntil([&] {
      Fill();
      return eof_;
    });
  }

 private:
  bool TakeLine(std::optional<std::string>* line) {
    size_t newline = in_.find('\n');
    if (newline == std::string::npos) return false;
    *line = in_.substr(0, newline);
    in_.erase(0, newline + 1);
    return true;
  }
  void Fill() {
    char buf[65536];
    for (;;) {
      ssize_t n = ::recv(fd_, buf, sizeof(buf), MSG_DONTWAIT);
      if (n > 0) {
        in_.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (n == 0 || (errno != EAGAIN && errno != EINTR)) eof_ = true;
      return;
    }
  }

  ControlHarness& h_;
  int fd_ = -1;
  std::string in_;
  bool eof_ = false;
};

// Leaves a socket file at `path` that nobody listens on, as a crashed daemon
// would.
inline void MakeStaleSocket(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  REQUIRE(::listen(fd, 1) == 0);
  ::close(fd);  // the file stays; connecting to it is refused
}

}  // namespace recsync::testing
