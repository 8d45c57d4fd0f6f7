#include "tests/support/mariadb_server.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <vector>

#include "catalog/mysql_handle.h"

extern char** environ;

namespace recsync::testing {

namespace fs = std::filesystem;

namespace {

// Keep in step with _RECSYNC_MARIADB_LOG_FILE_SIZE in scripts/lib/mariadb.sh:
// the template's redo log has this size, and a different one is resized at
// every start.
constexpr const char* kLogFileSize = "--innodb-log-file-size=16M";

std::string RequireEnv(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    throw std::runtime_error(std::string(name) +
                             " is not set: run the tests through scripts/test.sh "
                             "(or scripts/with-mariadb.sh ctest ...)");
  }
  return value;
}

}  // namespace

PrivateMariaDB::PrivateMariaDB(PrivateMariaDBOptions options) : options_(std::move(options)) {
  const std::string templ = RequireEnv("RECSYNC_TEST_MARIADB_TEMPLATE");
  datadir_ = options_.datadir_parent.empty() ? dir_.Sub("data") : options_.datadir_parent + "/data";
  socket_ = dir_.Sub("mysql.sock");
  if (socket_.size() >= sizeof(sockaddr_un{}.sun_path)) {
    throw std::runtime_error("socket path " + socket_ + " is too long; use a shorter TMPDIR");
  }
  std::error_code ec;
  fs::copy(templ, datadir_, fs::copy_options::recursive, ec);
  if (ec) throw std::runtime_error("copying " + templ + " to " + datadir_ + ": " + ec.message());
  Start();
}

PrivateMariaDB::~PrivateMariaDB() {
  try {
    Stop();
  } catch (const std::exception&) {
    // Nothing sensible to do in a destructor; the TempDir is removed anyway.
  }
}

DbConfig PrivateMariaDB::RootConfig(const std::string& dbname) const {
  DbConfig c;
  c.socket = socket_;
  c.user = "root";
  c.dbname = dbname;
  return c;
}

void PrivateMariaDB::Start() {
  if (running()) return;
  const char* env_binary = std::getenv("RECSYNC_TEST_MARIADBD");
  const std::string binary = env_binary && *env_binary ? env_binary : "/usr/sbin/mariadbd";
  std::vector<std::string> args = {
      binary,
      "--no-defaults",
      "--datadir=" + datadir_,
      "--socket=" + socket_,
      "--skip-networking",
      "--pid-file=" + dir_.Sub("mysqld.pid"),
      "--log-error=" + dir_.Sub("error.log"),
      "--innodb-buffer-pool-size=32M",
      kLogFileSize,
  };
  if (::geteuid() == 0) args.push_back("--user=root");  // mariadbd refuses root otherwise
  args.insert(args.end(), options_.server_args.begin(), options_.server_args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  // Anything the server prints before its error log is open goes here.
  const std::string out = dir_.Sub("mariadbd.out");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  // Client sockets and pipes of the test must not live on in the server.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("spawning " + binary + ": " + std::strerror(rc));
  pid_ = pid;
  // glibc 2.36 declares pidfd_open() without extern "C"; use the syscall.
  pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd_ < 0) {
    const int err = errno;
    Kill();
    throw std::runtime_error(std::string("pidfd_open: ") + std::strerror(err));
  }

  // Ready means "a client can log in", which is what tests need; until then
  // wait on the pidfd, so a server that dies is noticed at once.
  DbConfig root = RootConfig();
  CatalogOptions probe;
  probe.io_timeout = std::chrono::seconds(1);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (;;) {
    if (mysql::Open(root, probe).ok()) return;
    if (WaitExit(50)) {
      throw std::runtime_error("mariadbd exited during start-up: " + ErrorLogTail());
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      Kill();
      throw std::runtime_error("mariadbd did not accept connections within 60 s: " +
                               ErrorLogTail());
    }
  }
}

bool PrivateMariaDB::WaitExit(int ms) {
  if (!running()) return true;
  if (pidfd_ >= 0) {
    pollfd p{pidfd_, POLLIN, 0};
    int n;
    do {
      n = ::poll(&p, 1, ms);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) return false;
  } else if (ms >= 0) {
    // Only when pidfd_open failed: a non-blocking check is all we can do.
    if (::waitpid(pid_, nullptr, WNOHANG) != pid_) return false;
    pid_ = -1;
    return true;
  }
  while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
  if (pidfd_ >= 0) ::close(pidfd_);
  pidfd_ = -1;
  pid_ = -1;
  return true;
}

void PrivateMariaDB::Kill() {
  if (!running()) return;
  ::kill(pid_, SIGKILL);
  WaitExit(-1);
}

void PrivateMariaDB::Stop() {
  if (!running()) return;
  ::kill(pid_, SIGTERM);
  if (!WaitExit(30000)) Kill();
}

std::string PrivateMariaDB::ErrorLogTail() const {
  std::ifstream in(dir_.Sub("error.log"));
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
    if (lines.size() > 5) lines.erase(lines.begin());
  }
  std::string out = "last lines of " + dir_.Sub("error.log") + ":";
  for (const auto& l : lines) out += " | " + l;
  return out;
}

}  // namespace recsync::testing
