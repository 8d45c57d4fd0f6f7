// What a running sweep publishes about itself (reconcile/sweep_progress.h):
// the figures a progress bar shows move forward phase by phase, and the last
// ones are the report's.
#include <mutex>
#include <optional>

#include "reconcile/sweep_progress.h"
#include "tests/reconcile/sweep_fixture.h"
#include "tests/support/hooked_disk.h"

using namespace recsync;
using namespace recsync::testing;

TEST_CASE_METHOD(SweepFixture,
                 "a sweep's progress moves forward and ends at its report's figures") {
  constexpr int kRows = 10000;
  // The missing files are the last rows': they are found only once the rows
  // have all streamed, so nothing is archived before the archive phase.
  AddManyRecordings(kRows, 4, [](int i) { return i < 9000; });
  SweepOptions o = Options();
  o.batch_size = 500;
  SweepProgress progress;
  o.progress = &progress;
  std::optional<SweepProgressSnapshot> at_begin, at_first_listing, at_first_recheck;
  o.on_begun = [&](int64_t) { at_begin = progress.Snapshot(); };
  std::mutex mu;
  // Taken by the threads that list the folders (during the check) and check
  // the missing files again (before each batch is archived).
  auto first = [&mu, &progress](std::optional<SweepProgressSnapshot>* slot) {
    return [&mu, &progress, slot](const std::string&) {
      std::lock_guard lock(mu);
      if (!*slot) *slot = progress.Snapshot();
    };
  };
  auto disk = std::make_shared<HookedDisk>(tmp.Sub("fstab"), first(&at_first_listing),
                                           first(&at_first_recheck));

  auto report = Sweep(o, disk);
  REQUIRE(report.ok());
  REQUIRE(report->archived() == 1000);

  // Recorded in the journal, nothing read yet.
  REQUIRE(at_begin);
  CHECK(at_begin->phase == SweepPhase::kStarting);
  CHECK(at_begin->sweep_id == report->sweep_id);
  CHECK(at_begin->rows_seen == 0);

  // A folder is first listed once a lister has a chunk of 4096 rows: by then
  // the rows seen were published, and the rows to come estimated.
  REQUIRE(at_first_listing);
  CHECK(at_first_listing->phase == SweepPhase::kChecking);
  CHECK(at_first_listing->rows_seen >= 4096);
  CHECK(at_first_listing->rows_seen < kRows);
  CHECK(at_first_listing->rows_expected >= kRows * 9 / 10);
  CHECK(at_first_listing->rows_expected <= kRows * 11 / 10);

  // Every row read and checked; the first batch not archived yet.
  REQUIRE(at_first_recheck);
  CHECK(at_first_recheck->phase == SweepPhase::kArchiving);
  CHECK(at_first_recheck->rows_seen == kRows);
  CHECK(at_first_recheck->rows_expected == kRows);
  CHECK(at_first_recheck->missing == 1000);
  CHECK(at_first_recheck->archived == 0);

  const SweepProgressSnapshot end = progress.Snapshot();
  CHECK(end.phase == SweepPhase::kFinishing);
  CHECK(end.sweep_id == report->sweep_id);
  CHECK(end.rows_seen == kRows);
  CHECK(end.rows_expected == kRows);
  REQUIRE(report->roots.size() == 1);
  CHECK(end.folders_listed == report->roots[0].folders_listed);
  CHECK(end.folders_listed == 4);
  CHECK(end.missing == report->missing());
  CHECK(end.archived == report->archived());
  CHECK(end.would_archive == 0);
}

TEST_CASE_METHOD(SweepFixture, "a dry run's progress counts the rows it would archive") {
  for (int i = 0; i < 6; ++i) AddRecording("12-00-0" + std::to_string(i) + ".mp4");
  RemoveFile(RecordingPath("12-00-01.mp4"));
  RemoveFile(RecordingPath("12-00-04.mp4"));
  SweepOptions o = Options();
  o.dry_run = true;
  SweepProgress progress;
  o.progress = &progress;

  auto report = Sweep(o);
  REQUIRE(report.ok());
  const SweepProgressSnapshot end = progress.Snapshot();
  CHECK(end.rows_seen == 6);
  CHECK(end.missing == 2);
  CHECK(end.archived == 0);
  CHECK(end.would_archive == report->would_archive);
  CHECK(end.would_archive == 2);
}
