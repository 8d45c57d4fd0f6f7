// A database that refuses writes (read_only=1 on a replica promoted back,
// a full disk, a revoked grant) is an outage for a daemon, not a verdict:
// deletions stay pending and are applied once it takes writes again, status
// shows the server's message, and a sweep it refused is tried again.
#include <catch2/catch.hpp>

#include "tests/cli/daemon_process.h"
#include "tests/support/mariadb_server.h"
#include "tests/support/test_user.h"

using namespace recsync::testing;
using nlohmann::json;

namespace {

bool Degraded(const json& s, const std::string& words) {
  for (const auto& line : s["degraded"]) {
    if (line.get<std::string>().find(words) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("a read-only server: deletions and sweeps wait for it and are applied once it is writable") {
  PrivateMariaDB server;  // read_only is global: a server of this test's own
  DaemonSetup setup;
  setup.db_socket = server.socket();
  DaemonProcess d(setup);
  TestUser account(*d.db);  // root would write through read_only
  d.UseAccount(account.config());
  const std::string day = "2026/11/20/000001/";
  const int64_t kept = d.AddRecording(day + "10-00-00.mp4");
  const int64_t deleted_before = d.db->InsertMedia(d.PathOf(day + "10-15-00.mp4"));
  const int64_t deleted_after = d.AddRecording(day + "10-30-00.mp4");
  for (int i = 0; i < 4; ++i) d.AddRecording(day + "11-0" + std::to_string(i) + "-00.mp4");
  d.db->Exec("SET GLOBAL read_only = 1");
  d.Start();

  // The startup sweep finds the missing file but may not archive it.
  REQUIRE(d.AwaitStatus(
      [](const json& s) {
        return s["sweep"]["last"].is_object() && s["sweep"]["last"]["ok"] == false;
      },
      std::chrono::seconds(60)));
  CHECK_THAT(d.Status()["sweep"]["last"]["error"].get<std::string>(), Catch::Contains("read-only"));

  // A deletion meanwhile waits, pending, with the server's reason in status.
  RemoveFile(d.PathOf(day + "10-30-00.mp4"));
  REQUIRE(d.AwaitStatus([](const json& s) {
    return s["events"]["pending"].get<int>() >= 1 && Degraded(s, "read-only");
  }));
  CHECK(d.Status()["events"]["failed"] == 0);
  CHECK_FALSE(d.db->MediaArchived(deleted_after));

  d.db->Exec("SET GLOBAL read_only = 0");
  d.Sync(60);
  CHECK(d.db->MediaArchived(deleted_after));
  // The sweep is tried again and does what it could not.
  REQUIRE(d.AwaitStatus(
      [](const json& s) { return s["sweep"]["last"]["ok"] == true; }, std::chrono::seconds(60)));
  CHECK(d.db->MediaArchived(deleted_before));
  CHECK_FALSE(d.db->MediaArchived(kept));
  CHECK_FALSE(Degraded(d.Status(), "read-only"));
}
