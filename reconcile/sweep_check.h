// The sweep's first half, internal to reconcile/sweep.cc: each root's rows
// are checked in chunks by listers on bounded worker threads while the
// catalog streams, then the safety guards decide whether anything under the
// root may be archived.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "catalog/catalog.h"
#include "common/bounded_task.h"
#include "common/hash.h"
#include "common/path.h"
#include "fs/disk.h"
#include "reconcile/listing_cache.h"
#include "reconcile/presence_check.h"
#include "reconcile/storage_root.h"
#include "reconcile/sweep.h"

namespace recsync::sweep_internal {

// Files are checked in chunks on bounded workers, so a hung mount costs one
// probe timeout per root rather than one per row; while chunks are checked
// (by directory listings, see presence_check.h) the next rows are read from
// the catalog.
constexpr size_t kCheckChunk = 4096;
// Listers per root. Listing is mostly kernel time spent per folder, so two
// keep both cores of a small recorder busy while the catalog streams
// (docs/performance.md). Each folder belongs to one lister (its slot), so no
// folder is listed twice and each lister's cache stays small.
constexpr size_t kListers = 2;

// Deletions the daemon journaled (by their canonical paths): a missing row
// whose file's deletion was seen is not an unexplained loss, so it does not
// count against the ratio guard. After a kernel queue overflow the sweep
// that follows otherwise counts every deletion the reconciler has not
// applied yet, and refuses the storage for a mass deletion it saw happen.
struct DeletionLog {
  std::unordered_set<std::string> files;
  std::vector<std::string> dirs;  // directories moved out of the roots
  // Whether the deletion of `path` (canonical) was journaled.
  bool Explains(const std::string& path) const;
};

struct CheckInFlight {
  std::shared_ptr<RowBatch> rows;  // shared with the task
  BoundedTask<std::vector<PathCheck>> task;
};

// One root's state while the sweep runs.
struct RootWork {
  RootStatus status;
  RootReport report;
  // Every spelling rows may be recorded under: its canonical path
  // (report.path) first, then the other configured or inferred ones.
  std::vector<std::string> prefixes;
  const DeletionLog* deletions = nullptr;
  // `path` (under one of the prefixes) in the canonical spelling.
  std::string Canonical(const std::string& path) const;
  RowBatch pending[kListers];        // rows waiting to be checked, per lister
  std::vector<MediaRow> candidates;  // rows whose file gave ENOENT
  // A PresenceCheck serves one task at a time: at most one chunk per lister.
  std::shared_ptr<PresenceCheck> presence[kListers];
  std::unique_ptr<TaskThread> threads[kListers];
  std::optional<CheckInFlight> inflight[kListers];
  // Listings taken so far by each lister, as of its last chunk collected:
  // for the sweep's progress (report.folders_listed is summed at the end).
  size_t listed[kListers] = {};
  std::optional<ListingMemory> memory;  // given to each PresenceCheck
  // Folders under the root whose remembered listing still holds (stat gave
  // the stamp it was taken with), found before the rows come: their rows
  // are looked up as they stream, without a lister.
  using Verified = std::vector<std::pair<const std::string*, const RememberedListing*>>;
  std::optional<BoundedTask<Verified>> verifying[kListers];
  std::unordered_map<std::string_view, const RememberedListing*, ShortHasher, std::equal_to<>>
      verified;

  // Archiving of `candidates`, batch by batch (sweep_archive.cc). It may
  // begin while the rows still stream, once no outcome of the rows left can
  // make the guards refuse the root (MayArchiveEarly); batches then go in
  // the order their rows were found missing.
  struct Recheck {
    size_t begin, end;  // candidates [begin, end)
    BoundedTask<std::vector<PathCheck>> task;
  };
  struct Archiving {
    size_t dispatched = 0;  // candidates before this one went to a recheck
    std::unique_ptr<TaskThread> rechecker;
    std::optional<Recheck> recheck;  // the next batch, checked again
    bool early = false;              // begun before the check ended
  } archiving;
};

// Of `roots`, the one holding `path` under its innermost spelling (see
// InnermostRoot), and that spelling; {nullptr, nullptr} when none does.
std::pair<RootWork*, const std::string*> InnermostWork(
    std::span<const std::unique_ptr<RootWork>> roots, const std::string& path, RootHolds holds);

// True when the ratio guard can no longer refuse root `r`, however its
// `undecided` rows (not yet counted as checked: still to stream or being
// checked) turn out: even were every one of them missing, the missing share
// of the known files would not exceed `max_missing_ratio`.
bool RatioGuardSettled(const RootReport& r, int64_t undecided, double max_missing_ratio);

// True when root `w`'s missing rows may be archived before its check ends:
// it is online, the suspect guard cannot refuse it, and neither can the
// ratio guard with at most `rows_left` rows still to stream.
bool MayArchiveEarly(const RootWork& w, int64_t rows_left, const SweepOptions& opt);

// Starts stat-ing `folders` (under root `w`, remembered in `cache`) on the
// root's lister threads.
void StartVerify(RootWork& w, const std::shared_ptr<const ListingCache>& cache,
                 std::vector<std::pair<const std::string*, const RememberedListing*>> folders,
                 const std::shared_ptr<DiskInterface>& disk, std::chrono::milliseconds timeout);

// Collects them into w.verified; a root whose folders could not all be
// stat-ed in time is marked unresponsive.
void FinishVerify(RootWork& w, std::chrono::milliseconds timeout);

// Marks the root offline as unresponsive and drops its rows.
void MarkUnresponsive(RootWork& w, std::chrono::milliseconds timeout);

// Starts checking lister `slot`'s pending rows, after collecting its
// previous chunk.
void StartCheck(RootWork& w, size_t slot, const std::shared_ptr<DiskInterface>& disk,
                std::chrono::milliseconds timeout);

// Checks every row still pending and collects every chunk. The listers
// finish in any order, so the candidates not yet archived are put back in id
// order.
void FinishAllChecks(RootWork& w, const std::shared_ptr<DiskInterface>& disk,
                     std::chrono::milliseconds timeout);

// Applies the suspect and ratio guards to a root whose rows were all checked.
void ApplyGuards(RootWork& w, const SweepOptions& opt);

}  // namespace recsync::sweep_internal
