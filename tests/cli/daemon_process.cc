#include "tests/cli/daemon_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/unique_fd.h"

extern char** environ;

namespace recsync::testing {

bool Eventually(const std::function<bool()>& condition, std::chrono::milliseconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

DaemonProcess::DaemonProcess(DaemonSetup setup) {
  TestDatabaseOptions o;
  o.socket = setup.db_socket;
  o.filepath_index = setup.filepath_index;
  db = std::make_unique<TestDatabase>(o);
  root = setup.storage.empty() ? tmp.Sub("rec") : setup.storage;
  MakeDirs(root);
  conf = tmp.Sub("bluecherry.conf");
  journal = tmp.Sub("state/journal.db");
  socket = tmp.Sub("run/control.sock");
  log = tmp.Sub("daemon.log");
  fstab = tmp.Sub("fstab");
  WriteFile(fstab, "");
  const auto c = db->config();
  WriteFile(conf, "bluecherry: { db: { type = 2; dbname = \"" + c.dbname + "\"; user = \"" +
                      c.user + "\"; password = \"" + c.password + "\"; socket = \"" + c.socket +
                      "\"; }; };\n");
  // The daemon learns its roots from Bluecherry's Storage table.
  db->InsertStorage(1, root);
}

DaemonProcess::~DaemonProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

std::vector<std::string> DaemonProcess::Common() const {
  return {RECSYNC_BINARY, "--bluecherry-conf", conf, "--journal", journal,
          "--control-socket", socket, "--fstab", fstab};
}

void DaemonProcess::Start(const std::vector<std::string>& extra) {
  REQUIRE(pid_ < 0);
  std::vector<std::string> argv = Common();
  argv.push_back("run");
  argv.insert(argv.end(), extra.begin(), extra.end());
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  const int rc = posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  REQUIRE(rc == 0);
  bool exited = false;
  const bool ready = Eventually([&] {
    int status;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      exited = true;
      pid_ = -1;
      return true;
    }
    auto r = Cli({"status", "--json"});
    if (r.exit_code != 0) return false;
    return nlohmann::json::parse(r.out).value("ready", false);
  });
  INFO(Log());
  REQUIRE_FALSE(exited);
  REQUIRE(ready);
}

int DaemonProcess::Signal(int sig, std::chrono::milliseconds deadline) {
  REQUIRE(pid_ > 0);
  // A pidfd becomes readable when the process exits: the wait ends then,
  // or at the deadline, with no polling.
  const UniqueFd exit_fd(static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0)));
  REQUIRE(exit_fd.valid());
  ::kill(pid_, sig);
  pollfd pfd{exit_fd.get(), POLLIN, 0};
  int ready;
  do {
    ready = ::poll(&pfd, 1, static_cast<int>(deadline.count()));
  } while (ready < 0 && errno == EINTR);
  if (ready <= 0) return -1;
  int status = 0;
  REQUIRE(::waitpid(pid_, &status, 0) == pid_);
  pid_ = -1;
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

void DaemonProcess::Kill9() { REQUIRE(Signal(SIGKILL) == 128 + SIGKILL); }

ProcessResult DaemonProcess::Cli(const std::vector<std::string>& args) {
  std::vector<std::string> argv = Common();
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess(argv);
}

void DaemonProcess::Sync(int timeout_s) {
  auto r = Cli({"sync", "--timeout", std::to_string(timeout_s)});
  INFO(r.err << "\n--- daemon log ---\n" << Log());
  REQUIRE(r.exit_code == 0);
}

nlohmann::json DaemonProcess::Status() {
  auto r = Cli({"status", "--json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return nlohmann::json::parse(r.out);
}

std::string DaemonProcess::Log() const {
  std::ifstream in(log);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int64_t DaemonProcess::AddRecording(const std::string& relative) {
  WriteFile(PathOf(relative), "video");
  return db->InsertMedia(PathOf(relative), 1700000000, 1);
}

std::vector<int64_t> DaemonProcess::AddRecordings(const std::vector<std::string>& relatives) {
  std::vector<std::string> paths;
  for (const auto& r : relatives) {
    paths.push_back(PathOf(r));
    WriteFile(paths.back(), "video");
  }
  return db->InsertMediaBulk(paths, 1700000000, 1);
}

}  // namespace recsync::testing
