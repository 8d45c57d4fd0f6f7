// `recsync run` as a process: it stops cleanly on SIGTERM, refuses to run
// twice on one journal, serves status, sweep and SIGHUP reloads.
#include <signal.h>

#include <catch2/catch.hpp>
#include <future>

#include "control/control_client.h"
#include "tests/cli/daemon_process.h"

using namespace recsync::testing;

TEST_CASE("SIGTERM stops the daemon with exit code 0") {
  DaemonProcess d;
  d.Start();
  CHECK(d.Signal(SIGTERM, std::chrono::seconds(5)) == 0);
  CHECK(d.Log().find("stopped") != std::string::npos);
  // The control socket is gone with it.
  CHECK_FALSE(Exists(d.socket));
}

TEST_CASE("SIGINT stops the daemon with exit code 0") {
  DaemonProcess d;
  d.Start();
  CHECK(d.Signal(SIGINT, std::chrono::seconds(5)) == 0);
}

TEST_CASE("a second daemon on the same journal refuses to start and names the journal") {
  DaemonProcess d;
  d.Start();
  // Another control socket, so only the journal lock can stop it.
  auto second = RunProcess({RECSYNC_BINARY, "--bluecherry-conf", d.conf, "--journal", d.journal,
                            "--control-socket", d.tmp.Sub("other.sock"), "--fstab", d.fstab,
                            "run"});
  CHECK(second.exit_code == 1);
  CHECK(second.err.find("already running") != std::string::npos);
  CHECK(second.err.find(d.journal) != std::string::npos);
  // The first one is unharmed.
  CHECK(d.Status().value("ready", false));
}

TEST_CASE("a sweep without the daemon is refused while it runs, even with its lock file deleted") {
  DaemonProcess d;
  d.Start();
  RemoveFile(d.journal + ".lock");
  // Another control socket: no daemon answers there, so the sweep would run
  // in-process, beside the daemon, were the journal itself not locked.
  auto sweep = RunProcess({RECSYNC_BINARY, "--bluecherry-conf", d.conf, "--journal", d.journal,
                           "--control-socket", d.tmp.Sub("other.sock"), "--fstab", d.fstab,
                           "sweep"});
  CHECK(sweep.exit_code == 1);
  CHECK_THAT(sweep.err, Catch::Contains("another recsync holds journal " + d.journal));
}

TEST_CASE("status reports roots, watcher, database and the startup sweep") {
  DaemonProcess d;
  d.AddRecording("2026/11/20/000001/10-00-00.mp4");
  d.Start();
  REQUIRE(d.AwaitStatus([](const nlohmann::json& s) { return s["sweep"]["last"].is_object(); }));
  auto s = d.Status();
  // The default backend: a watch on root, year, month, day and camera.
  CHECK(s["watcher"]["backend"] == "inotify");
  CHECK(s["watcher"]["watches"].get<int>() >= 5);
  CHECK(s["database"]["connected"] == true);
  REQUIRE(s["roots"].size() == 1);
  CHECK(s["roots"][0]["path"] == d.root);
  CHECK(s["roots"][0]["state"] == "online");
  CHECK(s["sweep"]["last"]["trigger"] == "startup");
  CHECK(s["sweep"]["last"]["checked"] == 1);
  CHECK(s["degraded"].empty());

  auto text = d.Cli({"status"});
  CHECK(text.exit_code == 0);
  // The root's row: state first, the path last.
  CHECK_THAT(text.out, Catch::Contains("\n  online  "));
  CHECK_THAT(text.out, Catch::Contains("  yes      " + d.root + "\n"));
}

TEST_CASE("a status request waiting for a change is answered by the sweep it waits for") {
  DaemonProcess d;
  d.AddRecording("2026/11/20/000001/10-00-00.mp4");
  d.Start();
  REQUIRE(d.AwaitStatus([](const nlohmann::json& s) { return s["sweep"]["last"].is_object(); }));
  const auto before = d.Status();
  const int64_t first = before["sweep"]["last"]["sweep_id"];
  // The request waits (on another thread); a sweep asked for meanwhile
  // changes the status, and the answer shows it.
  auto waiting = std::async(std::launch::async, [&] {
    return recsync::ControlRequest(
        d.socket, {{"cmd", "status"}, {"unchanged", before}, {"wait_ms", 60000}},
        std::chrono::seconds(70));
  });
  REQUIRE(d.Cli({"sweep"}).exit_code == 0);
  auto after = waiting.get();
  REQUIRE(after.ok());
  // Answered on the first change the sweep made: queued, running or done.
  CHECK((*after)["sweep"] != before["sweep"]);
  REQUIRE(d.AwaitStatus([&](const nlohmann::json& s) {
    return s["sweep"]["last"]["sweep_id"].get<int64_t>() > first;
  }));
  CHECK(d.Status()["sweep"]["last"]["trigger"] == "manual");

  auto bad = recsync::ControlRequest(d.socket, {{"cmd", "status"}, {"wait_ms", "soon"}},
                                     std::chrono::seconds(10));
  REQUIRE(bad.ok());
  CHECK((*bad)["ok"] == false);
  CHECK((*bad)["error"].get<std::string>().find("wait_ms") != std::string::npos);
}

TEST_CASE("status without a daemon says so and exits 1") {
  DaemonProcess d;
  auto r = d.Cli({"status"});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("no recsync daemon answers on " + d.socket) != std::string::npos);
}

TEST_CASE("recsync sweep asks the running daemon and prints its report") {
  DaemonProcess d;
  d.AddRecording("2026/11/20/000001/10-15-00.mp4");
  d.Start();
  REQUIRE(d.AwaitStatus([](const nlohmann::json& s) { return s["sweep"]["last"].is_object(); }));
  // A row whose file vanished while nobody watched: only a sweep finds it.
  const int64_t id = d.db->InsertMedia(d.PathOf("2026/11/20/000001/10-00-00.mp4"));

  auto r = d.Cli({"sweep", "--json"});
  INFO(r.err << d.Log());
  REQUIRE(r.exit_code == 0);
  auto report = nlohmann::json::parse(r.out);
  CHECK(report["trigger"] == "manual");
  CHECK(report["archived"] == 1);
  CHECK(d.db->MediaArchived(id));
  // It ran inside the daemon, not beside it.
  CHECK(d.Log().find("manual sweep") != std::string::npos);

  auto text = d.Cli({"sweep", "--dry-run"});
  CHECK(text.exit_code == 0);
  CHECK(text.out.find("dry run") != std::string::npos);
}

TEST_CASE("SIGHUP picks up a storage root added to the Storage table") {
  DaemonProcess d;
  d.Start();
  const std::string second = d.tmp.Sub("rec2");
  MakeDirs(second + "/2026/11/20/000004");
  WriteFile(second + "/2026/11/20/000004/09-00-00.mp4");
  const int64_t id = d.db->InsertMedia(second + "/2026/11/20/000004/09-00-00.mp4");
  d.db->InsertStorage(2, second);

  ::kill(d.pid(), SIGHUP);
  REQUIRE(d.AwaitStatus([&](const nlohmann::json& s) {
    for (const auto& r : s["roots"]) {
      if (r["path"] == second && r["watched"] == true) return true;
    }
    return false;
  }));
  RemoveFile(second + "/2026/11/20/000004/09-00-00.mp4");
  d.Sync();
  CHECK(d.db->MediaArchived(id));
}
