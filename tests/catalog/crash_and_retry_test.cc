// The database going away at the worst moments: mid-batch (nothing half
// done), during a call (retried until it is back), or a row lock held by
// someone else (retried once it is released). Each test has a private server,
// so killing it disturbs nobody.
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "catalog/catalog.h"
#include "tests/catalog/catalog_test_util.h"
#include "tests/support/mariadb_server.h"
#include "tests/support/test_database.h"

namespace recsync::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::vector<std::string> Paths(int n) {
  std::vector<std::string> paths;
  for (int i = 0; i < n; ++i) paths.push_back("/r/2024/02/03/000002/" + std::to_string(i) + ".mp4");
  return paths;
}

TestDatabaseOptions On(const PrivateMariaDB& server, int events_per_media = 1) {
  TestDatabaseOptions options;
  options.socket = server.socket();
  options.events_per_media = events_per_media;
  return options;
}

// Restarts `server` on its own thread once the catalog reports that it has
// noticed the outage (or the call under test is over, so that a test that
// fails never leaves the thread waiting).
class RestartOnFirstRetry {
 public:
  RestartOnFirstRetry(Catalog& catalog, PrivateMariaDB& server) {
    catalog.SetRetryHook([this](const Status& cause) {
      std::lock_guard<std::mutex> lock(mu_);
      if (retries_++ == 0) first_cause_ = cause;
      cv_.notify_all();
    });
    thread_ = std::thread([this, &server] {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return retries_ > 0 || done_; });
      if (retries_ == 0) return;
      lock.unlock();
      try {
        server.Start();
      } catch (...) {
        error_ = std::current_exception();
      }
    });
  }
  ~RestartOnFirstRetry() { Finish(); }

  // Joins the thread and rethrows its failure, if any.
  void Finish() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
      cv_.notify_all();
    }
    if (thread_.joinable()) thread_.join();
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  }
  int retries() const { return retries_; }
  const Status& first_cause() const { return first_cause_; }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int retries_ = 0;
  bool done_ = false;
  Status first_cause_;
  std::exception_ptr error_;
  std::thread thread_;
};

}  // namespace

TEST_CASE("A server killed before COMMIT leaves no half batch, and a rerun archives it") {
  PrivateMariaDB server;
  TestDatabase db(On(server, /*events_per_media=*/2));
  std::vector<int64_t> ids = db.InsertMediaBulk(Paths(50));
  const std::vector<int64_t> batch(ids.begin(), ids.end() - 1);  // the last row stays active
  auto catalog = MustConnect(db.config(), TestOptions(milliseconds(300)));

  int hook_runs = 0;
  catalog->SetBeforeCommitHook([&] {
    ++hook_runs;
    server.Kill();  // both UPDATEs are done; COMMIT never reaches the server
  });
  auto first = catalog->ArchiveBatch(batch);
  REQUIRE_FALSE(first.ok());
  CHECK(first.status().code() == Code::kUnavailable);
  CHECK(hook_runs == 1);

  server.Start();  // InnoDB crash recovery rolls the open transaction back
  CHECK(db.ArchivedMediaIds().empty());
  CHECK(db.MediaIdsWithArchivedEvents().empty());

  catalog->SetBeforeCommitHook(nullptr);
  CHECK(Must(catalog->ArchiveBatch(batch)) == batch);  // the same Catalog reconnects
  CHECK(db.ArchivedMediaIds() == batch);
  CHECK(db.MediaIdsWithArchivedEvents() == batch);
  CHECK_FALSE(db.MediaArchived(ids.back()));
}

