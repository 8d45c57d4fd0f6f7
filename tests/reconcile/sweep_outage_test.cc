// The database dying in the middle of a sweep: no half batch, and a rerun
// completes the job.
#include <atomic>
#include <set>

#include "tests/reconcile/sweep_fixture.h"
#include "tests/support/mariadb_server.h"

using namespace recsync;
using namespace recsync::testing;

namespace {

// Recordings whose rows live on a private server the test can kill.
struct Outage {
  Outage() : db(OnServer(server)) {}

  static TestDatabaseOptions OnServer(const PrivateMariaDB& server) {
    TestDatabaseOptions o;
    o.socket = server.socket();
    return o;
  }

  // `n` day-old recordings named after `prefix`; every `keep_every`-th
  // (from the first) keeps its file, the others are gone.
  void AddRecordings(int n, int keep_every, const std::string& prefix) {
    for (int i = 0; i < n; ++i) {
      const std::string path = f.RecordingPath(prefix + std::to_string(10 + i) + ".mp4");
      if (i % keep_every == 0) WriteFile(path, "v");
      const int64_t id = db.InsertMedia(path, std::time(nullptr) - 86400, 1);
      all.insert(id);
      if (i % keep_every != 0) gone.insert(id);
    }
  }

  // A sweep whose `kill_at`-th catalog commit (on any connection) kills the
  // server first; it must fail as unavailable. The server is started again.
  void SweepKilledAt(int kill_at, const SweepOptions& options) {
    {
      auto catalog = f.Connect(db.config());
      auto journal = f.OpenJournal();
      std::atomic<int> commits{0};
      catalog->SetBeforeCommitHook([&] {
        if (++commits == kill_at) server.Kill();
      });
      Sweeper sweeper(*catalog, *journal, MakeRealDisk(f.tmp.Sub("fstab")), f.clock);
      auto report = sweeper.Run(options);
      REQUIRE_FALSE(report.ok());
      CHECK(report.status().code() == Code::kUnavailable);
    }
    server.Start();
  }

  // A second sweep, on a live server; its report, and the journal it used.
  std::pair<Result<SweepReport>, std::unique_ptr<Journal>> Rerun(const SweepOptions& options) {
    auto catalog = f.Connect(db.config());
    auto journal = f.OpenJournal();
    Sweeper sweeper(*catalog, *journal, MakeRealDisk(f.tmp.Sub("fstab")), f.clock);
    auto report = sweeper.Run(options);
    return {std::move(report), std::move(journal)};
  }

  PrivateMariaDB server;
  SweepFixture f;
  TestDatabase db;
  std::set<int64_t> all;
  std::set<int64_t> gone;
};

}  // namespace

TEST_CASE("the database killed mid-sweep leaves no half batch and a rerun completes") {
  Outage o;
  o.AddRecordings(12, 2, "10-00-");
  auto options = o.f.Options();
  options.batch_size = 2;  // 6 missing rows: 3 batches
  o.SweepKilledAt(2, options);  // the second batch never commits

  // Exactly the first batch is archived, in both tables; nothing of the second.
  auto archived = o.db.ArchivedMediaIds();
  CHECK(archived.size() == 2);
  for (int64_t id : o.all) CHECK(o.db.EventsArchivedFor(id) == o.db.MediaArchived(id));
  auto journal = o.f.OpenJournal();
  CHECK(journal->ListActions({})->size() == 2);
  auto sweeps = journal->ListSweeps(1);
  REQUIRE(sweeps->size() == 1);
  CHECK((*sweeps)[0].outcome == "error");
  journal.reset();

  auto [rerun, rerun_journal] = o.Rerun(options);
  REQUIRE(rerun.ok());
  CHECK(rerun->archived() == 4);
  auto now = o.db.ArchivedMediaIds();
  CHECK(std::set<int64_t>(now.begin(), now.end()) == o.gone);
  for (int64_t id : o.all) CHECK(o.db.EventsArchivedFor(id) == o.db.MediaArchived(id));
  CHECK(rerun_journal->ListActions({})->size() == 6);
}

TEST_CASE("killed while archiving on two connections, only whole batches stay and a rerun completes") {
  Outage o;
  o.AddRecordings(30, 3, "12-00-");
  auto options = o.f.Options();
  options.batch_size = 2;  // 20 missing rows: 10 batches, so two connections
  options.max_missing_ratio = 1;
  o.SweepKilledAt(4, options);

  // Each batch committed whole or not at all, in both tables.
  auto archived = o.db.ArchivedMediaIds();
  CHECK(archived.size() % 2 == 0);
  CHECK(archived.size() < o.gone.size());
  for (int64_t id : archived) CHECK(o.gone.count(id) == 1);
  for (int64_t id : o.all) CHECK(o.db.EventsArchivedFor(id) == o.db.MediaArchived(id));
  // The journal traces every archived row: a confirmed action, or, for the
  // batch whose COMMIT the other connection had in flight when the server
  // died (it may have landed without its answer), an unconfirmed intent.
  // No confirmed action names a row that is not archived.
  auto journal = o.f.OpenJournal();
  const std::set<int64_t> now_archived(archived.begin(), archived.end());
  std::set<int64_t> traced;
  auto first_actions = journal->ListActions({});
  REQUIRE(first_actions.ok());
  for (const auto& a : *first_actions) {
    CHECK(now_archived.count(a.media_id) == 1);
    traced.insert(a.media_id);
  }
  auto intents = journal->Intents();
  REQUIRE(intents.ok());
  for (const auto& a : *intents) traced.insert(a.media_id);
  for (int64_t id : archived) CHECK(traced.count(id) == 1);
  journal.reset();

  // The rerun settles those intents first, as `recsync sweep` and the daemon do.
  options.settle_intents_before_ms = o.f.clock.NowMs();
  auto [rerun, rerun_journal] = o.Rerun(options);
  REQUIRE(rerun.ok());
  auto now = o.db.ArchivedMediaIds();
  CHECK(std::set<int64_t>(now.begin(), now.end()) == o.gone);
  for (int64_t id : o.all) CHECK(o.db.EventsArchivedFor(id) == o.db.MediaArchived(id));
  std::multiset<int64_t> audited_once;
  auto actions = rerun_journal->ListActions({});
  REQUIRE(actions.ok());
  for (const auto& a : *actions) audited_once.insert(a.media_id);
  CHECK(audited_once == std::multiset<int64_t>(o.gone.begin(), o.gone.end()));
}
