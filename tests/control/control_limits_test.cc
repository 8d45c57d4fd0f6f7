// ControlServer's limits on a real uv loop and real unix sockets: a cap on
// connections that idle clients cannot exhaust, idle connections closed,
// busy ones kept, and an accept that fails for want of descriptors pausing
// the listener instead of spinning.
#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <catch2/catch.hpp>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "common/unique_fd.h"
#include "tests/control/control_harness.h"
#include "tests/support/temp_dir.h"

namespace recsync {
namespace {

using nlohmann::json;
using testing::ControlHarness;
using testing::RawClient;
using testing::TempDir;

json ParseLine(const std::optional<std::string>& line) {
  REQUIRE(line.has_value());
  return json::parse(*line);
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Answers {"ok":true} at once, except "hold" requests, whose replies wait in
// `held` until the test answers them.
struct HoldingHandler {
  std::vector<ControlServer::Reply> held;
  ControlServer::Handler Get() {
    return [this](const json& request, ControlServer::Reply reply) {
      if (request.value("cmd", "") == "hold") {
        held.push_back(std::move(reply));
      } else {
        reply(json{{"ok", true}, {"cmd", request.value("cmd", "")}});
      }
    };
  }
};

TEST_CASE("a client beyond the cap takes the place of the one idle longest, which is told why",
          "[control]") {
  TempDir tmp;
  ControlHarness h;
  const std::string path = tmp.Sub("control.sock");
  HoldingHandler handler;
  ControlLimits limits;
  limits.max_connections = 2;
  h.Listen(path, handler.Get(), limits);

  RawClient oldest(h, path);
  REQUIRE(h.RunUntil([&] { return h.server().client_count() == 1; }));
  RawClient newer(h, path);
  REQUIRE(h.RunUntil([&] { return h.server().client_count() == 2; }));
  REQUIRE(newer.Send("{\"cmd\":\"status\"}\n"));  // active after `oldest`
  REQUIRE(ParseLine(newer.ReadLine())["ok"] == true);

  RawClient third(h, path);
  json notice = ParseLine(oldest.ReadLine());
  CHECK(notice["ok"] == false);
  CHECK(Contains(notice["error"], "too many control connections (2)"));
  CHECK(oldest.AwaitEof());
  // The newcomer is served; the other idle one was left alone.
  REQUIRE(third.Send("{\"cmd\":\"status\"}\n"));
  CHECK(ParseLine(third.ReadLine())["cmd"] == "status");
  REQUIRE(newer.Send("{\"cmd\":\"again\"}\n"));
  CHECK(ParseLine(newer.ReadLine())["cmd"] == "again");
  CHECK(h.server().client_count() == 2);
  CHECK(h.server().evicted_count() == 1);
}

TEST_CASE("when every connection has a request in flight, a new one gets one error line and "
          "is closed",
          "[control]") {
  TempDir tmp;
  ControlHarness h;
  const std::string path = tmp.Sub("control.sock");
  HoldingHandler handler;
  ControlLimits limits;
  limits.max_connections = 2;
  h.Listen(path, handler.Get(), limits);

  RawClient a(h, path), b(h, path);
  REQUIRE(a.Send("{\"cmd\":\"hold\"}\n"));
  REQUIRE(b.Send("{\"cmd\":\"hold\"}\n"));
  REQUIRE(h.RunUntil([&] { return handler.held.size() == 2; }));

  {
    RawClient refused(h, path);
    json e = ParseLine(refused.ReadLine());
    CHECK(e["ok"] == false);
    CHECK(Contains(e["error"], "too many control connections (2 busy)"));
    CHECK(refused.AwaitEof());
  }
  CHECK(h.server().refused_count() == 1);
  CHECK(h.server().client_count() == 2);

  // Both waiting clients still get their answers.
  handler.held[0](json{{"ok", true}, {"n", 1}});
  handler.held[1](json{{"ok", true}, {"n", 2}});
  CHECK(ParseLine(a.ReadLine())["n"] == 1);
  CHECK(ParseLine(b.ReadLine())["n"] == 2);
  // Now idle, they make room for the next client.
  RawClient next(h, path);
  REQUIRE(next.Send("{\"cmd\":\"status\"}\n"));
  CHECK(ParseLine(next.ReadLine())["ok"] == true);
}

TEST_CASE("an idle connection is closed after the idle timeout; one waiting for its answer is "
          "not",
          "[control]") {
  TempDir tmp;
  ControlHarness h;
  const std::string path = tmp.Sub("control.sock");
  HoldingHandler handler;
  ControlLimits limits;
  limits.idle_timeout = std::chrono::milliseconds(100);
  h.Listen(path, handler.Get(), limits);

  RawClient idle(h, path), answered(h, path), waiting(h, path);
  REQUIRE(answered.Send("{\"cmd\":\"status\"}\n"));
  REQUIRE(ParseLine(answered.ReadLine())["ok"] == true);
  REQUIRE(waiting.Send("{\"cmd\":\"hold\"}\n"));
  REQUIRE(h.RunUntil([&] { return handler.held.size() == 1; }));

  CHECK(idle.AwaitEof());
  CHECK(answered.AwaitEof());  // answered, then idle: closed too
  CHECK(h.server().idle_closed_count() == 2);
  // Several timeouts later the waiting one is still there...
  bool later = false;
  h.Later(400, [&] { later = true; });
  REQUIRE(h.RunUntil([&] { return later; }));
  CHECK(h.server().client_count() == 1);
  // ... and gets its answer.
  handler.held[0](json{{"ok", true}, {"n", 7}});
  CHECK(ParseLine(waiting.ReadLine())["n"] == 7);
}

// The process's descriptors, all taken, for the object's life: RLIMIT_NOFILE
// lowered to just above the highest one open, and /dev/null opened until
// open(2) says EMFILE. The limit comes back on destruction.
class DescriptorsExhausted {
 public:
  DescriptorsExhausted() {
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved_) == 0);
    int highest = ::fcntl(0, F_DUPFD_CLOEXEC, 0);  // the lowest free one, not the highest
    REQUIRE(highest >= 0);
    ::close(highest);
    for (int fd = 0; fd < static_cast<int>(std::min<rlim_t>(saved_.rlim_cur, 65536)); ++fd) {
      if (::fcntl(fd, F_GETFD) >= 0) highest = std::max(highest, fd);
    }
    rlimit low = saved_;
    low.rlim_cur = static_cast<rlim_t>(highest) + 16;
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
    for (;;) {
      int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        REQUIRE(errno == EMFILE);
        break;
      }
      fillers_.emplace_back(fd);
    }
  }
  ~DescriptorsExhausted() { Release(); }
  void Release() {
    fillers_.clear();
    ::setrlimit(RLIMIT_NOFILE, &saved_);
  }

