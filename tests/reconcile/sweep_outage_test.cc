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
