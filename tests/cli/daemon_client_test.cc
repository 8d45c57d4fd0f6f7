// The CLI's side of the control socket, against a stand-in daemon: what
// `recsync sweep` sends, and how `recsync status` prints what it gets.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/cli/canned_daemon.h"
#include "tests/support/temp_dir.h"

using namespace recsync::testing;
using nlohmann::json;

namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// A root path of exactly 200 bytes.
std::string LongRoot() {
  std::string root = "/mnt";
  while (root.size() < 200) root += "/deep-nas-share-folder";
  return root.substr(0, 200);
}

json Status(const json& database, const json& roots) {
  return {{"ok", true},
          {"pid", 42},
          {"version", "0.1.0"},
          {"uptime_s", 3},
          {"ready", true},
          {"watcher", {{"backend", "inotify"}, {"watches", 12}, {"overflows", 0}}},
          {"database", database},
          {"events", {{"pending", 0}, {"failed", 0}, {"received", 0}, {"rows_archived", 0}}},
          {"roots", roots},
          {"sweep", {{"running", false}, {"queued", 0}, {"last", nullptr}}},
          {"degraded", json::array()}};
}

}  // namespace

TEST_CASE("status says connecting before the first database attempt has ended") {
  TempDir tmp;
  CannedDaemon daemon(
      tmp.Sub("control.sock"),
      Status({{"server", "localhost:3306"}, {"connected", false}, {"error", ""}}, json::array()));
  auto r = RunProcess({RECSYNC_BINARY, "--control-socket", tmp.Sub("control.sock"), "status"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("\ndatabase: localhost:3306, connecting\n"));
  CHECK(r.out.find("not connected") == std::string::npos);
}

TEST_CASE("status keeps its root columns readable with a 200-byte root path") {
  TempDir tmp;
  const std::string long_root = LongRoot();
  json roots = json::array({{{"path", long_root},
                             {"state", "online"},
                             {"fs_type", "ext4"},
                             {"used_percent", 42.4},
                             {"watched", true},
                             {"reason", ""}},
                            {{"path", "/srv/b"},
                             {"state", "offline"},
                             {"fs_type", ""},
                             {"watched", false},
                             {"reason", "not mounted (fstab declares /srv/b)"}}});
  CannedDaemon daemon(
      tmp.Sub("control.sock"),
      Status({{"server", "db"}, {"connected", false}, {"error", "Access denied"}}, roots));
  auto r = RunProcess({RECSYNC_BINARY, "--control-socket", tmp.Sub("control.sock"), "status"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("\ndatabase: db, not connected: Access denied\n"));
  auto lines = Lines(r.out);
  size_t header = 0;
  while (header < lines.size() && lines[header] != "roots:") ++header;
  REQUIRE(header + 4 < lines.size());
  CHECK(lines[header + 1] == "  STATE    FS    USED  WATCHED  PATH");
  CHECK(lines[header + 2] == "  online   ext4  42%   yes      " + long_root);
  CHECK(lines[header + 3] == "  offline  -     -     no       /srv/b");
  CHECK(lines[header + 4] == "      reason: not mounted (fstab declares /srv/b)");
}

TEST_CASE(
    "sweep through a daemon sends the per-sweep settings of its command line, the last "
    "value of a repeated one, and no others") {
  TempDir tmp;
  const std::string sock = tmp.Sub("control.sock");
  CannedDaemon daemon(
      sock, {{"ok", true}, {"exit", 0}, {"report", json::object()}, {"summary", "swept\n"}});
  // The config file's values are the daemon's too: they do not go along.
  WriteFile(tmp.Sub("recsync.conf"), "recsync: { min_age = 7; batch_size = 99; };\n");
  auto r = RunProcess({RECSYNC_BINARY, "--config", tmp.Sub("recsync.conf"), "--control-socket",
                       sock, "sweep", "--dry-run", "--min-age", "5", "--min-age", "0",
                       "--max-missing-ratio", "1", "--storage", "/srv/a", "--storage", "/srv/b/"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out == "swept\n");
  auto plain = RunProcess({RECSYNC_BINARY, "--config", tmp.Sub("recsync.conf"), "--control-socket",
                           sock, "sweep", "--batch-size", "10"});
  REQUIRE(plain.exit_code == 0);

  auto requests = daemon.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0] == json{{"cmd", "sweep"},
                            {"dry_run", true},
                            {"force", false},
                            {"relist", false},
                            {"min_age", 0},
                            {"max_missing_ratio", 1.0},
                            {"storage", {"/srv/a", "/srv/b/"}}});
  CHECK(requests[1] == json{{"cmd", "sweep"},
                            {"dry_run", false},
                            {"force", false},
                            {"relist", false},
                            {"batch_size", 10}});
}

TEST_CASE("status refused by the daemon is an error with its reason, not an empty status") {
  TempDir tmp;
  CannedDaemon daemon(tmp.Sub("control.sock"),
                      {{"ok", false},
                       {"error", "too many control connections (64 busy); try again"}});
  auto r = RunProcess({RECSYNC_BINARY, "--control-socket", tmp.Sub("control.sock"), "status"});
  CHECK(r.exit_code == 1);
  CHECK(r.err == "recsync: too many control connections (64 busy); try again\n");
  CHECK(r.out.empty());
}
