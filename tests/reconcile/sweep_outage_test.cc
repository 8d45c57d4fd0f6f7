// The database dying in the middle of a sweep: no half batch, and a rerun
// completes the job.
#include <atomic>
#include <set>

#include "tests/reconcile/sweep_fixture.h"
#include "tests/support/mariadb_server.h"

using namespace recsync;
using namespace recsync::testing;

TEST_CASE("the database killed mid-sweep leaves no half batch and a rerun completes") {
  PrivateMariaDB server;
  SweepFixture f;
  TestDatabaseOptions db_options;
  db_options.socket = server.socket();
  TestDatabase db(db_options);
  std::vector<int64_t> gone;
  std::set<int64_t> all;
  for (int i = 0; i < 12; ++i) {
    const std::string path = f.RecordingPath("10-00-" + std::to_string(10 + i) + ".mp4");
    if (i % 2 == 0) WriteFile(path, "v");
    const int64_t id = db.InsertMedia(path, std::time(nullptr) - 86400, 1);
    all.insert(id);
    if (i % 2 == 1) gone.push_back(id);
  }
  auto options = f.Options();
  options.batch_size = 2;  // 6 missing rows: 3 batches

  {
    auto catalog = f.Connect(db.config());
    auto journal = f.OpenJournal();
    int commits = 0;
    catalog->SetBeforeCommitHook([&] {
      if (++commits == 2) server.Kill();  // the second batch never commits
    });
    Sweeper sweeper(*catalog, *journal, MakeRealDisk(f.tmp.Sub("fstab")), f.clock);
    auto report = sweeper.Run(options);
    REQUIRE_FALSE(report.ok());
    CHECK(report.status().code() == Code::kUnavailable);
  }

  server.Start();
  // Exactly the first batch is archived, in both tables; nothing of the second.
  auto archived = db.ArchivedMediaIds();
  CHECK(archived.size() == 2);
  for (int64_t id : all) CHECK(db.EventsArchivedFor(id) == db.MediaArchived(id));
  auto journal = f.OpenJournal();
  CHECK(journal->ListActions({})->size() == 2);
  auto sweeps = journal->ListSweeps(1);
  REQUIRE(sweeps->size() == 1);
  CHECK((*sweeps)[0].outcome == "error");
  journal.reset();

  auto catalog = f.Connect(db.config());
  journal = f.OpenJournal();
  Sweeper sweeper(*catalog, *journal, MakeRealDisk(f.tmp.Sub("fstab")), f.clock);
  auto rerun = sweeper.Run(options);
  REQUIRE(rerun.ok());
  CHECK(rerun->archived() == 4);
  auto now = db.ArchivedMediaIds();
  CHECK(std::set<int64_t>(now.begin(), now.end()) == std::set<int64_t>(gone.begin(), gone.end()));
  for (int64_t id : all) CHECK(db.EventsArchivedFor(id) == db.MediaArchived(id));
  CHECK(journal->ListActions({})->size() == 6);
}

TEST_CASE("killed while archiving on two connections, only whole batches stay and a rerun completes") {
  PrivateMariaDB server;
  SweepFixture f;
  TestDatabaseOptions db_options;
  db_options.socket = server.socket();
  TestDatabase db(db_options);
  std::set<int64_t> gone;
  std::set<int64_t> all;
  for (int i = 0; i < 30; ++i) {
    const std::string path = f.RecordingPath("12-00-" + std::to_string(10 + i) + ".mp4");
    if (i % 3 == 0) WriteFile(path, "v");
    const int64_t id = db.InsertMedia(path, std::time(nullptr) - 86400, 1);
    all.insert(id);
    if (i % 3 != 0) gone.insert(id);
  }
  auto options = f.Options();
  options.batch_size = 2;  // 20 missing rows: 10 batches, so two connections
  options.max_missing_ratio = 1;

  {
    auto catalog = f.Connect(db.config());
    auto journal = f.OpenJournal();
    std::atomic<int> commits{0};  // both connections call it
    catalog->SetBeforeCommitHook([&] {
      if (++commits == 4) server.Kill();
    });
    Sweeper sweeper(*catalog, *journal, MakeRealDisk(f.tmp.Sub("fstab")), f.clock);
    auto report = sweeper.Run(options);
    REQUIRE_FALSE(report.ok());
    CHECK(report.status().code() == Code::kUnavailable);
  }

  server.Start();
  // Each batch committed whole or not at all, in both tables; the audit
  // trail names exactly the rows that were archived.
  auto archived = db.ArchivedMediaIds();
  CHECK(archived.size() % 2 == 0);
  CHECK(archived.size() < gone.size());
  for (int64_t id : archived) CHECK(gone.count(id) == 1);
  for (int64_t id : all) CHECK(db.EventsArchivedFor(id) == db.MediaArchived(id));
  auto journal = f.OpenJournal();
  std::set<int64_t> audited;
  auto first_actions = journal->ListActions({});
  REQUIRE(first_actions.ok());
  for (const auto& a : *first_actions) audited.insert(a.media_id);
  CHECK(audited == std::set<int64_t>(archived.begin(), archived.end()));
  journal.reset();

  auto catalog = f.Connect(db.config());
  journal = f.OpenJournal();
  Sweeper sweeper(*catalog, *journal, MakeRealDisk(f.tmp.Sub("fstab")), f.clock);
  auto rerun = sweeper.Run(options);
  REQUIRE(rerun.ok());
  auto now = db.ArchivedMediaIds();
  CHECK(std::set<int64_t>(now.begin(), now.end()) == gone);
  for (int64_t id : all) CHECK(db.EventsArchivedFor(id) == db.MediaArchived(id));
  std::multiset<int64_t> audited_once;
  auto actions = journal->ListActions({});
  REQUIRE(actions.ok());
  for (const auto& a : *actions) audited_once.insert(a.media_id);
  CHECK(audited_once == std::multiset<int64_t>(gone.begin(), gone.end()));
}
