// Nothing that happens to the daemon, the database or the storage loses an
// event or archives a file that exists: kill -9, a database outage, an
// unmounted root, an overflowing kernel queue.
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>

#include "journal/journal.h"
#include "tests/cli/daemon_process.h"
#include "tests/support/mariadb_server.h"

using namespace recsync;
using namespace recsync::testing;

namespace {

std::vector<std::string> Names(const std::string& dir, int n, int first = 0) {
  std::vector<std::string> out;
  for (int i = first; i < first + n; ++i) out.push_back(dir + "/clip-" + std::to_string(i) + ".mp4");
  return out;
}

// How many "archive" actions the journal holds for each Media id.
std::map<int64_t, int> ArchiveActions(const std::string& journal) {
  auto j = Journal::Open(journal, Journal::Mode::kReadOnly);
  REQUIRE(j.ok());
  auto actions = (*j)->ListActions({});
  REQUIRE(actions.ok());
  std::map<int64_t, int> out;
  for (const auto& a : *actions) {
    if (a.action == ActionKind::kArchive) ++out[a.media_id];
  }
  return out;
}


}  // namespace

TEST_CASE("kill -9 during deletions, more deletions while down: every row archived once") {
  DaemonProcess d;
  const auto first = d.AddRecordings(Names("2026/11/20/000001", 300));
  const auto second = d.AddRecordings(Names("2026/11/20/000002", 100));
  // Enough survivors that the start-up sweep's ratio guard lets it act.
  const auto kept = d.AddRecordings(Names("2026/11/20/000003", 400));
  d.Start();

  // The daemon dies in the middle of a burst.
  auto burst = RunProcess({"/bin/rm", "-rf", d.PathOf("2026/11/20/000001")});
  REQUIRE(burst.exit_code == 0);
  d.Kill9();
  // Deleted while nothing watches: only the start-up sweep can find these.
  REQUIRE(RunProcess({"/bin/rm", "-rf", d.PathOf("2026/11/20/000002")}).exit_code == 0);

  d.Start();
  d.Sync();
  REQUIRE(d.AwaitStatus([](const nlohmann::json& s) { return s["sweep"]["last"].is_object(); }));

  std::vector<int64_t> gone = first;
  gone.insert(gone.end(), second.begin(), second.end());
  CHECK(d.db->ArchivedMediaIds() == gone);
  CHECK(d.db->MediaIdsWithArchivedEvents() == gone);
  auto actions = ArchiveActions(d.journal);
  CHECK(actions.size() == gone.size());
  for (const auto& [id, n] : actions) {
    INFO("media id " << id);
    CHECK(n == 1);
  }
  for (int64_t id : kept) CHECK_FALSE(d.db->MediaArchived(id));
}

TEST_CASE("deletions while MariaDB is down are archived once it is back") {
  PrivateMariaDB server;
  DaemonSetup setup;
  setup.db_socket = server.socket();
  DaemonProcess d(setup);
  const auto ids = d.AddRecordings(Names("2026/11/20/000001", 20));
  const int64_t kept = d.AddRecording("2026/11/20/000002/10-00-00.mp4");
  d.Start();

  server.Stop();
  REQUIRE(RunProcess({"/bin/rm", "-rf", d.PathOf("2026/11/20/000001")}).exit_code == 0);
  // The events are journaled but cannot be applied: sync cannot finish, and
  // status says why.
  auto blocked = d.Cli({"sync", "--timeout", "2"});
  CHECK(blocked.exit_code == 1);
  CHECK(blocked.err.find("did not complete") != std::string::npos);
  REQUIRE(d.AwaitStatus([](const nlohmann::json& s) {
    return s["database"]["connected"] == false && s["events"]["pending"].get<int>() == 20;
  }));

  server.Start();
  d.Sync(60);
  CHECK(d.db->ArchivedMediaIds() == ids);
  CHECK_FALSE(d.db->MediaArchived(kept));
  CHECK(d.Status()["database"]["connected"] == true);
}

