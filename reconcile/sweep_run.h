// SweepRun: one run of Sweeper::Run, internal to reconcile/sweep*.cc. Its
// phases, in order:
//   1. roots: the configured ones assessed (online, offline, suspect);
//   2. check: the active rows streamed in id order (on two connections,
//      catalog/row_stream.h), each placed under a root (once per folder) and
//      checked by the root's listers (sweep_check.h), then the guards;
//   3. archive: per root, batches re-checked and archived, on one or two
//      catalog connections (sweep_archive.cc); for a root the guards can no
//      longer refuse, this begins during 2, on connections of its own;
//   (after 2: the folder listings to reuse next time, listing_cache.h)
//   4. finish: the roots' baselines and the sweep's record in the journal.
// Any catalog or journal error ends the run through Fail(), which records
// the sweep as failed with the figures so far.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "catalog/catalog.h"
#include "common/clock.h"
#include "common/hash.h"
#include "journal/journal.h"
#include "fs/disk.h"
#include "reconcile/listing_cache.h"
#include "reconcile/storage_root.h"
#include "reconcile/sweep.h"
#include "reconcile/sweep_check.h"

namespace recsync::sweep_internal {

// One batch being archived on a lane: its rows and actions live here, not on
// the stack, while the lane's thread reads them.
struct ArchiveJob {
  RootWork* root;
  bool early;  // sent while the rows still streamed
  std::vector<MediaRow> gone;
  std::map<int64_t, ActionRecord> actions;
  std::future<Result<std::vector<int64_t>>> result;
};

class SweepRun {
 public:
  SweepRun(Catalog& catalog, Journal& journal, std::shared_ptr<DiskInterface> disk,
           const Clock& clock, const SweepOptions& options);

  Result<SweepReport> Run();

 private:
  // A catalog + journal connection pair that archives batches, one at a time.
  struct Lane {
    Catalog* catalog;
    Journal* journal;
    std::unique_ptr<ArchiveJob> job;  // the batch in flight on this lane
  };
  // Where the rows of one folder go (see Take()).
  struct FolderPlace {
    RootWork* root;
    bool plain;    // every component of the folder is plain
    uint32_t key;  // numbers the folder for RowBatch; key % kListers = lister
    // The folder's remembered listing when it still holds (RootWork::verified).
    const RememberedListing* reused;
  };

  // Records the sweep as failed, with the figures so far; returns `status`.
  Status Fail(const Status& status);
  bool Cancelled() const { return opt_.cancel && opt_.cancel->load(); }

  // 1. roots
  Status AddConfiguredRoots();
  Status LoadDeletions();
  Result<RootWork*> AddRoot(const std::string& path, bool configured);
  // The configured root a path lies under (the longest one), else the root
  // its layout implies (added on first sight); nullptr when neither exists.
  Result<RootWork*> Place(const std::string& path);
  // Why root `w` no longer looks as it did at the start ("" when it does).
  std::string LayoutChange(const RootWork& w) const;

  // 2. check
  void VerifyRemembered();  // starts it; the first row waits for it
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
  // Opens a lane on connections of its own; false when it cannot.
  bool OpenLane();
  void Collect(Lane& lane);

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
  SweepReport rep_;

  std::optional<MountTables> tables_;
  std::shared_ptr<const ListingCache> listings_;  // remembered by earlier sweeps
  bool verify_pending_ = false;
  void FinishVerifying();
  // Remembered listings reused so far (each counted once per root).
  std::unordered_set<const RememberedListing*> reused_;
  std::vector<std::unique_ptr<RootWork>> works_;  // configured roots first
  size_t configured_count_ = 0;
  std::map<std::string, RootWork*, std::less<>> inferred_;  // found by string_view
  // Where Place() puts rows under SweepOptions::other_roots: never checked.
  RootWork other_roots_;

  int64_t young_after_ = 0;
  int64_t young_until_ = 0;
  int64_t total_rows_ = 0;
  Status row_error_;
  // Rows of all cameras interleave in id order, so folders are a map,
  // dropped when it grows large (old folders do not come back).
  std::unordered_map<std::string, FolderPlace, ShortHasher, std::equal_to<>> folders_;
  uint32_t next_key_ = 0;

  const size_t batch_;
  // Where probes of the roots run: the daemon's lanes, or this sweep's own.
  const std::shared_ptr<StorageLanes> storage_lanes_;
  // Deletions the daemon journaled recently: missing rows they explain do
  // not count against the ratio guard (sweep_check.h).
  DeletionLog deletions_;
  int64_t total_archived_ = 0;
  Status archive_error_;
  // Archiving during the check needs lanes of its own (the main catalog
  // connection streams); false once they could not be opened.
  bool early_lanes_ok_ = true;
  // Set when archiving begins during the check: the rows are then read on
  // one connection only (catalog/row_stream.h).
  std::atomic<bool> one_reader_{false};
  std::vector<std::unique_ptr<Catalog>> lane_catalogs_;
  std::vector<std::unique_ptr<Journal>> lane_journals_;
  std::vector<Lane> lanes_;
  size_t next_lane_ = 0;  // batches go to the lanes in turn
};

}  // namespace recsync::sweep_internal