 private:
  rlimit saved_{};
  std::vector<UniqueFd> fillers_;
};

UniqueFd UnconnectedSocket() {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  REQUIRE(fd.valid());
  return fd;
}

void ConnectTo(int fd, const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
}

// One line from a blocking socket, waiting at most `ms`.
std::string ReadLineWithin(int fd, int ms) {
  std::string in;
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (in.find('\n') == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    in.append(buf, static_cast<size_t>(n));
  }
  return in.substr(0, in.find('\n'));
}

// The loop's heartbeat, seen from another thread: how many times a timer
// fired after the server first reported a failed accept.
struct Heartbeat {
  ControlServer* server = nullptr;
  std::mutex mu;
  std::condition_variable cv;
  int beats_after_failure = 0;

  static void OnTick(uv_timer_t* t) {
    auto* self = static_cast<Heartbeat*>(t->data);
    if (self->server->accept_failures() == 0) return;
    std::lock_guard<std::mutex> lock(self->mu);
    ++self->beats_after_failure;
    self->cv.notify_all();
  }
  bool AwaitBeats(int n, std::chrono::seconds deadline) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, deadline, [&] { return beats_after_failure >= n; });
  }
};

TEST_CASE("an accept that fails for want of descriptors pauses the listener; the loop keeps "
          "running and the client is served once descriptors are free",
          "[control]") {
  TempDir tmp;
  const std::string path = tmp.Sub("control.sock");
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  ControlLimits limits;
  limits.accept_retry = std::chrono::milliseconds(50);
  auto server = ControlServer::Listen(
      &loop, path, [](const json&, ControlServer::Reply reply) { reply(json{{"ok", true}}); },
      limits);
  REQUIRE(server.ok());
  // The loop runs on its own thread, so that a loop stuck in accept shows as
  // a failed wait here rather than a hung test.
  Heartbeat heartbeat;
  heartbeat.server = server->get();
  uv_timer_t tick;
  uv_timer_init(&loop, &tick);
  tick.data = &heartbeat;
  uv_timer_start(&tick, &Heartbeat::OnTick, 5, 5);
  uv_async_t stop;
  uv_async_init(&loop, &stop, [](uv_async_t* a) { uv_stop(a->loop); });
  UniqueFd client = UnconnectedSocket();
  // libuv keeps one spare descriptor to shed connections when accept says
  // EMFILE, but another thread can take it while libuv has let it go; then
  // every accept fails at once. That state, made directly:
  if (loop.emfile_fd >= 0) ::close(loop.emfile_fd);
  loop.emfile_fd = -1;

  // The thread is made while descriptors are free (making one may need them).
  std::promise<void> go;
  std::thread runner([&loop, started = go.get_future()] {
    started.wait();
    uv_run(&loop, UV_RUN_DEFAULT);
  });
  DescriptorsExhausted exhausted;
  ConnectTo(client.get(), path);  // waits in the backlog
  go.set_value();
  CHECK(heartbeat.AwaitBeats(10, std::chrono::seconds(10)));
  exhausted.Release();

  const std::string request = "{\"cmd\":\"status\"}\n";
  REQUIRE(::send(client.get(), request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size()));
  CHECK(ReadLineWithin(client.get(), 10000) == "{\"ok\":true}");
  uv_async_send(&stop);
  runner.join();

  CHECK((*server)->accept_failures() >= 1);
  server->reset();
  uv_close(reinterpret_cast<uv_handle_t*>(&tick), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&stop), nullptr);
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
}

}  // namespace
}  // namespace recsync
