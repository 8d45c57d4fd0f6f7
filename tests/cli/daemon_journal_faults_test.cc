// `recsync run` and a journal that goes wrong: damaged or unreadable at
// start (exit non-zero before READY=1, naming the journal and the fix),
// damaged while running (degraded, exit 1, refused at restart until moved
// aside, nothing lost once it is), deleted while running (exit 1, a new
// journal at restart), and its lock file deleted (a second daemon is still
// refused, the first makes the lock file again).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <optional>
#include <string>

#include "common/instance_lock.h"
#include "common/unique_fd.h"
#include "journal/journal_fault.h"
#include "journal/journal_lock.h"
#include "tests/cli/daemon_process.h"
#include "tests/journal/journal_damage.h"
#include "tests/journal/journal_test_util.h"

using namespace recsync;
using namespace recsync::testing;

namespace {

using std::chrono::seconds;

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A journal at `path` holding `events` settled events, as an earlier run
// would leave it.
void MakeJournal(const std::string& path, int events) {
  auto journal = OpenJournal(path);
  std::vector<NewEvent> batch;
  for (int i = 0; i < events; ++i) batch.push_back(Event(1000 + i, "/rec/old-" + std::to_string(i)));
  Append(*journal, batch);
}

void CheckLogNamesFix(const DaemonProcess& d) {
  const std::string log = d.Log();
  INFO(log);
  CHECK(Contains(log, "journal " + d.journal));
  CHECK(Contains(log, "mv " + d.journal + " " + d.journal + ".corrupt"));
}

// A connection to the daemon's socket whose requests are written whole and
// whose answers are read line by line, each within a deadline.
class ControlLine {
 public:
  explicit ControlLine(const std::string& path) : fd_(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    REQUIRE(fd_.valid());
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.data(), path.size());
    REQUIRE(::connect(fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  }
  void Send(const nlohmann::json& request) {
    const std::string line = request.dump() + "\n";
    REQUIRE(::send(fd_.get(), line.data(), line.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(line.size()));
  }
  std::optional<nlohmann::json> Read(std::chrono::milliseconds deadline) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    for (;;) {
      if (auto nl = in_.find('\n'); nl != std::string::npos) {
        auto line = nlohmann::json::parse(in_.substr(0, nl));
        in_.erase(0, nl + 1);
        return line;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{fd_.get(), POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[65536];
      const ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
      if (n <= 0) return std::nullopt;
      in_.append(buf, static_cast<size_t>(n));
    }
  }

 private:
  UniqueFd fd_;
  std::string in_;
};

// A directory under /tmp that every user may enter, removed on destruction.
struct PublicDir {
  std::string path;
  PublicDir() {
    char name[] = "/tmp/recsync-public-XXXXXX";
    REQUIRE(::mkdtemp(name) != nullptr);
    path = name;
    REQUIRE(::chmod(name, 0755) == 0);
  }
  ~PublicDir() { RunProcess({"/bin/rm", "-rf", path}); }
};

bool Degraded(const nlohmann::json& status, const std::string& part) {
  for (const auto& d : status["degraded"]) {
    if (Contains(d.get<std::string>(), part)) return true;
  }
  return false;
}

// Waits until `name` in `dir` is written (its lock taken and pid written,
// for a lock file) or the deadline passes.
class FileWrites {
 public:
  explicit FileWrites(const std::string& dir) : fd_(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK)) {
    REQUIRE(fd_.valid());
    REQUIRE(::inotify_add_watch(fd_.get(), dir.c_str(), IN_MODIFY) >= 0);
  }
  bool Await(const std::string& name, std::chrono::milliseconds deadline) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_.get(), POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      alignas(inotify_event) char buf[4096];
      const ssize_t n = ::read(fd_.get(), buf, sizeof buf);
      for (ssize_t at = 0; n > 0 && at < n;) {
        auto* e = reinterpret_cast<inotify_event*>(buf + at);
        if (e->len > 0 && name == e->name) return true;
        at += static_cast<ssize_t>(sizeof(inotify_event) + e->len);
      }
    }
  }

 private:
  UniqueFd fd_;
};

}  // namespace

TEST_CASE("a journal with a damaged header stops recsync run before READY, naming the fix") {
  DaemonProcess d;
  MakeJournal(d.journal, 10);
  DamageHeader(d.journal);
  CHECK(d.StartFails() == 1);
  CheckLogNamesFix(d);
  CHECK(Contains(d.Log(), "not a database"));
}

TEST_CASE("a damaged page found at start stops recsync run before READY, naming the fix") {
  DaemonProcess d;
  MakeJournal(d.journal, 2000);
  DamagePage(d.journal, RootPage(d.journal, "events_by_state"), PageSize(d.journal));
  CHECK(d.StartFails() == 1);
  CheckLogNamesFix(d);
  CHECK(Contains(d.Log(), "malformed"));
}

