// Storage roots as real servers spell them: a symlink to the storage, a
// mount point and a symlink to it, "//" and trailing slashes. Each root has
// one identity (its real path, as bc-server records Media.filepath), and the
// daemon, its sweeps and status agree on its state.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <algorithm>
#include <filesystem>

#include "tests/cli/daemon_process.h"
#include "tests/support/mounts.h"

using namespace recsync::testing;
using nlohmann::json;

namespace {

// Directories under `root`, itself included: what inotify watches.
int CountDirs(const std::string& root) {
  int dirs = 1;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root)) dirs += e.is_directory();
  return dirs;
}

void SetStorage(DaemonProcess& d, const std::vector<std::string>& paths) {
  d.db->Exec("DELETE FROM Storage");
  for (size_t i = 0; i < paths.size(); ++i) {
    d.db->Exec("INSERT INTO Storage (priority, path, max_thresh, min_thresh) VALUES (" +
               std::to_string(i + 1) + ", " + TestDatabase::Hex(paths[i]) + ", 95, 90)");
  }
}

void PointLink(const std::string& link, const std::string& target) {
  const std::string fresh = link + ".new";
  REQUIRE(::symlink(target.c_str(), fresh.c_str()) == 0);
  REQUIRE(std::rename(fresh.c_str(), link.c_str()) == 0);  // atomically, as ln -sfn does not
}

}  // namespace

TEST_CASE("a root configured as a symlink has its deletions archived under its real path") {
  DaemonProcess d;
  const std::string link = d.tmp.Sub("recordings");
  PointLink(link, d.root);
  SetStorage(d, {link});
  const int64_t id = d.AddRecording("2026/11/20/000001/10-00-00.mp4");  // recorded resolved
  d.Start();
  REQUIRE(d.AwaitStatus([](const json& s) { return s["sweep"]["last"].is_object(); }));
  auto s = d.Status();
  REQUIRE(s["roots"].size() == 1);
  CHECK(s["roots"][0]["path"] == d.root);
  CHECK(s["roots"][0]["also_configured_as"] == json::array({link}));
  CHECK(s["roots"][0]["watched"] == true);
  CHECK(s["degraded"].empty());

  RemoveFile(link + "/2026/11/20/000001/10-00-00.mp4");
  d.Sync();
  CHECK(d.db->MediaArchived(id));
}

TEST_CASE("two spellings of one root are one root, watched once and archived once") {
  DaemonProcess d;
  const std::string link = d.tmp.Sub("recordings");
  PointLink(link, d.root);
  SetStorage(d, {d.root, link, d.root + "/"});
  const int64_t id = d.AddRecording("2026/11/20/000001/10-00-00.mp4");
  d.AddRecording("2026/11/20/000002/10-00-00.mp4");
  d.Start();
  auto s = d.Status();
  REQUIRE(s["roots"].size() == 1);
  CHECK(s["roots"][0]["path"] == d.root);
  CHECK(s["roots"][0]["also_configured_as"] == json::array({link}));
  // Not one watch per spelling: one per folder.
  CHECK(s["watcher"]["watches"] == CountDirs(d.root));

  RemoveFile(d.PathOf("2026/11/20/000001/10-00-00.mp4"));
  d.Sync();
  CHECK(d.db->MediaArchived(id));
  auto actions = d.Cli({"journal", "actions", "--json"});  // one JSON object per line
  CHECK(std::count(actions.out.begin(), actions.out.end(), '\n') == 1);

  auto text = d.Cli({"status"});
  CHECK(text.out.find("also configured as: " + link) != std::string::npos);
}

TEST_CASE("a root spelled with // and /./ is online for the daemon and for its sweeps") {
  DaemonProcess d;
  const std::string odd = d.tmp.path() + "//./rec/";
  SetStorage(d, {odd});
  d.AddRecording("2026/11/20/000001/10-00-00.mp4");
  const int64_t gone = d.db->InsertMedia(d.PathOf("2026/11/20/000001/10-15-00.mp4"));
  d.Start();
  auto s = d.Status();
  REQUIRE(s["roots"].size() == 1);
  CHECK(s["roots"][0]["state"] == "online");
  CHECK(s["roots"][0]["path"] == d.root);

  auto sweep = d.Cli({"sweep", "--json"});
  REQUIRE(sweep.exit_code == 0);
  auto report = json::parse(sweep.out);
  REQUIRE(report["roots"].size() == 1);
  CHECK(report["roots"][0]["state"] == "online");
  CHECK(report["roots"][0]["path"] == d.root);
  CHECK(d.db->MediaArchived(gone));
}

TEST_CASE("a symlink to a mount point that is not mounted is offline for daemon and sweep") {
  if (!CanMount()) {
    WARN("needs root for mount(2); not run");
    return;
  }
  DaemonProcess d;
  TempDir disk;  // what the mount shows
  MakeDirs(disk.Sub("rec/2026/11/20/000001"));
  WriteFile(disk.Sub("rec/2026/11/20/000001/10-00-00.mp4"));
  const std::string mnt = d.tmp.Sub("nas");
  MakeDirs(mnt);
  ScopedMount mount = ScopedMount::Bind(disk.path(), mnt);
  const std::string link = d.tmp.Sub("recordings");
  PointLink(link, mnt + "/rec");
  SetStorage(d, {link});
  WriteFile(d.fstab, "server:/export " + mnt + " nfs defaults 0 0\n");
  const int64_t id = d.db->InsertMedia(mnt + "/rec/2026/11/20/000001/10-00-00.mp4");
  d.Start();
  CHECK(d.Status()["roots"][0]["state"] == "online");

  mount.Unmount();
  REQUIRE(d.AwaitStatus([](const json& s) { return s["roots"][0]["state"] == "offline"; }));
  auto s = d.Status();
  CHECK(s["roots"][0]["path"] == mnt + "/rec");
  CHECK_FALSE(s["degraded"].empty());
  auto sweep = d.Cli({"sweep", "--force", "--json"});
  CHECK(sweep.exit_code == 3);  // incomplete: a root was offline
  CHECK(json::parse(sweep.out)["roots"][0]["state"] == "offline");
  CHECK_FALSE(d.db->MediaArchived(id));

  mount.Mount();
  REQUIRE(d.AwaitStatus([](const json& s) {
    return s["roots"][0]["state"] == "online" && s["roots"][0]["watched"] == true;
  }));
  CHECK_FALSE(d.db->MediaArchived(id));
}

TEST_CASE("a link pointed at another directory is watched there, and its old target released") {
  DaemonProcess d;
  const std::string first = d.tmp.Sub("first");
  MakeDirs(first + "/2026");
  const std::string link = d.tmp.Sub("recordings");
  PointLink(link, first);
  SetStorage(d, {link});
  const int64_t id = d.AddRecording("2026/11/20/000001/10-00-00.mp4");  // under d.root
  d.Start();
  CHECK(d.Status()["roots"][0]["path"] == first);

  PointLink(link, d.root);
  REQUIRE(d.AwaitStatus([&](const json& s) {
    return s["roots"].size() == 1 && s["roots"][0]["path"] == d.root &&
           s["roots"][0]["watched"] == true;
  }));
  RemoveFile(d.PathOf("2026/11/20/000001/10-00-00.mp4"));
  d.Sync();
  CHECK(d.db->MediaArchived(id));
  CHECK(d.Status()["watcher"]["watches"] == CountDirs(d.root));
}
