// ControlRequest against no daemon, a stale socket, a daemon that never
// answers, fake daemons that answer badly, and a socket it may not use.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <future>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/control/control_harness.h"
#include "tests/support/temp_dir.h"

namespace recsync {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using testing::ControlHarness;
using testing::MakeStaleSocket;
using testing::TempDir;

// A listening socket served by hand from the test thread, for answers no
// ControlServer would give.
class FakeDaemon {
 public:
  explicit FakeDaemon(const std::string& path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.data(), path.size());
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    REQUIRE(::listen(fd_, 4) == 0);
  }
  ~FakeDaemon() {
    if (client_ >= 0) ::close(client_);
    ::close(fd_);
  }

  // Accepts one client and reads its request line; then writes `answer`
  // (in two writes) and hangs up.
  void AnswerOnce(const std::string& answer) {
    pollfd p{fd_, POLLIN, 0};
    REQUIRE(::poll(&p, 1, 10000) == 1);
    client_ = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    REQUIRE(client_ >= 0);
    std::string in;
    while (in.find('\n') == std::string::npos) {
      pollfd c{client_, POLLIN, 0};
      REQUIRE(::poll(&c, 1, 10000) == 1);
      char buf[4096];
      ssize_t n = ::recv(client_, buf, sizeof(buf), 0);
      REQUIRE(n > 0);
      in.append(buf, static_cast<size_t>(n));
    }
    CHECK(json::parse(in.substr(0, in.find('\n')))["cmd"] == "status");
    // In two writes, so the client may well see it in two reads.
    size_t half = answer.size() / 2;
    for (std::string piece : {answer.substr(0, half), answer.substr(half)}) {
      if (piece.empty()) continue;
      REQUIRE(::send(client_, piece.data(), piece.size(), MSG_NOSIGNAL) ==
              static_cast<ssize_t>(piece.size()));
    }
    ::close(client_);
    client_ = -1;
  }

 private:
  int fd_ = -1;
  int client_ = -1;
};

Result<json> AskFake(const std::string& path, const std::string& answer) {
  FakeDaemon fake(path);
  auto future = std::async(std::launch::async, [path] {
    return ControlRequest(path, json{{"cmd", "status"}}, std::chrono::seconds(10));
  });
  fake.AnswerOnce(answer);
  return future.get();
}

TEST_CASE("ControlRequest is kNotFound when no daemon listens", "[control]") {
  TempDir tmp;
  std::string path = tmp.Sub("control.sock");

  SECTION("no socket file") {
    auto response = ControlRequest(path, json{{"cmd", "status"}}, milliseconds(1000));
    REQUIRE_FALSE(response.ok());
    CHECK(response.status().code() == Code::kNotFound);
    CHECK(response.status().message().find(path) != std::string::npos);
  }
  SECTION("a stale socket file") {
    MakeStaleSocket(path);
    auto response = ControlRequest(path, json{{"cmd", "status"}}, milliseconds(1000));
    REQUIRE_FALSE(response.ok());
    CHECK(response.status().code() == Code::kNotFound);
    CHECK(response.status().message().find("stale") != std::string::npos);
  }
}

TEST_CASE("ControlRequest is kTimeout when the daemon never answers", "[control]") {
  TempDir tmp;
  ControlHarness h;
  std::string path = tmp.Sub("control.sock");
  std::vector<ControlServer::Reply> held;  // never called
  h.Listen(path, [&](const json&, ControlServer::Reply reply) { held.push_back(reply); });

  auto response = h.Request(path, json{{"cmd", "sync"}}, milliseconds(200));
  REQUIRE_FALSE(response.ok());
  CHECK(response.status().code() == Code::kTimeout);
  CHECK(response.status().message().find("did not answer within 0.2 s") != std::string::npos);
  CHECK(held.size() == 1);
}

TEST_CASE("ControlRequest is kInvalid for an answer that is not one JSON object", "[control]") {
  TempDir tmp;
  std::string path = tmp.Sub("control.sock");
  std::string answer = GENERATE(std::string("garbage\n"), std::string("[1,2]\n"),
                                std::string("{\"ok\":\n"));
  auto response = AskFake(path, answer);
  REQUIRE_FALSE(response.ok());
  CHECK(response.status().code() == Code::kInvalid);
  CHECK(response.status().message().find("not a JSON object") != std::string::npos);
}

TEST_CASE("ControlRequest takes the first line of an answer sent in pieces, CRLF too",
          "[control]") {
  TempDir tmp;
  std::string path = tmp.Sub("control.sock");
  auto response = AskFake(path, "{\"ok\":true,\"n\":1}\r\n{\"ok\":true,\"n\":2}\n");
  INFO(response.status().message());
  REQUIRE(response.ok());
  CHECK((*response)["n"] == 1);
}

TEST_CASE("ControlRequest is kIo when the daemon hangs up without answering", "[control]") {
  TempDir tmp;
  std::string path = tmp.Sub("control.sock");
  std::string answer = GENERATE(std::string(""), std::string("{\"ok\":true"));
  auto response = AskFake(path, answer);
  REQUIRE_FALSE(response.ok());
  CHECK(response.status().code() == Code::kIo);
  CHECK(response.status().message().find("closed the connection without answering") !=
        std::string::npos);
}

TEST_CASE("ControlRequest without permission says to run as root or join the group",
          "[control]") {
  TempDir tmp;
  std::string path = tmp.Sub("control.sock");
  ControlHarness h;
  h.Listen(path, [](const json&, ControlServer::Reply reply) { reply(json{{"ok", true}}); });
  REQUIRE(::chmod(path.c_str(), 0600) == 0);

  auto ask = [&path]() -> bool {
    auto response = ControlRequest(path, json{{"cmd", "status"}}, milliseconds(1000));
    return !response.ok() && response.status().code() == Code::kIo &&
           response.status().message().find("run as root or join") != std::string::npos;
  };
  if (::geteuid() != 0) {
    CHECK(ask());
    return;
  }
  // Root may connect to anything: ask as nobody, from a child process.
  REQUIRE(::chmod(tmp.path().c_str(), 0755) == 0);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    bool ok = ::setgid(65534) == 0 && ::setuid(65534) == 0 && ask();
    ::_exit(ok ? 0 : 1);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

}  // namespace
}  // namespace recsync
