// An operator's cancel (SweepOptions::operator_cancel): the sweep stops
// between batches, keeps what it archived, reports it, and is recorded as
// cancelled; the rows it did not reach stay active.
#include <condition_variable>
#include <mutex>
#include <set>

#include "reconcile/sweep_report.h"
#include "tests/reconcile/sweep_fixture.h"
#include "tests/support/hooked_disk.h"

using namespace recsync;
using namespace recsync::testing;

namespace {

std::string Name(int i) { return "13-00-" + std::to_string(10 + i) + ".mp4"; }

}  // namespace

TEST_CASE_METHOD(SweepFixture,
                 "an operator's cancel keeps the batches archived before it and the rest active") {
  std::vector<int64_t> ids;
  for (int i = 0; i < 12; ++i) ids.push_back(AddRecording(Name(i), 1 + i % 3));
  // Nine files gone: three batches of three, in id order.
  for (int i = 0; i < 9; ++i) RemoveFile(RecordingPath(Name(i), 1 + i % 3));
  SweepOptions o = Options();  // batch_size 3
  o.max_missing_ratio = 1.0;
  std::atomic<bool> cancel{false};
  o.operator_cancel = &cancel;
  SweepProgress progress;
  o.progress = &progress;

  // The operator cancels while the second batch commits; the third batch's
  // files are checked again only after that, so the cancel falls between
  // the second batch and the third whatever the threads' pace.
  std::mutex mu;
  std::condition_variable cancelled;
  int commits = 0;  // the lane's thread
  auto catalog = Connect(db.config());
  catalog->SetBeforeCommitHook([&] {
    if (++commits != 2) return;
    std::lock_guard lock(mu);
    cancel = true;
    cancelled.notify_all();
  });
  const std::string third_batch = RecordingPath(Name(6), 1 + 6 % 3);
  auto disk = std::make_shared<HookedDisk>(tmp.Sub("fstab"), nullptr, [&](const std::string& path) {
    if (path != third_batch) return;
    std::unique_lock lock(mu);
    cancelled.wait_for(lock, std::chrono::seconds(3), [&] { return cancel.load(); });
  });
  auto journal = OpenJournal();
  Sweeper sweeper(*catalog, *journal, disk, clock);
  auto report = sweeper.Run(o);

  REQUIRE(report.ok());
  CHECK(report->cancelled);
  CHECK(report->incomplete());
  CHECK(report->missing() == 9);
  CHECK(report->archived() == 6);
  const std::set<int64_t> first_two(ids.begin(), ids.begin() + 6);
  auto archived = db.ArchivedMediaIds();
  CHECK(std::set<int64_t>(archived.begin(), archived.end()) == first_two);
  for (int i = 6; i < 9; ++i) CHECK_FALSE(db.MediaArchived(ids[i]));
  std::set<int64_t> listed;
  for (const auto& row : report->archived_rows) listed.insert(row.id);
  CHECK(listed == first_two);
  CHECK(progress.Snapshot().archived == 6);

  // Recorded as cancelled, with what it did; the audit trail names each row.
  auto sweeps = journal->ListSweeps(10);
  REQUIRE(sweeps.ok());
  REQUIRE(sweeps->size() == 1);
  const SweepRecord& rec = (*sweeps)[0];
  CHECK(rec.id == report->sweep_id);
  CHECK(rec.outcome == "cancelled");
  CHECK(rec.archived == 6);
  CHECK(rec.finished_ms > 0);
  auto stored = nlohmann::json::parse(rec.report_json);
  CHECK(stored["cancelled"] == true);
  auto actions = journal->ListActions({});
  REQUIRE(actions.ok());
  CHECK(actions->size() == 6);
  CHECK(journal->Intents()->empty());
}

TEST_CASE_METHOD(SweepFixture, "a sweep cancelled before it reads a row archives nothing") {
  for (int i = 0; i < 4; ++i) AddRecording(Name(i));
  RemoveFile(RecordingPath(Name(1)));
  SweepOptions o = Options();
  std::atomic<bool> cancel{true};
  o.operator_cancel = &cancel;

  auto report = Sweep(o);
  REQUIRE(report.ok());
  CHECK(report->cancelled);
  CHECK(report->checked() == 0);
  CHECK(report->archived() == 0);
  CHECK(db.ArchivedMediaIds().empty());
  auto sweeps = OpenJournal()->ListSweeps(1);
  REQUIRE(sweeps.ok());
  REQUIRE(sweeps->size() == 1);
  CHECK((*sweeps)[0].outcome == "cancelled");

  // A later sweep is not affected: it finds the file gone.
  cancel = false;
  auto next = Sweep(o);
  REQUIRE(next.ok());
  CHECK_FALSE(next->cancelled);
  CHECK(next->archived() == 1);
}
