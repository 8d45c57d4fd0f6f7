// The daemon's counters (what /metrics renders, and `status --json` prints
// under "counters") agree with the journal after a scripted scenario: a
// startup sweep that archives rows, deletions and a rename applied by
// events, and a sweep the ratio guard refuses. Real daemon, real inotify,
// real MariaDB; every wait is a condition or `recsync sync`.
#include <catch2/catch.hpp>

#include <cstdio>
#include <sstream>

#include "tests/cli/daemon_process.h"

using namespace recsync::testing;
using nlohmann::json;

namespace {

const std::string kDay = "2026/11/20/000001/";

std::vector<std::string> Names(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(kDay + "clip-" + std::to_string(i) + ".mp4");
  return out;
}

int64_t CountWhere(const std::vector<json>& lines, const std::string& key, const std::string& a,
                   const std::string& key2, const std::string& b) {
  int64_t n = 0;
  for (const auto& l : lines) n += l[key] == a && l[key2] == b;
  return n;
}

bool SweepDone(const json& s) {
  return s["sweep"]["last"].is_object() && !s["sweep"]["running"].get<bool>() &&
         s["sweep"]["queued"].get<int>() == 0;
}

}  // namespace

TEST_CASE("the daemon's counters match the journal's events and actions after a scripted scenario") {
  DaemonProcess d;
  const auto names = Names(10);
  d.AddRecordings(names);
  MakeDirs(d.PathOf("2026/11/20/000002"));
  // Gone while no daemon ran: the startup sweep archives these two.
  RemoveFile(d.PathOf(names[0]));
  RemoveFile(d.PathOf(names[1]));
  d.Start();
  REQUIRE(d.AwaitStatus(SweepDone));

  // Seen by the watcher: three deletions, a sidecar (ignored) and a rename.
  for (int i = 2; i < 5; ++i) RemoveFile(d.PathOf(names[i]));
  WriteFile(d.PathOf(kDay + "clip-9.jpg"));
  RemoveFile(d.PathOf(kDay + "clip-9.jpg"));
  REQUIRE(std::rename(d.PathOf(names[5]).c_str(),
                      d.PathOf("2026/11/20/000002/clip-5.mp4").c_str()) == 0);
  d.Sync();

  const json status = d.Status();
  const json& c = status["counters"];
  INFO(status.dump(1));
  const auto events = d.JournalLines({"journal", "list", "--limit", "0", "--json"});
  const auto actions = d.JournalLines({"journal", "actions", "--limit", "0", "--json"});
  for (const char* kind : {"deleted", "moved_from", "moved_to", "created"}) {
    for (const char* state : {"applied", "ignored", "failed"}) {
      INFO(kind << " " << state);
      CHECK(c["events"][kind][state] == CountWhere(events, "kind", kind, "state", state));
    }
  }
  CHECK(c["events"]["deleted"]["applied"] == 3);
  CHECK(c["events"]["deleted"]["ignored"] == 1);
  CHECK(c["events"]["moved_from"]["applied"] == 1);
  CHECK(c["rows"]["archived_by_events"] == CountWhere(actions, "action", "archive", "cause", "event"));
  CHECK(c["rows"]["archived_by_sweeps"] == CountWhere(actions, "action", "archive", "cause", "sweep"));
  CHECK(c["rows"]["repointed"] == CountWhere(actions, "action", "repath", "cause", "event"));
  CHECK(c["rows"]["archived_by_events"] == 3);
  CHECK(c["rows"]["archived_by_sweeps"] == 2);
  CHECK(c["rows"]["repointed"] == 1);
  CHECK(c["rows"]["restored"] == 0);
  CHECK(c["sweeps"]["startup"]["done"] == 1);
  CHECK(c["last_sweep_success_ms"].get<int64_t>() > 0);
  for (const char* reason : {"offline", "unresponsive", "suspect", "ratio"}) {
    CHECK(c["sweep_refusals"][reason] == 0);
  }
}

TEST_CASE("a sweep the ratio guard refuses counts as partial with one ratio refusal, and archives nothing") {
  DaemonProcess d;
  const auto names = Names(10);
  d.AddRecordings(names);
  for (int i = 0; i < 8; ++i) RemoveFile(d.PathOf(names[i]));
  d.Start();
  REQUIRE(d.AwaitStatus(SweepDone));

  const json c = d.Status()["counters"];
  INFO(c.dump(1));
  CHECK(c["sweeps"]["startup"]["partial"] == 1);
  CHECK(c["sweep_refusals"]["ratio"] == 1);
  CHECK(c["rows"]["archived_by_sweeps"] == 0);
  CHECK(d.JournalLines({"journal", "actions", "--limit", "0", "--json"}).empty());
}
