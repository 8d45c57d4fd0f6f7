// RootAssessor: whether a storage root may be touched now, and which root a
// spelling names. The one place the rules of storage_root.h are applied to a
// root: the sweep assesses each root before it checks a file under it and
// again before each batch it archives (ChangedSince); the daemon's
// RootMonitor judges the probes it posts itself (ProbeHere, Judge); the
// reconciler asks, once per pass and root, whether events under it may be
// applied (RootVerdicts).
//
// May it be touched? An offline root (missing, unreadable, not mounted, a
// mount that changed, unresponsive) never: no file under it is checked, no
// row archived, no event applied, since on an unmounted root every file
// looks deleted. A suspect root only as the sweep's suspect guard allows
// (force). An online root, yes.
//
// Identity (one root, many spellings). A root is known by the canonical
// path (realpath) its spelling resolves to: a symlink and its target, "//",
// "/./" and trailing slashes name one root. While a spelling cannot be
// resolved (hung, unreadable, a link whose target is not mounted) it keeps
// the identity the caller knew it by (`known`), else its own spelling. The
// journal's record of a root (RootRecord, its baseline from an earlier
// sweep) is found by that identity, then by the spelling (older versions
// recorded roots by spelling).
//
// Threads: a RootAssessor is immutable; every method may be called from any
// thread, concurrently. Probes run on the root's storage lane (StorageLanes:
// a hung root costs no new thread), each bounded by the probe timeout.
// RootVerdicts is used by one thread at a time.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "common/status.h"
#include "journal/journal.h"
#include "fs/disk.h"
#include "fs/mount_table.h"
#include "reconcile/storage_lanes.h"
#include "reconcile/storage_root.h"

namespace recsync {

// What a probe of one spelling found, and the identity it gives its root.
struct SpellingProbe {
  std::string spelling;
  Result<DirProbe> probe = DirProbe{};  // an error: the probe did not answer in time
  std::string identity;    // see "Identity" above
};

// Where a root's record is found, by a path (its identity or a spelling).
using RootRecords = std::function<Result<std::optional<RootRecord>>(const std::string& path)>;
// The journal's records, read as asked (the caller's thread owns `journal`).
RootRecords RecordsIn(Journal& journal);
// Records already read, by path.
RootRecords RecordsIn(const std::map<std::string, RootRecord>& records);

class RootAssessor {
 public:
  // `disk` is shared because a probe of a hung root may outlive the caller.
  RootAssessor(std::shared_ptr<StorageLanes> lanes, std::shared_ptr<DiskInterface> disk,
               std::chrono::milliseconds probe_timeout);

  // The mount tables, read now (an unreadable fstab is an error).
  Result<MountTables> ReadTables() const;

  // Probes `spelling` on its lane, bounded by the probe timeout.
  SpellingProbe Probe(const std::string& spelling, const std::string& known = "") const;
  // The same on the calling thread, for a caller that runs it on the lane
  // itself (the daemon's monitor, which must not block the loop).
  static SpellingProbe ProbeHere(DiskInterface& disk, const std::string& spelling,
                                 const std::string& known = "");

  // The rules of storage_root.h applied to `probe`, with the root's record
  // from `records`; the status's path is the identity. Fails only when the
  // record cannot be read. An unanswered probe is offline ("unresponsive").
  static Result<RootStatus> Judge(const SpellingProbe& probe, const MountTables& tables,
                                  const RootRecords& records);

  // Probe and Judge.
  Result<RootStatus> Assess(const std::string& spelling, const MountTables& tables,
                            const RootRecords& records) const;

  // Whether the root assessed as `then` is still that storage: "" when it
  // is; else why not (offline now, or on another device or mount). Fails
  // when the mount tables cannot be read.
  Result<std::string> ChangedSince(const RootStatus& then) const;

  const std::shared_ptr<StorageLanes>& lanes() const { return lanes_; }
  std::chrono::milliseconds probe_timeout() const { return probe_timeout_; }

 private:
  std::shared_ptr<StorageLanes> lanes_;
  std::shared_ptr<DiskInterface> disk_;
  std::chrono::milliseconds probe_timeout_;
};

// Verdicts taken once per root for a while (the reconciler: one pass), with
// the mount tables read once: a root is assessed when first asked about.
class RootVerdicts {
 public:
  RootVerdicts(const RootAssessor& assessor, Result<MountTables> tables, RootRecords records);

  // Whether anything under `root` may be touched now (it is not offline).
  // No: when the mount tables or its record cannot be read.
  bool MayTouch(const std::string& root);
  bool tables_ok() const { return tables_.ok(); }
  Status tables_status() const { return tables_.status(); }

 private:
  const RootAssessor& assessor_;
  Result<MountTables> tables_;
  RootRecords records_;
  std::map<std::string, bool> may_touch_;
};

}  // namespace recsync