TEST_CASE("A server killed before COMMIT of RepathRows leaves every path, and a rerun re-points") {
  PrivateMariaDB server;
  TestDatabase db(On(server));
  std::vector<int64_t> ids = db.InsertMediaBulk(Paths(20));
  auto catalog = MustConnect(db.config(), TestOptions(milliseconds(300)));
  std::vector<MediaRow> rows = Must(catalog->ActiveRowsByIds(ids));
  std::vector<std::string> to;
  for (const auto& r : rows) to.push_back(r.filepath + ".moved");

  catalog->SetBeforeCommitHook([&] { server.Kill(); });
  auto first = catalog->RepathRows(rows, to);
  REQUIRE_FALSE(first.ok());
  CHECK(first.status().code() == Code::kUnavailable);

  server.Start();
  for (size_t i = 0; i < rows.size(); ++i) CHECK(db.MediaPath(ids[i]) == rows[i].filepath);

  catalog->SetBeforeCommitHook(nullptr);
  CHECK(Must(catalog->RepathRows(rows, to)) == ids);
  for (size_t i = 0; i < rows.size(); ++i) CHECK(db.MediaPath(ids[i]) == to[i]);
}

TEST_CASE("A call made while the server is down succeeds once it is back within retry_for") {
  PrivateMariaDB server;
  TestDatabase db(On(server));
  std::vector<int64_t> ids = db.InsertMediaBulk(Paths(3));
  auto catalog = MustConnect(db.config(), TestOptions(seconds(60)));
  server.Kill();  // the catalog's connection is now dead, and so is the server
  RestartOnFirstRetry restarter(*catalog, server);

  SECTION("a read") {
    auto rows = catalog->ActiveRowsAfter(0, 10);
    restarter.Finish();
    INFO(rows.status().message());
    REQUIRE(rows.ok());
    CHECK(rows->size() == 3);
  }
  SECTION("a re-pointing") {
    std::vector<MediaRow> rows;
    for (size_t i = 0; i < ids.size(); ++i) rows.push_back({ids[i], 0, Paths(3)[i]});
    auto changed = catalog->RepathRows(rows, {"/s/0.mp4", "/s/1.mp4", "/s/2.mp4"});
    restarter.Finish();
    INFO(changed.status().message());
    REQUIRE(changed.ok());
    CHECK(*changed == ids);
    CHECK(db.MediaPath(ids[2]) == "/s/2.mp4");
  }
  SECTION("a batch") {
    auto changed = catalog->ArchiveBatch(ids);
    restarter.Finish();
    INFO(changed.status().message());
    REQUIRE(changed.ok());
    CHECK(*changed == ids);
    CHECK(db.ArchivedMediaIds() == ids);
  }
  CHECK(restarter.retries() >= 1);
  CHECK(restarter.first_cause().code() == Code::kUnavailable);
  CHECK(restarter.first_cause().message().rfind("database " + db.config().Describe(), 0) == 0);
}

TEST_CASE("A lock wait timeout is retried, and the batch goes through once the lock is free") {
  PrivateMariaDB server;  // the shortened lock wait must not reach other tests
  TestDatabase db(On(server));
  std::vector<int64_t> ids = db.InsertMediaBulk(Paths(2));
  db.Exec("SET GLOBAL innodb_lock_wait_timeout = 1");
  auto catalog = MustConnect(db.config(), TestOptions(seconds(30)));

  // Bluecherry (here: the test's connection) holds a row lock...
  db.Exec("START TRANSACTION; SELECT id FROM Media WHERE id = " + std::to_string(ids[1]) +
          " FOR UPDATE");
  int retries = 0;
  Status cause;
  catalog->SetRetryHook([&](const Status& c) {
    if (retries++ == 0) {
      cause = c;
      db.Exec("COMMIT");  // ...and lets go once recsync has timed out on it.
    }
  });
  CHECK(Must(catalog->ArchiveBatch(ids)) == ids);
  CHECK(retries == 1);
  CHECK(cause.code() == Code::kUnavailable);
  INFO(cause.message());
  CHECK(cause.message().find("Lock wait timeout") != std::string::npos);
  CHECK(db.ArchivedMediaIds() == ids);
}

}  // namespace recsync::testing