TEST_CASE("an unmounted root is offline: nothing archived, and it comes back when remounted") {
  if (geteuid() != 0) {
    WARN("needs root for mount(2); skipped");
    return;
  }
  TempDir disk;  // what the mount shows
  TempDir mnt;
  const std::string root = mnt.Sub("rec");
  MakeDirs(root);
  REQUIRE(::mount(disk.path().c_str(), root.c_str(), nullptr, MS_BIND, nullptr) == 0);
  struct Unmount {
    std::string path;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{root};

  DaemonSetup setup;
  setup.storage = root;
  DaemonProcess d(setup);
  const auto ids = d.AddRecordings(Names("2026/11/20/000001", 10));
  d.Start();
  REQUIRE(d.AwaitStatus([](const nlohmann::json& s) { return s["sweep"]["last"].is_object(); }));

  REQUIRE(::umount2(root.c_str(), 0) == 0);
  REQUIRE(d.AwaitStatus(
      [](const nlohmann::json& s) { return s["roots"][0]["state"] == "offline"; }));
  // Every file now looks deleted; neither a sweep nor anything else may act.
  auto sweep = d.Cli({"sweep", "--force"});
  CHECK(sweep.exit_code == 3);
  auto sync = d.Cli({"sync"});  // incomplete: the root's events cannot be proven read
  CHECK(sync.exit_code == 3);
  CHECK_THAT(sync.err, Catch::Contains("storage " + root + " was not covered (offline: "));
  CHECK(d.db->ArchivedMediaIds().empty());
  CHECK_FALSE(d.Status()["degraded"].empty());

  REQUIRE(::mount(disk.path().c_str(), root.c_str(), nullptr, MS_BIND, nullptr) == 0);
  REQUIRE(d.AwaitStatus([](const nlohmann::json& s) {
    const auto& r = s["roots"][0];
    return r["state"] == "online" && r["watched"] == true;
  }));
  // Watched again: a deletion is seen.
  RemoveFile(d.PathOf("2026/11/20/000001/clip-3.mp4"));
  d.Sync();
  CHECK(d.db->ArchivedMediaIds() == std::vector<int64_t>{ids[3]});
}

TEST_CASE("rm -rf of 20,000 recordings past a queue overflow: every row archived, the overflow settled") {
  // The daemon frozen (SIGSTOP) while a day folder of 20,000 recordings goes:
  // the kernel queue keeps ~16,000 deletions and drops the rest. With the
  // default ratio guard, the deletions it did see are archived and explain
  // themselves; the sweep after the overflow archives the rest.
  constexpr int kDeleted = 20000;
  DaemonProcess d;
  const auto gone = d.AddRecordings(Names("2026/11/20/000001", kDeleted));
  const auto kept = d.AddRecordings(Names("2026/11/20/000002", 200));
  d.Start();
  REQUIRE(d.AwaitStatus([](const nlohmann::json& s) { return s["sweep"]["last"].is_object(); }));

  ::kill(d.pid(), SIGSTOP);
  auto rm = RunProcess({"/bin/rm", "-rf", d.PathOf("2026/11/20/000001")});
  ::kill(d.pid(), SIGCONT);
  REQUIRE(rm.exit_code == 0);

  REQUIRE(d.AwaitStatus(
      [](const nlohmann::json& s) {
        return s["watcher"]["overflows"].get<int>() >= 1 && !s["sweep"]["running"].get<bool>() &&
               s["sweep"]["queued"].get<int>() == 0 && s["sweep"]["last"]["trigger"] == "overflow";
      },
      std::chrono::seconds(180)));
  auto status = d.Status();
  INFO(status.dump(1) << d.Log());
  CHECK(status["sweep"]["last"]["ok"] == true);
  CHECK_FALSE(status["sweep"]["last"]["incomplete"].get<bool>());
  CHECK(status["degraded"].empty());
  d.Sync(60);
  CHECK(d.db->ArchivedMediaIds() == gone);
  for (int64_t id : kept) CHECK_FALSE(d.db->MediaArchived(id));
  // The overflow is settled by the sweep that followed it.
  auto pending = d.Cli({"journal", "list", "--kind", "overflow", "--state", "pending", "--json"});
  CHECK(pending.out.empty());
  // The watches of the folders rm removed are gone with them, although their
  // IN_IGNORED was dropped with the rest of the queue.
  int dirs = 1;
  for (const auto& e : std::filesystem::recursive_directory_iterator(d.root)) {
    dirs += e.is_directory();
  }
  CHECK(d.Status()["watcher"]["watches"] == dirs);
}

TEST_CASE("what the ratio guard refuses is reported, with the command to run, until it is fixed") {
  // Files deleted while no daemon ran leave no event: unexplained losses.
  DaemonProcess d;
  const auto ids = d.AddRecordings(Names("2026/11/20/000001", 10));
  for (int i = 0; i < 8; ++i) RemoveFile(d.PathOf(Names("2026/11/20/000001", 10)[i]));
  d.Start();
  REQUIRE(d.AwaitStatus([](const nlohmann::json& s) { return s["sweep"]["last"].is_object(); }));
  auto status = d.Status();
  std::string said;
  for (const auto& line : status["degraded"]) said += line.get<std::string>() + "\n";
  CHECK_THAT(said, Catch::Contains("storage " + d.root) && Catch::Contains("8 of 10") &&
                       Catch::Contains("recsync sweep --force --storage " + d.root));
  CHECK_THAT(d.Log(), Catch::Contains("not archiving anything under " + d.root));
  CHECK(d.db->ArchivedMediaIds().empty());

  // The operator checked the storage and ran what status says.
  auto forced = d.Cli({"sweep", "--force", "--storage", d.root});
  CHECK(forced.exit_code == 0);
  CHECK(d.db->ArchivedMediaIds().size() == 8);
  CHECK(d.Status()["degraded"].empty());
}

TEST_CASE("a root fuller than Storage.max_thresh + 5 gets a pressure sweep") {
  if (geteuid() != 0) {
    WARN("needs root for mount(2); skipped");
    return;
  }
  TempDir mnt;
  const std::string root = mnt.Sub("rec");
  MakeDirs(root);
  REQUIRE(::mount("tmpfs", root.c_str(), "tmpfs", 0, "size=4m") == 0);
  struct Unmount {
    std::string path;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{root};
  // 3 MiB of 4: 75 % used, above the 50 + 5 this storage allows.
  WriteFile(root + "/filler", std::string(3 << 20, 'x'));

  DaemonSetup setup;
  setup.storage = root;
  DaemonProcess d(setup);
  d.db->Exec("UPDATE Storage SET max_thresh = 50.00");
  const int64_t gone = d.db->InsertMedia(root + "/2026/11/20/000001/10-00-00.mp4");
  d.AddRecording("2026/11/20/000001/10-15-00.mp4");
  d.Start();

  // Before or after the startup sweep: both are recorded in the journal.
  auto pressure_swept = [&d] {
    return d.Cli({"journal", "sweeps", "--json"}).out.find("\"pressure\"") != std::string::npos;
  };
  REQUIRE(d.AwaitStatus([&](const nlohmann::json& s) {
    return s["sweep"]["last"].is_object() && pressure_swept();
  }));
  CHECK(d.db->MediaArchived(gone));
  CHECK(d.Status()["roots"][0]["used_percent"].get<double>() > 55.0);
}
