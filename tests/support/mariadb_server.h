// A MariaDB server of the test's own, for tests that crash or restart the
// database: it listens only on a unix socket in a private TempDir, so killing
// it disturbs no other test.
//
// Needs RECSYNC_TEST_MARIADB_TEMPLATE (a stopped, freshly installed datadir,
// exported by scripts/lib/mariadb.sh); copying it takes a fraction of a second
// where mariadb-install-db takes one or two. RECSYNC_TEST_MARIADBD names the
// binary (default /usr/sbin/mariadbd).
//
// Failures throw std::runtime_error with a message quoting the server's error
// log, so they fail the test that caused them, from any thread.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "tests/support/temp_dir.h"

namespace recsync::testing {

struct PrivateMariaDBOptions {
  // mariadbd options given after the helper's own (so a later one wins), as
  // a my.cnf's [mysqld] section would: "--sql-mode=" for a server with the
  // old non-strict default, "--innodb-lock-wait-timeout=1", ...
  std::vector<std::string> server_args;
  // An existing directory to hold the datadir (a small tmpfs, to fill the
  // server's disk); empty: the server's own TempDir.
  std::string datadir_parent;
};

class PrivateMariaDB {
 public:
  // Copies the template datadir and starts the server.
  explicit PrivateMariaDB(PrivateMariaDBOptions options = {});
  // Stops the server if it runs; the TempDir goes with it.
  ~PrivateMariaDB();
  PrivateMariaDB(const PrivateMariaDB&) = delete;
  PrivateMariaDB& operator=(const PrivateMariaDB&) = delete;

  // Starts mariadbd on the datadir and returns once it accepts connections
  // (or throws, after at most a minute, or as soon as the server exits).
  // Crash recovery after Kill() happens here. Callable from any thread, but
  // not concurrently with the other methods.
  void Start();
  // SIGKILL, then reaps: a crash, as far as InnoDB is concerned.
  void Kill();
  // SIGTERM, then SIGKILL if the server has not exited within 30 s.
  void Stop();

  bool running() const { return pid_ > 0; }
  const std::string& socket() const { return socket_; }
  // root (no password) over the socket, for database `dbname`.
  DbConfig RootConfig(const std::string& dbname = "") const;

 private:
  // Waits up to `ms` for the server to exit; true if it did (and was reaped).
  bool WaitExit(int ms);
  std::string ErrorLogTail() const;

  PrivateMariaDBOptions options_;
  TempDir dir_;
  std::string datadir_;
  std::string socket_;
  pid_t pid_ = -1;
  int pidfd_ = -1;  // becomes readable when the server exits
};

}  // namespace recsync::testing
