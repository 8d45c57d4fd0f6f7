// A server that refuses writes for now (read-only, a privilege taken away, a
// full disk, a row lock held too long) is an outage, not a verdict: the call
// is retried for retry_for and then fails with kUnavailable, as it would for
// an unreachable server; it goes through once the server is mended; and its
// message says what the server said and what to do. Root bypasses read_only
// and holds every privilege, so a plain account writes where that matters.
#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "tests/catalog/catalog_test_util.h"
#include "tests/support/mariadb_server.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_database.h"
#include "tests/support/test_user.h"

namespace recsync::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Where the settings claim to come from; the fixes must name it.
const char kConf[] = "/srv/custom/bluecherry.conf";

TestDatabaseOptions On(const PrivateMariaDB& server) {
  TestDatabaseOptions options;
  options.socket = server.socket();
  return options;
}

DbConfig FromConf(DbConfig config) {
  config.source = kConf;
  return config;
}

std::vector<MediaRow> RowsOf(const std::vector<int64_t>& ids,
                             const std::vector<std::string>& paths) {
  std::vector<MediaRow> rows;
  for (size_t i = 0; i < ids.size(); ++i) rows.push_back({ids[i], 1700000000, paths[i]});
  return rows;
}

// Runs the retry hook's `mend` once, on the first retry, and keeps what that
// retry reported.
struct MendOnFirstRetry {
  MendOnFirstRetry(Catalog& catalog, std::function<void()> mend) {
    catalog.SetRetryHook([this, mend = std::move(mend)](const Status& cause) {
      if (retries++ == 0) {
        first_cause = cause;
        mend();
      }
    });
  }
  int retries = 0;
  Status first_cause;
};

}  // namespace

TEST_CASE("A read-only server is waited for, and written once it is writable again") {
  PrivateMariaDB server;  // read_only is global: no other test may see it
  TestDatabase db(On(server));
  TestUser user(db);
  const std::vector<std::string> paths = {"/r/a.mp4", "/r/b.mp4"};
  const std::vector<int64_t> ids = db.InsertMediaBulk(paths);
  const DbConfig config = FromConf(user.config());
  db.Exec("SET GLOBAL read_only = 1");
  const std::string said = "database " + config.Describe() +
                           ": archiving Media rows: the server is read-only (read_only=1): ";
  const std::string fix =
      "(error 1290); make it writable (SET GLOBAL read_only=0) or point host in " +
      std::string(kConf) + " at the primary";

  SECTION("given up after retry_for, with nothing written") {
    auto catalog = MustConnect(config, TestOptions(milliseconds(300)));
    CHECK(Must(catalog->ActiveRowsAfter(0, 10)).size() == 2);  // reads go on as before
    auto archived = catalog->ArchiveBatch(ids);
    REQUIRE_FALSE(archived.ok());
    INFO(archived.status().message());
    CHECK(archived.status().code() == Code::kUnavailable);
    CHECK(archived.status().message().rfind(said, 0) == 0);
    CHECK_THAT(archived.status().message(), Catch::Contains(fix));
    CHECK_THAT(archived.status().message(), Catch::Contains("gave up archiving Media rows after"));
    auto repathed = catalog->RepathRows(RowsOf({ids[0]}, {paths[0]}), {"/s/a.mp4"});
    REQUIRE_FALSE(repathed.ok());
    CHECK(repathed.status().code() == Code::kUnavailable);
    CHECK(db.ArchivedMediaIds().empty());
    CHECK(db.MediaPath(ids[0]) == paths[0]);
  }
  SECTION("retried until the server is writable") {
    auto catalog = MustConnect(config, TestOptions(seconds(30)));
    MendOnFirstRetry mend(*catalog, [&] { db.Exec("SET GLOBAL read_only = 0"); });
    CHECK(Must(catalog->ArchiveBatch(ids)) == ids);
    CHECK(mend.retries == 1);
    CHECK(mend.first_cause.code() == Code::kUnavailable);
    CHECK(mend.first_cause.message().rfind(said, 0) == 0);
    CHECK(db.ArchivedMediaIds() == ids);
  }
}

TEST_CASE("A missing UPDATE privilege is waited for, and written once it is granted") {
  TestDatabase db;  // grants belong to one account: the shared server will do
  const std::vector<std::string> paths = {"/r/a.mp4", "/r/b.mp4"};
  const std::vector<int64_t> ids = db.InsertMediaBulk(paths);

  SECTION("revoked while recsync is connected: given up after retry_for") {
    TestUser user(db);
    const DbConfig config = FromConf(user.config());
    auto catalog = MustConnect(config, TestOptions(milliseconds(300)));
    user.Revoke("UPDATE");
    auto archived = catalog->ArchiveBatch(ids);
    REQUIRE_FALSE(archived.ok());
    const std::string message = archived.status().message();
    INFO(message);
    CHECK(archived.status().code() == Code::kUnavailable);
    CHECK(message.rfind("database " + config.Describe() +
                            ": archiving Media rows: the user lacks a privilege recsync needs: "
                            "UPDATE command denied to user '" + user.name() + "'",
                        0) == 0);
    CHECK_THAT(message, Catch::Contains("(error 1142); grant the user SELECT and UPDATE on " +
                                        db.name() + ".*"));
    CHECK(db.ArchivedMediaIds().empty());
  }
  SECTION("never granted: retried until it is") {
    TestUser user(db, "SELECT");
    auto catalog = MustConnect(FromConf(user.config()), TestOptions(seconds(30)));
    MendOnFirstRetry mend(*catalog, [&] { user.Grant("UPDATE"); });
    const std::vector<int64_t> changed =
        Must(catalog->RepathRows(RowsOf(ids, paths), {"/s/a.mp4", "/s/b.mp4"}));
    CHECK(changed == ids);
    CHECK(mend.retries == 1);
    CHECK(mend.first_cause.code() == Code::kUnavailable);
    CHECK_THAT(mend.first_cause.message(), Catch::Contains("(error 1142)"));
    CHECK(db.MediaPath(ids[1]) == "/s/b.mp4");
  }
}

