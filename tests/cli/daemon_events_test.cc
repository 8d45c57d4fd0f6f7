// `recsync run` turns deletions and renames on disk into catalog changes as
// they happen: real inotify, a real daemon process, a real MariaDB. Every
// wait is `recsync sync` (a cookie through the whole pipeline), never a sleep.
#include <fcntl.h>
#include <sys/fanotify.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "tests/cli/daemon_process.h"

using namespace recsync::testing;

namespace {
const std::string kDay = "2026/11/20/000001/";

// Why the daemon's fanotify backend cannot watch `root` here ("" when it
// can): the group and a filesystem mark it needs, tried directly.
std::string FanotifyUnavailable(const std::string& root) {
  int fd = fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_REPORT_DFID_NAME_TARGET, O_RDONLY);
  if (fd < 0) return std::string("fanotify_init: ") + std::strerror(errno);
  int rc = fanotify_mark(fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
                         FAN_CREATE | FAN_DELETE | FAN_RENAME | FAN_ONDIR, AT_FDCWD, root.c_str());
  std::string why = rc == 0 ? "" : std::string("fanotify_mark: ") + std::strerror(errno);
  close(fd);
  return why;
}
}  // namespace

TEST_CASE("rm of a recording archives its Media and EventsCam rows, a sidecar archives nothing") {
  DaemonProcess d;
  const int64_t gone = d.AddRecording(kDay + "10-00-00.mp4");
  const int64_t kept = d.AddRecording(kDay + "10-15-00-motion.mp4");
  WriteFile(d.PathOf(kDay + "10-15-00-motion.jpg"));
  d.Start();

  RemoveFile(d.PathOf(kDay + "10-00-00.mp4"));
  RemoveFile(d.PathOf(kDay + "10-15-00-motion.jpg"));
  d.Sync();

  CHECK(d.db->MediaArchived(gone));
  CHECK(d.db->EventsArchivedFor(gone));
  CHECK_FALSE(d.db->MediaArchived(kept));
  CHECK_FALSE(d.db->EventsArchivedFor(kept));
  auto ignored = d.Cli({"journal", "list", "--state", "ignored", "--json"});
  REQUIRE(ignored.exit_code == 0);
  CHECK(ignored.out.find("10-15-00-motion.jpg") != std::string::npos);
}

TEST_CASE("rm -rf of a camera's day with 1000 recordings archives every row") {
  DaemonProcess d;
  std::vector<std::string> names;
  for (int i = 0; i < 1000; ++i) {
    char name[64];
    std::snprintf(name, sizeof name, "%02d-%02d-%02d.mp4", i / 60 % 24, i % 60, i % 7);
    names.push_back("2026/11/21/000003/" + std::to_string(i) + "-" + name);
  }
  const auto ids = d.AddRecordings(names);
  const int64_t other = d.AddRecording(kDay + "23-00-00.mp4");
  d.Start();

  auto rm = RunProcess({"/bin/rm", "-rf", d.PathOf("2026/11/21")});
  REQUIRE(rm.exit_code == 0);
  d.Sync();

  CHECK(d.db->ArchivedMediaIds() == ids);
  CHECK(d.db->MediaIdsWithArchivedEvents() == ids);
  CHECK_FALSE(d.db->MediaArchived(other));
}

TEST_CASE("folders made after start are watched, even mkdir -p and a file at once") {
  DaemonProcess d;
  d.Start();
  const std::string dir = d.PathOf("2026/11/24/000007");
  // One shell: the new day, its camera folder and the file appear before the
  // daemon can arm anything.
  auto made = RunProcess({"/bin/sh", "-c", "mkdir -p '" + dir + "' && echo v > '" + dir +
                                               "/08-00-00.mp4'"});
  REQUIRE(made.exit_code == 0);
  const int64_t id = d.db->InsertMedia(dir + "/08-00-00.mp4");
  d.Sync();
  CHECK_FALSE(d.db->MediaArchived(id));

  RemoveFile(dir + "/08-00-00.mp4");
  d.Sync();
  CHECK(d.db->MediaArchived(id));
}

TEST_CASE("a rename within the root re-points filepath instead of archiving") {
  DaemonProcess d;
  const int64_t id = d.AddRecording(kDay + "10-00-00.mp4");
  // The target folder exists before the rename, as Bluecherry's do (a file
  // renamed into a folder made in the same instant, before its watch exists,
  // looks moved out; see docs/daemon.md).
  MakeDirs(d.PathOf("2026/11/20/000002"));
  d.Start();

  const std::string to = d.PathOf("2026/11/20/000002/10-00-00 renamed.mp4");
  REQUIRE(std::rename(d.PathOf(kDay + "10-00-00.mp4").c_str(), to.c_str()) == 0);
  d.Sync();

  CHECK_FALSE(d.db->MediaArchived(id));
  CHECK(d.db->MediaPath(id) == to);
  // And the row now follows the file at its new name.
  RemoveFile(to);
  d.Sync();
  CHECK(d.db->MediaArchived(id));
}

TEST_CASE("a recording moved out of the storage roots is archived") {
  DaemonProcess d;
  const int64_t id = d.AddRecording(kDay + "10-00-00.mp4");
  const int64_t stays = d.AddRecording(kDay + "11-00-00.mp4");
  d.Start();

  MakeDirs(d.tmp.Sub("elsewhere"));
  REQUIRE(std::rename(d.PathOf(kDay + "10-00-00.mp4").c_str(),
                      d.tmp.Sub("elsewhere/10-00-00.mp4").c_str()) == 0);
  d.Sync();

  CHECK(d.db->MediaArchived(id));
  CHECK_FALSE(d.db->MediaArchived(stays));
}

