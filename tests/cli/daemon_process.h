// A real `recsync run` process for tests: its own database, storage root,
// journal, control socket and log, driven the way an operator drives it
// (the CLI, signals, kill -9). Waits are conditions with deadlines.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"
#include "tests/support/test_database.h"

namespace recsync::testing {

struct DaemonSetup {
  // Database server socket ("" = the shared test server).
  std::string db_socket;
  bool filepath_index = false;
  // Use this directory as the storage root instead of <tmp>/rec.
  std::string storage;
};

class DaemonProcess {
 public:
  explicit DaemonProcess(DaemonSetup setup = {});
  // SIGKILL if still running.
  ~DaemonProcess();

  // Starts `recsync run` with the common flags plus `extra`, and waits until
  // it tells its NOTIFY_SOCKET (a socket of the test) READY=1, as it tells
  // systemd (fails the test with the log if it exits first).
  void Start(const std::vector<std::string>& extra = {});
  // Starts `recsync run` expecting it to fail: it must exit within
  // `deadline` without ever telling READY=1. Returns its exit code (128+n
  // when killed by signal n); the test fails if it became ready or is
  // still running at the deadline.
  int StartFails(const std::vector<std::string>& extra = {},
                 std::chrono::milliseconds deadline = std::chrono::seconds(30));
  // Waits up to `deadline` for the running daemon to exit by itself; returns
  // the exit code as Signal() does (-1 if it is still running).
  int AwaitExit(std::chrono::milliseconds deadline);
  // Sends `sig`; waits up to `deadline` for the exit; returns the exit code
  // (-1 if it did not exit, 128+n when killed by signal n).
  int Signal(int sig, std::chrono::milliseconds deadline = std::chrono::seconds(10));
  void Kill9();
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

  // Makes the daemon connect with `account` (user and password; the server
  // and database stay the test's) from its next start.
  void UseAccount(const DbConfig& account);

  // Runs `recsync <args>` with the common flags.
  ProcessResult Cli(const std::vector<std::string>& args);
  // `recsync sync`; fails the test unless it succeeds.
  void Sync(int timeout_s = 30);
  nlohmann::json Status();
  // Waits until `condition` holds for the daemon's status, or `deadline`
  // passes; returns whether it held. Each request hands the daemon the status
  // last seen and is answered once the status differs (status_watch.h), so
  // the wait wakes on changes, never on a poll interval.
  bool AwaitStatus(const std::function<bool(const nlohmann::json&)>& condition,
                   std::chrono::milliseconds deadline = std::chrono::seconds(30));
  std::string Log() const;
  // The objects `recsync journal <args...> --json` prints, one per line
  // (args include the --json); fails the test unless it succeeds.
  std::vector<nlohmann::json> JournalLines(const std::vector<std::string>& args);

  // A recording: its file under the root (relative path) and its Media row.
  std::string PathOf(const std::string& relative) const { return root + "/" + relative; }
  int64_t AddRecording(const std::string& relative);
  // Many at once (bulk insert).
  std::vector<int64_t> AddRecordings(const std::vector<std::string>& relatives);

  TempDir tmp;
  std::unique_ptr<TestDatabase> db;
  std::string root;
  std::string conf, journal, socket, log, fstab, notify;
  // The HTTP server: off unless a test asks (127.0.0.1:0 picks a free port;
  // HttpAddress() tells which).
  std::string http_listen = "off";
  std::string api_token_file;  // <tmp>/api-token, not written until a test does
  // Put before `recsync run` (e.g. setpriv to run it as another user).
  std::vector<std::string> run_wrapper;

 private:
  std::vector<std::string> Common() const;
  // Spawns `recsync run` and waits until it says READY=1 (true) or exits
  // (false; then pid_ is -1 and *exit_code is set) within `deadline`.
  bool SpawnAndAwaitReady(const std::vector<std::string>& extra,
                          std::chrono::milliseconds deadline, int* exit_code);
  pid_t pid_ = -1;
};

}  // namespace recsync::testing
