// Sweep: one full reconcile of the catalog against the disk.
//
// For every storage root, then for rows under no configured root (grouped by
// the root their path implies in Bluecherry's layout), the sweep checks each
// active row's file and archives the rows whose file is gone. Safety rules:
// - an offline root (see storage_root.h) is never swept, even with force;
// - a suspect root (empty, yet the catalog has rows under it) is refused
//   unless force;
// - only ENOENT is missing; any other error is unknown and never archived;
// - when the share of a root's checked rows that are missing without a
//   deletion the daemon journaled exceeds max_missing_ratio, nothing under
//   that root is archived unless force;
// - a row whose start lies within min_age of now, either way, is young and
//   not checked (a start further in the future is a wrong clock: checked);
// - each candidate is checked once more right before its batch is archived;
// - a root's batches may start before its check ends only once no outcome of
//   the rows still to come could make a guard refuse it.
// Rows stream from the catalog by id (keyset pagination); only the missing
// candidates are held in memory.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "common/clock.h"
#include "journal/journal.h"
#include "fs/disk.h"
#include "reconcile/storage_lanes.h"
#include "reconcile/storage_root.h"
#include "reconcile/sweep_progress.h"

namespace recsync {

// What one sweep does, as its caller sets it (the command line and the daemon
// make them from the settings: app/sweep_options.h).
struct SweepOptions {
  std::string trigger = "manual";  // startup | periodic | manual | overflow | pressure | online
  bool dry_run = false;
  bool force = false;
  int64_t min_age_s = 120;
  double max_missing_ratio = 0.5;
  int64_t batch_size = 500;
  std::chrono::milliseconds probe_timeout{10000};
  // Roots to sweep, as configured (any spelling: spellings that resolve to
  // one directory are one root); empty means Storage.path from the catalog.
  std::vector<std::string> roots;
  // The spellings of roots that are not swept this time (the daemon's other
  // roots, when it sweeps one): rows under them are left to their own
  // sweeps, not taken for rows outside every root.
  std::vector<std::string> other_roots;
  // Where the roots are probed (storage_lanes.h): the daemon passes its own,
  // so a sweep never starts a thread for a root that is already hung; null:
  // the sweep keeps lanes of its own.
  std::shared_ptr<StorageLanes> lanes;
  // Set by another thread to stop the sweep early (the daemon is stopping):
  // checked between pages and batches, so the batch in flight commits or
  // rolls back as a whole; the sweep then fails with kUnavailable.
  const std::atomic<bool>* cancel = nullptr;
  // Set by another thread when an operator cancels this sweep: checked where
  // `cancel` is, and before each batch is sent. The sweep then ends as
  // cancelled, not failed: the batches archived stay archived, the rows not
  // reached stay active, and its report (SweepReport::cancelled, with the
  // figures so far) is recorded with outcome "cancelled". Its guards may
  // not have judged every root: nothing after the cancel is archived.
  const std::atomic<bool>* operator_cancel = nullptr;
  // Where the sweep publishes how far it got (sweep_progress.h); null: not
  // published. Must outlive Sweeper::Run.
  SweepProgress* progress = nullptr;
  // Called on the sweep's thread once the journal gave the sweep its id,
  // before any other work.
  std::function<void(int64_t sweep_id)> on_begun;
  // When > 0, first settle the intents older than this (see
  // SettleIntents): the start of the process that owns the journal.
  int64_t settle_intents_before_ms = 0;
  // Reuse the folder listings remembered by earlier sweeps where the folder
  // is unchanged (listing_cache.h); false lists every folder. Either way a
  // sweep that is not a dry run remembers the listings it takes.
  bool reuse_listings = true;
};

// The figures of one root (or of one inferred root outside the configured ones).
struct RootReport {
  std::string path;          // the canonical path (realpath) when it resolves
  std::vector<std::string> spellings;  // other configured spellings of the same root
  RootState state = RootState::kOffline;
  std::string reason;        // why offline or suspect
  bool configured = true;    // false: inferred from rows under no configured root
  std::string fs_type;
  bool mount_point = false;
  int64_t rows = 0;          // active rows under this root
  int64_t young = 0;         // younger than min_age, not checked
  int64_t checked = 0;
  int64_t missing = 0;
  // Of missing: files whose deletion the daemon journaled, which the ratio
  // guard does not count as unexplained losses.
  int64_t explained = 0;
  // Rows the daemon archived from journaled deletions since the last sweep,
  // before this one read the rows: files seen deleted, which the ratio guard
  // counts among the known files (so a mass deletion the daemon saw, and
  // mostly applied, does not make the few events an overflow lost look like
  // a vanished storage).
  int64_t seen_deleted = 0;
  int64_t unknown = 0;       // neither present nor ENOENT (EACCES, EIO, timeout, ...)
  int64_t folders_listed = 0;  // directory listings taken
  int64_t folders_reused = 0;  // remembered listings reused (listing_cache.h)
  int64_t archived = 0;
  // Of archived: while the rows still streamed, the guards being already
  // unable to refuse the root (sweep_run.h).
  int64_t archived_early = 0;
  bool refused = false;
  std::string refused_reason;
};

struct ArchivedRow {
  int64_t id = 0;
  std::string path;
};

struct SweepReport {
  int64_t sweep_id = 0;
  std::string trigger;
  bool dry_run = false;
  bool force = false;
  int64_t started_ms = 0;
  int64_t duration_ms = 0;
  std::vector<RootReport> roots;  // configured roots first, then inferred ones
  int64_t unplaceable = 0;        // rows under no root whose path is not in the layout
  int64_t other_roots_rows = 0;   // rows under roots not swept this time (other_roots)
  // What was (or, dry run, would be) archived: the kListedRows of lowest
  // id, in id order, so a recovery sweep of a million rows does not hold
  // (or print) a million paths; `journal actions --sweep ID` lists every
  // archived row.
  static constexpr size_t kListedRows = 1000;
  std::vector<ArchivedRow> archived_rows;
  int64_t rows_not_listed = 0;
  int64_t would_archive = 0;  // dry run: how many rows would be archived
  // An operator cancelled it (SweepOptions::operator_cancel): the figures
  // are those up to then, and every root counts as incomplete.
  bool cancelled = false;
  // Adds an archived row, in any order; until SortListed() the rows kept
  // are a heap (batches may be archived out of id order).
  void List(int64_t id, const std::string& path);
  void SortListed();

  // Totals over all roots.
  int64_t checked() const;
  int64_t missing() const;
  int64_t unknown() const;
  int64_t archived() const;
  // True when the sweep was cancelled, or some root was offline or refused
  // by a guard (exit code 3).
  bool incomplete() const;
};

class Sweeper {
 public:
  // `disk` is shared because a probe of a hung mount may outlive the sweep.
  Sweeper(Catalog& catalog, Journal& journal, std::shared_ptr<DiskInterface> disk,
          const Clock& clock)
      : catalog_(catalog), journal_(journal), disk_(std::move(disk)), clock_(clock) {}

  // Runs one sweep and records it (and every archived row) in the journal;
  // failed events left with no active row at their path are cleared.
  // A dry run changes nothing in the catalog and remembers nothing about the
  // roots; it still records itself in the journal's sweep history.
  // Fails only on catalog or journal errors; offline roots are not errors.
  Result<SweepReport> Run(const SweepOptions& options);

 private:
  Catalog& catalog_;
  Journal& journal_;
  std::shared_ptr<DiskInterface> disk_;
  const Clock& clock_;
};

}  // namespace recsync
