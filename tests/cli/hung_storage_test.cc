// A root on network storage whose server stops answering, for real: a FUSE
// mount (bindfs) whose server is stopped with SIGSTOP, so every call that
// reaches it blocks. The daemon must not pay for it: no thread per attempt,
// the root offline and said so, and everything else going on.
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <string>

#include "tests/cli/daemon_process.h"
#include "tests/support/mounts.h"

using namespace recsync::testing;
using nlohmann::json;

namespace {

int Threads(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  }
  return -1;
}

const json* RootAt(const json& s, const std::string& path) {
  for (const auto& r : s["roots"]) {
    if (r["path"] == path) return &r;
  }
  return nullptr;
}

// Mounts and unmounts a scratch tmpfs for `how_long`: each change of the
// mount table makes the daemon probe every root again, as an unmount would.
void ChurnMountTable(const std::string& scratch, std::chrono::milliseconds how_long) {
  const auto until = std::chrono::steady_clock::now() + how_long;
  while (std::chrono::steady_clock::now() < until) {
    ScopedMount m = ScopedMount::Tmpfs(scratch);
    m.Unmount();
  }
}

}  // namespace

TEST_CASE("a root on hung storage costs no thread per attempt and holds up nothing else") {
  if (!CanMount()) {
    WARN("needs root for mount(2) and FUSE; not run");
    return;
  }
  DaemonProcess d;
  TempDir src;
  MakeDirs(src.Sub("rec/2026/11/20/000001"));
  WriteFile(src.Sub("rec/2026/11/20/000001/10-00-00.mp4"));
  const std::string mnt = d.tmp.Sub("nas");
  MakeDirs(mnt);
  HangingFuse fuse(src.path(), mnt);
  const std::string nas = mnt + "/rec";
  d.db->InsertStorage(2, nas);
  const int64_t on_nas = d.db->InsertMedia(nas + "/2026/11/20/000001/10-00-00.mp4");
  const int64_t local = d.AddRecording("2026/11/20/000001/10-00-00.mp4");
  d.Start({"--probe-timeout", "1"});
  REQUIRE(d.AwaitStatus([&](const json& s) {
    const json* r = RootAt(s, nas);
    return r && (*r)["watched"] == true && s["sweep"]["last"].is_object();
  }));

  fuse.Hang();
  const std::string scratch = d.tmp.Sub("scratch");
  MakeDirs(scratch);
  ChurnMountTable(scratch, std::chrono::milliseconds(500));
  REQUIRE(d.AwaitStatus([&](const json& s) {
    const json* r = RootAt(s, nas);
    return r && (*r)["state"] == "offline";
  }));
  auto s = d.Status();
  CHECK_THAT(RootAt(s, nas)->value("reason", ""), Catch::Contains("unresponsive"));
  bool said = false;
  for (const auto& line : s["degraded"]) said |= line.get<std::string>().find(nas) != std::string::npos;
  CHECK(said);

  // Every mount-table change probes every root again; the hung one used to
  // cost a new thread each time, until the daemon could start none.
  const int before = Threads(d.pid());
  ChurnMountTable(scratch, std::chrono::seconds(6));
  REQUIRE(d.Status()["ok"] == true);
  CHECK(Threads(d.pid()) <= before + 2);

  // The other root goes on: its deletions are archived, and sync returns
  // within its timeout, naming the root it could not cover.
  RemoveFile(d.PathOf("2026/11/20/000001/10-00-00.mp4"));
  const auto asked = std::chrono::steady_clock::now();
  auto sync = d.Cli({"sync", "--timeout", "20"});
  CHECK(std::chrono::steady_clock::now() - asked < std::chrono::seconds(20));
  CHECK(sync.exit_code == 3);
  CHECK_THAT(sync.err, Catch::Contains("storage " + nas + " was not covered"));
  CHECK(d.db->MediaArchived(local));
  CHECK_FALSE(d.db->MediaArchived(on_nas));

  // SIGHUP still reloads, and a new root starts while the hung one hangs.
  const std::string third = d.tmp.Sub("third");
  MakeDirs(third + "/2026");
  d.db->InsertStorage(3, third);
  ::kill(d.pid(), SIGHUP);
  REQUIRE(d.AwaitStatus([&](const json& st) {
    const json* r = RootAt(st, third);
    return r && (*r)["state"] == "online" && (*r)["watched"] == true;
  }));

  // And it stops within 5 s, whatever is stuck in the mount.
  const int stopped = d.Signal(SIGTERM, std::chrono::seconds(5));
  INFO(d.Log());
  CHECK(stopped == 0);
}