TEST_CASE("a path with spaces, quotes and a newline is archived exactly") {
  DaemonProcess d;
  const std::string odd = kDay + "it's a \"clip\"\nwith newline.mp4";
  const int64_t id = d.AddRecording(odd);
  const int64_t twin = d.AddRecording(kDay + "it's a \"clip\" with newline.mp4");
  d.Start();
  RemoveFile(d.PathOf(odd));
  d.Sync();
  CHECK(d.db->MediaArchived(id));
  CHECK_FALSE(d.db->MediaArchived(twin));
}

TEST_CASE("recsync run --watcher fanotify archives a deletion and follows a rename") {
  DaemonProcess d;
  MakeDirs(d.root);
  if (std::string why = FanotifyUnavailable(d.root); !why.empty()) {
    WARN("fanotify unavailable here (" << why << "): skipped");
    return;
  }
  const int64_t gone = d.AddRecording(kDay + "10-00-00.mp4");
  const int64_t moved = d.AddRecording(kDay + "11-00-00.mp4");
  const int64_t kept = d.AddRecording(kDay + "12-00-00.mp4");
  d.Start({"--watcher", "fanotify"});
  auto status = d.Status();
  CHECK(status["watcher"]["backend"] == "fanotify");
  auto text = d.Cli({"status"});
  CHECK(text.out.find("watcher:  fanotify") != std::string::npos);

  // rm -rf of a whole day made after start (no per-directory watch needed),
  // a plain rm, and a rename into another camera's folder.
  const std::string day = d.PathOf("2026/11/22/000004");
  auto made = RunProcess({"/bin/sh", "-c", "mkdir -p '" + day + "' && echo v > '" + day +
                                               "/08-00-00.mp4'"});
  REQUIRE(made.exit_code == 0);
  const int64_t fresh = d.db->InsertMedia(day + "/08-00-00.mp4");
  d.Sync();
  RemoveFile(d.PathOf(kDay + "10-00-00.mp4"));
  REQUIRE(RunProcess({"/bin/rm", "-rf", d.PathOf("2026/11/22")}).exit_code == 0);
  MakeDirs(d.PathOf("2026/11/20/000002"));
  const std::string to = d.PathOf("2026/11/20/000002/11-00-00.mp4");
  REQUIRE(std::rename(d.PathOf(kDay + "11-00-00.mp4").c_str(), to.c_str()) == 0);
  d.Sync();

  CHECK(d.db->MediaArchived(gone));
  CHECK(d.db->EventsArchivedFor(gone));
  CHECK(d.db->MediaArchived(fresh));
  CHECK_FALSE(d.db->MediaArchived(moved));
  CHECK(d.db->MediaPath(moved) == to);
  CHECK_FALSE(d.db->MediaArchived(kept));
  CHECK(d.Status()["watcher"]["backend"] == "fanotify");
}

TEST_CASE("recordings deleted and written again at once keep their rows") {
  // A restarted segment, a tool that replaces files: unlink then create at
  // once. The deletion must not archive a row whose file is back.
  DaemonProcess d;
  std::vector<int64_t> ids;
  for (int i = 0; i < 40; ++i) {
    char name[32];
    std::snprintf(name, sizeof(name), "10-%02d-00.mp4", i);
    ids.push_back(d.AddRecording(kDay + name));
  }
  d.Start();
  for (int i = 0; i < 40; ++i) {
    char name[32];
    std::snprintf(name, sizeof(name), "10-%02d-00.mp4", i);
    RemoveFile(d.PathOf(kDay + name));
    WriteFile(d.PathOf(kDay + name), "written again");
  }
  d.Sync();
  CHECK(d.db->ArchivedMediaIds().empty());
}

TEST_CASE("a recording that comes back after its row was archived gets its row back") {
  DaemonProcess d;
  const int64_t id = d.AddRecording(kDay + "10-00-00.mp4");
  d.Start();
  RemoveFile(d.PathOf(kDay + "10-00-00.mp4"));
  d.Sync();
  REQUIRE(d.db->MediaArchived(id));
  WriteFile(d.PathOf(kDay + "10-00-00.mp4"), "restored from a backup");
  d.Sync();
  CHECK_FALSE(d.db->MediaArchived(id));
  CHECK_FALSE(d.db->EventsArchivedFor(id));
  auto actions = d.Cli({"journal", "actions"});
  CHECK(actions.out.find("restore") != std::string::npos);
  // A row archived by someone else stays archived, file or not.
  const int64_t theirs = d.AddRecording(kDay + "11-00-00.mp4");
  d.db->Exec("UPDATE Media SET archive = 1 WHERE id = " + std::to_string(theirs));
  RemoveFile(d.PathOf(kDay + "11-00-00.mp4"));
  WriteFile(d.PathOf(kDay + "11-00-00.mp4"));
  d.Sync();
  CHECK(d.db->MediaArchived(theirs));
}

TEST_CASE("a recording renamed onto another archives the one it replaced") {
  DaemonProcess d;
  const int64_t moved = d.AddRecording(kDay + "10-00-00.mp4");
  const int64_t replaced = d.AddRecording(kDay + "10-15-00.mp4");
  d.Start();
  REQUIRE(std::rename(d.PathOf(kDay + "10-00-00.mp4").c_str(),
                      d.PathOf(kDay + "10-15-00.mp4").c_str()) == 0);
  d.Sync();
  CHECK(d.db->MediaPath(moved) == d.PathOf(kDay + "10-15-00.mp4"));
  CHECK_FALSE(d.db->MediaArchived(moved));
  CHECK(d.db->MediaArchived(replaced));
}
