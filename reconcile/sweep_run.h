// SweepRun: one run of Sweeper::Run, internal to reconcile/sweep*.cc. Its
// phases, in order:
//   1. roots: the configured ones assessed (online, offline, suspect);
//   2. check: the active rows streamed in id order (on two connections,
//      catalog/row_stream.h), each placed under a root (folder_placer.h)
//      and checked by the root's listers (sweep_check.h), then the guards;
//   3. archive: per root, batches re-checked and archived (sweep_archive.cc)
//      on one or two lanes (archive_lanes.h); for a root the guards can no
//      longer refuse, this begins during 2, on lanes of its own;
//   (after 2: the folder listings to reuse next time, listing_cache.h)
//   4. finish: the roots' baselines and the sweep's record in the journal.
// Any catalog or journal error ends the run through Fail(), which records
// the sweep as failed with the figures so far.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "common/clock.h"
#include "common/hash.h"
#include "journal/journal.h"
#include "fs/disk.h"
#include "reconcile/archive_lanes.h"
#include "reconcile/folder_placer.h"
#include "reconcile/listing_cache.h"
#include "reconcile/root_assessor.h"
#include "reconcile/storage_root.h"
#include "reconcile/sweep.h"
#include "reconcile/sweep_check.h"
#include "reconcile/sweep_progress.h"

namespace recsync::sweep_internal {

class SweepRun {
 public:
  SweepRun(Catalog& catalog, Journal& journal, std::shared_ptr<DiskInterface> disk,
           const Clock& clock, const SweepOptions& options);

  Result<SweepReport> Run();

 private:

  // Records the sweep as failed, with the figures so far; returns `status`.
  Status Fail(const Status& status);
  // Ends the run on `status`, an error from one of its steps: a cancel by an
  // operator as cancelled (EndCancelled), anything else through Fail().
  Result<SweepReport> End(const Status& status);
  // Records the sweep as cancelled, with the figures so far, and returns
  // its report.
  Result<SweepReport> EndCancelled();
  // Why the sweep must stop now: operator_stop_ when an operator cancelled
  // it, cancelled_ when recsync is stopping; Ok to go on.
  Status StopReason() const;
  bool IsOperatorStop(const Status& status) const {
    return !status.ok() && status.code() == operator_stop_.code() &&
           status.message() == operator_stop_.message();
  }

  // Publishes the figures so far in `phase` to opt_.progress, if any
  // (sweep_progress.h). Sums over the roots: called per phase, per few
  // thousand rows and per batch, never per row.
  void Publish(SweepPhase phase);
  // Estimates the rows still to come from `row`, the latest streamed.
  void EstimateRows(const MediaRowView& row);

  // The configured roots (the first of works_).
  std::span<const std::unique_ptr<RootWork>> Configured() const {
    return {works_.data(), configured_count_};
  }

  // 1. roots
  Status AddConfiguredRoots();
  Status LoadDeletions();
  Result<RootWork*> AddRoot(const std::string& path, bool configured);
  // Why root `w` no longer looks as it did at the start ("" when it does).
  std::string LayoutChange(const RootWork& w) const;

  // 2. check
  void VerifyRemembered();  // starts it; the first row waits for it
  void FinishVerifying();
  Status CheckAll();
  bool Take(const MediaRowView& row);  // the row stream's callback, in id order

  // 3. archive (sweep_archive.cc)
  // Archives root `w`'s missing rows during the check, at most `rows_left`
  // rows before the stream ends, when that is safe (MayArchiveEarly) and a
  // full batch is waiting; never waits.
  void ArchiveEarly(RootWork& w, int64_t rows_left);
  Status ArchiveAll();
  // Sends root `w`'s next batches to the lanes: with `wait`, all of them;
  // without, only full batches, and only while a lane is free.
  void Archive(RootWork& w, bool wait);
  // Root `w`'s next batch of candidates checked again, with its storage
  // unchanged: the rows still missing. nullopt: no batch is ready, or the
  // root went offline.
  std::optional<std::vector<MediaRow>> RecheckedBatch(RootWork& w, bool wait);

  void RememberListings();
  void SaveListings();

  // 4. finish
  // Failed events are looked at, at most, per sweep.
  static constexpr int64_t kFailedChecked = 100;
  Status ClearSettledFailures();
  Status Finish();

  Catalog& catalog_;
  Journal& journal_;
  std::shared_ptr<DiskInterface> disk_;
  const Clock& clock_;
  const SweepOptions& opt_;
  const std::chrono::steady_clock::time_point started_;
  const Status cancelled_;
  const Status operator_stop_;  // never returned by Run: it ends the run as cancelled
  SweepProgressSnapshot progress_;  // as last published
  int64_t first_id_ = 0;  // the first row streamed, for the estimate of rows
  SweepReport rep_;

  std::optional<MountTables> tables_;
  std::shared_ptr<const ListingCache> listings_;  // remembered by earlier sweeps
  bool verify_pending_ = false;
  std::vector<std::unique_ptr<RootWork>> works_;  // configured roots first
  size_t configured_count_ = 0;

  int64_t young_after_ = 0;
  int64_t young_until_ = 0;
  int64_t total_rows_ = 0;
  Status row_error_;
  // Where the rows go, while they stream.
  std::optional<FolderPlacer> placer_;

  const size_t batch_;
  // Judges the roots; their probes run on the daemon's lanes, or this
  // sweep's own.
  const RootAssessor assessor_;
  // Deletions the daemon journaled recently: missing rows they explain do
  // not count against the ratio guard (sweep_check.h).
  DeletionLog deletions_;
  Status archive_error_;
  // Archiving during the check needs lanes of its own (the main catalog
  // connection streams); false once they could not be opened.
  bool early_lanes_ok_ = true;
  // Set when archiving begins during the check: the rows are then read on
  // one connection only (catalog/row_stream.h).
  std::atomic<bool> one_reader_{false};
  // The connections batches are archived on: during the check, lanes of
  // their own; after it, the sweep's own connections too.
  ArchiveLanes lanes_;
};

}  // namespace recsync::sweep_internal
