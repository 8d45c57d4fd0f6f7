#include "tests/cli/daemon_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/unique_fd.h"
#include "control/control_client.h"

extern char** environ;

namespace recsync::testing {
namespace {

std::chrono::milliseconds Left(std::chrono::steady_clock::time_point until) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(until -
                                                               std::chrono::steady_clock::now());
}

// Readable once `pid` has exited.
UniqueFd OpenPidFd(pid_t pid) {
  UniqueFd fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  REQUIRE(fd.valid());
  return fd;
}

// A datagram socket at `path`, where a child told NOTIFY_SOCKET=path sends
// what it would send systemd.
UniqueFd BindNotifySocket(const std::string& path) {
  ::unlink(path.c_str());
  UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  REQUIRE(fd.valid());
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  REQUIRE(path.size() < sizeof(addr.sun_path));
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  return fd;
}

// Our environment with NOTIFY_SOCKET set to `notify`.
std::vector<std::string> EnvironmentWith(const std::string& notify) {
  std::vector<std::string> env = {"NOTIFY_SOCKET=" + notify};
  for (char** e = environ; *e; ++e) {
    if (std::strncmp(*e, "NOTIFY_SOCKET=", 14) != 0) env.emplace_back(*e);
  }
  return env;
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

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
  notify = tmp.Sub("notify.sock");
  api_token_file = tmp.Sub("api-token");
  WriteFile(fstab, "");
  UseAccount(db->config());
  // The daemon learns its roots from Bluecherry's Storage table.
  db->InsertStorage(1, root);
}

void DaemonProcess::UseAccount(const DbConfig& account) {
  const auto c = db->config();
  WriteFile(conf, "bluecherry: { db: { type = 2; dbname = \"" + c.dbname + "\"; user = \"" +
                      account.user + "\"; password = \"" + account.password + "\"; socket = \"" +
                      c.socket + "\"; }; };\n");
}

DaemonProcess::~DaemonProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

std::vector<std::string> DaemonProcess::Common() const {
  return {RECSYNC_BINARY, "--bluecherry-conf", conf, "--journal", journal,
          "--control-socket", socket, "--fstab", fstab, "--http-listen", http_listen,
          "--api-token-file", api_token_file};
}

// The exit code of a waitpid status: 128+n when killed by signal n.
static int ExitCodeOf(int status) {
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

bool DaemonProcess::SpawnAndAwaitReady(const std::vector<std::string>& extra,
                                       std::chrono::milliseconds deadline, int* exit_code) {
  REQUIRE(pid_ < 0);
  // Where the daemon says READY=1, as it does to systemd.
  const UniqueFd ready_fd = BindNotifySocket(notify);
  std::vector<std::string> env = EnvironmentWith(notify);
  std::vector<char*> envp = Pointers(env);
  std::vector<std::string> argv = run_wrapper;
  for (auto& a : Common()) argv.push_back(a);
  argv.push_back("run");
  argv.insert(argv.end(), extra.begin(), extra.end());
  std::vector<char*> args = Pointers(argv);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  const int rc = posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  REQUIRE(rc == 0);
  // READY=1 on the socket, or the process's exit (its pidfd turns readable).
  const UniqueFd exit_fd = OpenPidFd(pid_);
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (Left(until).count() > 0) {
    pollfd fds[2] = {{ready_fd.get(), POLLIN, 0}, {exit_fd.get(), POLLIN, 0}};
    const int n = ::poll(fds, 2, static_cast<int>(Left(until).count()));
    if (n < 0 && errno == EINTR) continue;
    REQUIRE(n >= 0);
    if (fds[0].revents & POLLIN) {
      char message[4096];
      const ssize_t got = ::recv(ready_fd.get(), message, sizeof message, 0);
      // One assignment per line, as sd_notify sends them.
      if (got > 0) {
        std::string lines = "\n";
        lines.append(message, static_cast<size_t>(got));
        lines += '\n';
        if (lines.find("\nREADY=1\n") != std::string::npos) return true;
      }
    } else if (fds[1].revents & POLLIN) {
      int status = 0;
      REQUIRE(::waitpid(pid_, &status, 0) == pid_);
      pid_ = -1;
      *exit_code = ExitCodeOf(status);
      return false;
    }
  }
  return false;  // neither within the deadline: pid_ still set
}

void DaemonProcess::Start(const std::vector<std::string>& extra) {
  int exit_code = -1;
  const bool ready = SpawnAndAwaitReady(extra, std::chrono::seconds(30), &exit_code);
  INFO(Log());
  REQUIRE(pid_ > 0);  // did not exit
  REQUIRE(ready);
  CHECK(Status().value("ready", false));
}

int DaemonProcess::StartFails(const std::vector<std::string>& extra,
                              std::chrono::milliseconds deadline) {
  int exit_code = -1;
  const bool ready = SpawnAndAwaitReady(extra, deadline, &exit_code);
  INFO(Log());
  REQUIRE_FALSE(ready);
  REQUIRE(pid_ < 0);  // exited, not merely slow
  return exit_code;
}

int DaemonProcess::AwaitExit(std::chrono::milliseconds deadline) {
  REQUIRE(pid_ > 0);
  const UniqueFd exit_fd = OpenPidFd(pid_);
  pollfd pfd{exit_fd.get(), POLLIN, 0};
  int ready;
  do {
    ready = ::poll(&pfd, 1, static_cast<int>(deadline.count()));
  } while (ready < 0 && errno == EINTR);
  if (ready <= 0) return -1;
  int status = 0;
  REQUIRE(::waitpid(pid_, &status, 0) == pid_);
  pid_ = -1;
  return ExitCodeOf(status);
}

int DaemonProcess::Signal(int sig, std::chrono::milliseconds deadline) {
  REQUIRE(pid_ > 0);
  // A pidfd becomes readable when the process exits: the wait ends then,
  // or at the deadline, with no polling.
  ::kill(pid_, sig);
  return AwaitExit(deadline);
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

bool DaemonProcess::AwaitStatus(const std::function<bool(const nlohmann::json&)>& condition,
                                std::chrono::milliseconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  nlohmann::json seen = Status();
  for (;;) {
    if (condition(seen)) return true;
    const auto left = Left(until);
    if (left.count() <= 0) return false;
    auto next = ControlRequest(socket,
                               {{"cmd", "status"}, {"unchanged", seen}, {"wait_ms", left.count()}},
                               left + std::chrono::seconds(5));
    INFO((next.ok() ? next->dump() : next.status().message()));
    REQUIRE(next.ok());
    REQUIRE(next->value("ok", false));
    seen = std::move(*next);
  }
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

namespace recsync::testing {

std::vector<nlohmann::json> DaemonProcess::JournalLines(const std::vector<std::string>& args) {
  auto r = Cli(args);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  std::vector<nlohmann::json> out;
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  }
  return out;
}

}  // namespace recsync::testing