TEST_CASE("A row lock held past retry_for gives kUnavailable naming the lock, nothing written") {
  PrivateMariaDB server(PrivateMariaDBOptions{{"--innodb-lock-wait-timeout=1"}, ""});
  TestDatabase db(On(server));
  const std::vector<int64_t> ids = db.InsertMediaBulk({"/r/a.mp4", "/r/b.mp4"});
  auto catalog = MustConnect(db.config(), TestOptions(milliseconds(1500)));
  // Bluecherry (here: the test's connection) holds a row lock throughout.
  db.Exec("START TRANSACTION; SELECT id FROM Media WHERE id = " + std::to_string(ids[1]) +
          " FOR UPDATE");
  auto archived = catalog->ArchiveBatch(ids);
  db.Exec("COMMIT");
  REQUIRE_FALSE(archived.ok());
  INFO(archived.status().message());
  CHECK(archived.status().code() == Code::kUnavailable);
  CHECK(archived.status().message().rfind(
            "database " + db.config().Describe() +
                ": archiving Media rows: another transaction held a lock on these rows for longer "
                "than innodb_lock_wait_timeout: Lock wait timeout exceeded",
            0) == 0);
  CHECK_THAT(archived.status().message(),
             Catch::Contains("(error 1205); if this persists, look for a long transaction in "
                             "information_schema.INNODB_TRX"));
  CHECK(db.ArchivedMediaIds().empty());
}

namespace {

// A tmpfs of `size` at `dir` for the scope (needs root; ok() says whether it
// is mounted), lazily unmounted at the end, after whatever used it.
class SmallDisk {
 public:
  SmallDisk(const std::string& dir, const std::string& size) : dir_(dir) {
    MakeDirs(dir);
    mounted_ = ::mount("tmpfs", dir.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
  }
  ~SmallDisk() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  bool ok() const { return mounted_; }
  const std::string& path() const { return dir_; }

 private:
  std::string dir_;
  bool mounted_ = false;
};

// One file that takes every free byte of its filesystem, until Free().
class Filler {
 public:
  explicit Filler(const std::string& path) : path_(path) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    const std::string chunk(1 << 16, 'f');
    ssize_t n = 0;
    while ((n = ::write(fd, chunk.data(), chunk.size())) > 0) {
    }
    const int err = errno;
    ::close(fd);
    REQUIRE(n < 0);
    REQUIRE(err == ENOSPC);
  }
  ~Filler() { Free(); }
  void Free() { ::unlink(path_.c_str()); }

 private:
  std::string path_;
};

}  // namespace

TEST_CASE("A full disk on the server is waited for, and written once there is room") {
  if (::geteuid() != 0) {
    WARN("skipped: filling a database server's disk needs a tmpfs, which needs root");
    return;
  }
  TempDir tmp;
  SmallDisk disk(tmp.Sub("disk"), "96m");  // the datadir's copy takes about 50 MB of it
  REQUIRE(disk.ok());
  PrivateMariaDB server(PrivateMariaDBOptions{{}, disk.path()});
  TestDatabase db(On(server));
  std::vector<std::string> paths, longer;
  for (int i = 0; i < 200; ++i) {
    paths.push_back(RecordingPath(i));
    longer.push_back(paths.back() + "/" + std::string(1000 - paths.back().size(), 'y'));
  }
  const std::vector<int64_t> ids = db.InsertMediaBulk(paths);
  const std::string said = "database " + db.config().Describe() +
                           ": re-pointing Media rows: the database server's disk is full: ";
  const std::string fix = "; free space where it keeps its data (datadir, tmpdir)";
  // Rows this much longer need pages the full disk has no room for.
  Filler filler(disk.path() + "/filler");

  SECTION("given up after retry_for, with nothing written") {
    auto catalog = MustConnect(db.config(), TestOptions(milliseconds(300)));
    auto changed = catalog->RepathRows(RowsOf(ids, paths), longer);
    REQUIRE_FALSE(changed.ok());
    INFO(changed.status().message());
    CHECK(changed.status().code() == Code::kUnavailable);
    CHECK(changed.status().message().rfind(said, 0) == 0);
    CHECK_THAT(changed.status().message(), Catch::Contains(fix));
    for (size_t i = 0; i < ids.size(); ++i) CHECK(db.MediaPath(ids[i]) == paths[i]);
  }
  SECTION("retried until there is room") {
    auto catalog = MustConnect(db.config(), TestOptions(seconds(30)));
    MendOnFirstRetry mend(*catalog, [&] { filler.Free(); });
    CHECK(Must(catalog->RepathRows(RowsOf(ids, paths), longer)) == ids);
    CHECK(mend.retries == 1);
    CHECK(mend.first_cause.message().rfind(said, 0) == 0);
    for (size_t i = 0; i < ids.size(); ++i) CHECK(db.MediaPath(ids[i]) == longer[i]);
  }
}

}  // namespace recsync::testing
