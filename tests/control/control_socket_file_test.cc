// ControlServer and the socket file: stale and live sockets, files of other
// kinds, modes, paths too long for sun_path, and unlinking on destruction.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/control/control_harness.h"
#include "tests/support/temp_dir.h"

namespace recsync {
namespace {

using nlohmann::json;
using testing::ControlHarness;
using testing::Exists;
using testing::MakeDirs;
using testing::MakeStaleSocket;
using testing::TempDir;
using testing::WriteFile;

void Echo(const json& request, ControlServer::Reply reply) {
  reply(json{{"ok", true}, {"echo", request}});
}

mode_t ModeOf(const std::string& path) {
  struct stat st;
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st.st_mode;
}

TEST_CASE("a stale socket file left by a crash is replaced", "[control]") {
  TempDir tmp;
  ControlHarness h;
  std::string path = tmp.Sub("control.sock");
  MakeStaleSocket(path);

  h.Listen(path, Echo);
  auto response = h.Request(path, json{{"cmd", "status"}});
  INFO(response.status().message());
  REQUIRE(response.ok());
  CHECK((*response)["ok"] == true);
}

TEST_CASE("a socket another server answers on is kBusy and keeps working", "[control]") {
  TempDir tmp;
  ControlHarness h;
  std::string path = tmp.Sub("control.sock");
  h.Listen(path, Echo);

  int second_handled = 0;
  auto second = h.TryListen(path, [&](const json&, ControlServer::Reply) { ++second_handled; });
  REQUIRE_FALSE(second.ok());
  CHECK(second.status().code() == Code::kBusy);
  CHECK(second.status().message().find(path) != std::string::npos);
  CHECK(second.status().message().find("systemctl stop recsync") != std::string::npos);

  // The refused server left the live socket alone.
  auto response = h.Request(path, json{{"cmd", "status"}});
  INFO(response.status().message());
  REQUIRE(response.ok());
  CHECK((*response)["ok"] == true);
  CHECK(second_handled == 0);
}

TEST_CASE("something other than a socket at the path is kInvalid and is left alone",
          "[control]") {
  TempDir tmp;
  ControlHarness h;
  std::string path = GENERATE(std::string("file"), std::string("dir"));
  std::string full = tmp.Sub(path);
  if (path == "file") {
    WriteFile(full, "keep me");
  } else {
    MakeDirs(full);
  }
  auto server = h.TryListen(full, Echo);
  REQUIRE_FALSE(server.ok());
  CHECK(server.status().code() == Code::kInvalid);
  CHECK(server.status().message().find(full) != std::string::npos);
  CHECK(server.status().message().find("not a socket") != std::string::npos);
  CHECK(Exists(full));
}

TEST_CASE("the socket is 0660 and its missing parent directories are made 0750", "[control]") {
  TempDir tmp;
  ControlHarness h;
  std::string dir = tmp.Sub("run/recsync");
  std::string path = dir + "/control.sock";
  mode_t old_umask = ::umask(022);
  h.Listen(path, Echo);
  ::umask(old_umask);

  CHECK(S_ISSOCK(ModeOf(path)));
  CHECK((ModeOf(path) & 07777) == 0660);
  CHECK(S_ISDIR(ModeOf(dir)));
  CHECK((ModeOf(dir) & 07777) == 0750);
  CHECK((ModeOf(tmp.Sub("run")) & 07777) == 0750);
}

TEST_CASE("a path too long for a unix socket address is kInvalid", "[control]") {
  TempDir tmp;
  ControlHarness h;
  std::string path = tmp.Sub(std::string(120, 's'));
  auto server = h.TryListen(path, Echo);
  REQUIRE_FALSE(server.ok());
  CHECK(server.status().code() == Code::kInvalid);
  CHECK(server.status().message().find("longer than the 107") != std::string::npos);

  auto response = ControlRequest(path, json{{"cmd", "status"}}, std::chrono::seconds(1));
  REQUIRE_FALSE(response.ok());
  CHECK(response.status().code() == Code::kInvalid);
  CHECK(response.status().message().find("set control_socket to a shorter path") !=
        std::string::npos);
}

TEST_CASE("the destructor removes its socket, but not one that replaced it", "[control]") {
  TempDir tmp;
  ControlHarness h;
  std::string path = tmp.Sub("control.sock");

  SECTION("its own socket goes") {
    h.Listen(path, Echo);
    REQUIRE(Exists(path));
    h.DestroyServer();
    CHECK_FALSE(Exists(path));
    auto response = ControlRequest(path, json{{"cmd", "status"}}, std::chrono::seconds(1));
    CHECK(response.status().code() == Code::kNotFound);
  }
  SECTION("a file put in its place stays") {
    h.Listen(path, Echo);
    REQUIRE(::unlink(path.c_str()) == 0);
    WriteFile(path, "someone else's");
    h.DestroyServer();
    CHECK(Exists(path));
  }
  SECTION("so does a successor's socket") {
    h.Listen(path, Echo);
    REQUIRE(::unlink(path.c_str()) == 0);
    ControlHarness successor;
    successor.Listen(path, Echo);
    h.DestroyServer();
    CHECK(Exists(path));
    auto response = successor.Request(path, json{{"cmd", "status"}});
    CHECK(response.ok());
  }
}

}  // namespace
}  // namespace recsync