TEST_CASE("a journal that cannot be read stops recsync run before READY, naming it") {
  DaemonProcess d;
  SECTION("a directory in its place") {
    MakeDirs(d.journal);
    CHECK(d.StartFails() != 0);
    CHECK(Contains(d.Log(), "journal " + d.journal + " is not a regular file"));
  }
  SECTION("a file its user may not read") {
    // Root reads any file, so the daemon runs as nobody here, with its
    // config and state in a directory nobody can reach (the test's own
    // temporary directory may sit in one only root may enter): the state
    // directory is nobody's, the journal root's and mode 0600.
    PublicDir pub;
    const std::string conf = pub.path + "/bluecherry.conf";
    REQUIRE(RunProcess({"/bin/cp", d.conf, conf}).exit_code == 0);
    REQUIRE(::chmod(conf.c_str(), 0644) == 0);
    d.conf = conf;
    d.journal = pub.path + "/state/journal.db";
    MakeJournal(d.journal, 10);
    REQUIRE(::chmod(d.journal.c_str(), 0600) == 0);
    REQUIRE(::chown((pub.path + "/state").c_str(), 65534, 65534) == 0);
    d.run_wrapper = {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"};
    CHECK(d.StartFails() == 1);
    INFO(d.Log());
    CHECK(Contains(d.Log(), "journal " + d.journal));
    CHECK(Contains(d.Log(), "Permission denied"));
  }
}

TEST_CASE("a journal damaged while the daemon runs: degraded, exit 1, refused until moved "
          "aside, and nothing lost") {
  DaemonProcess d;
  std::vector<std::string> clips;
  for (int i = 0; i < 10; ++i) clips.push_back("2026/11/20/000001/10-0" + std::to_string(i) + "-00.mp4");
  const auto ids = d.AddRecordings(clips);
  d.Start();
  REQUIRE(d.AwaitStatus([](const nlohmann::json& s) { return s["sweep"]["last"].is_object(); }));

  // A status request waiting for a change, known to be waiting: the plain
  // one after it on the same connection is answered first.
  ControlLine line(d.socket);
  line.Send({{"cmd", "status"}, {"wait_ms", 60000}});
  line.Send({{"cmd", "status"}});
  REQUIRE(line.Read(seconds(10)).has_value());

  // Storage damages the journal's event table; the next event meets it.
  CheckpointJournal(d.journal);
  DamagePage(d.journal, RootPage(d.journal, "events"), PageSize(d.journal));
  RemoveFile(d.PathOf(clips[0]));

  // Each answer is the first change from the status sent; the event's
  // arrival may come before the damage shows.
  std::optional<nlohmann::json> seen = line.Read(seconds(30));
  while (seen && !Degraded(*seen, "the file is damaged")) {
    line.Send({{"cmd", "status"}, {"unchanged", *seen}, {"wait_ms", 30000}});
    seen = line.Read(seconds(30));
  }
  REQUIRE(seen.has_value());
  INFO(seen->dump());
  CHECK(Degraded(*seen, "journal " + d.journal));
  CHECK(d.AwaitExit(seconds(30)) == 1);
  CheckLogNamesFix(d);
  CHECK(Exists(JournalDamagedMarkerPath(d.journal)));

  // systemd restarts it: refused at once, naming the fix.
  CHECK(d.StartFails() == 1);
  CHECK(Contains(d.Log(), "journal " + d.journal + " was found damaged while recsync ran"));

  // The operator's fix. The event the damaged journal could not keep is
  // found by the start-up sweep of the new journal.
  REQUIRE(::rename(d.journal.c_str(), (d.journal + ".corrupt").c_str()) == 0);
  d.Start();
  REQUIRE(d.AwaitStatus([](const nlohmann::json& s) { return s["sweep"]["last"].is_object(); }));
  CHECK(d.Status()["degraded"].empty());
  CHECK(d.db->MediaArchived(ids[0]));
  CHECK_FALSE(d.db->MediaArchived(ids[1]));
}

TEST_CASE("the journal deleted while the daemon runs stops it with exit 1; restarted, it uses a "
          "new journal") {
  DaemonProcess d;
  const int64_t id = d.AddRecording("2026/11/20/000001/10-00-00.mp4");
  d.AddRecordings({"2026/11/20/000001/10-15-00.mp4", "2026/11/20/000001/10-30-00.mp4"});
  d.Start();
  RemoveFile(d.journal);
  // Noticed by the periodic check (every 5 s), without any other cue.
  CHECK(d.AwaitExit(seconds(30)) == 1);
  CHECK(Contains(d.Log(), "journal " + d.journal + " was deleted or renamed while recsync ran"));

  d.Start();
  CHECK(Exists(d.journal));
  RemoveFile(d.PathOf("2026/11/20/000001/10-00-00.mp4"));
  d.Sync();
  CHECK(d.db->MediaArchived(id));
}

TEST_CASE("with its lock file deleted, a second daemon is still refused, and the first makes the "
          "lock file again") {
  DaemonProcess d;
  d.Start();
  const std::string lock_file = JournalLock::LockFilePath(d.journal);
  RemoveFile(lock_file);

  DaemonProcess second;
  second.journal = d.journal;
  CHECK(second.StartFails() == 1);
  INFO(second.Log());
  CHECK(Contains(second.Log(), "already running on journal " + d.journal));

  // The first one puts its lock file back (at once on SIGHUP) and runs on.
  const std::string state = d.journal.substr(0, d.journal.rfind('/'));
  FileWrites writes(state);
  RemoveFile(lock_file);  // the second one's attempt made one; gone again
  REQUIRE(::kill(d.pid(), SIGHUP) == 0);
  CHECK(writes.Await(lock_file.substr(state.size() + 1), seconds(30)));
  CHECK(InstanceLock::IsHeld(lock_file));
  CHECK(d.Status()["degraded"].empty());
  CHECK(d.Signal(SIGTERM) == 0);
  CHECK(Contains(d.Log(), "lock file " + lock_file + " was removed or replaced"));
}
