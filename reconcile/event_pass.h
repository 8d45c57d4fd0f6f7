// EventPass: one EventApplier::ApplyPending() call, internal to
// reconcile/event_*.cc. Its steps, in order:
//   1. take up to max_events pending events after a seq; mark the held ones;
//   2. lstat every file a deletion or a move out may archive, root by root
//      on the storage lanes (CheckFiles), and look up the rows of the
//      confirmed deletions together (ResolveDeleted);
//   3. apply the events in seq order: deletions collect into a batch, which
//      is archived (after one more lstat of its files) before any rename or
//      creation is applied, so the catalog changes in event order
//      (event_applier.cc); renames and moves out (event_moves.cc); creations,
//      which may restore a row (event_restore.cc);
//   4. settle every decided event in one journal transaction.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "reconcile/event_applier.h"

namespace recsync {

// Whether the applier applies events of `kind` (the others have owners of
// their own; see event_applier.h).
bool IsFileEvent(EventKind kind);
// Why an event whose file's presence `check` could not tell stays pending.
std::string UnknownPresence(const PathCheck& check);

class EventPass {
 public:
  explicit EventPass(EventApplier& a) : a_(a) {}
  Result<ApplyStats> Run(int64_t after_seq);

 private:
  // ---- event_applier.cc ----
  bool Held(const std::string& path) const { return a_.options_.held && a_.options_.held(path); }
  std::string RootOf(const std::string& path) const;
  // The kind of the event `seq` this pass settled.
  EventKind KindOf(int64_t seq) const;
  // lstat of `paths`, root by root on the storage lanes; a root that does not
  // answer in time gives kUnknown with err 0 for its paths.
  std::vector<PathCheck> CheckPaths(const std::vector<std::string>& paths);
  void CheckFiles();
  void ResolveDeleted();
  // The active rows at `path` and at its other spellings.
  Result<std::vector<MediaRow>> RowsAt(const std::string& path);
  Status Apply(size_t i, bool* stopped);
  Status Gone(size_t i);
  Status Flush();
  Status CatalogError(const std::vector<const EventRecord*>& events, const Status& status);
  // Settles an event (recorded with the others at the end of the pass).
  void Decide(EventOutcome outcome);

  // ---- event_moves.cc ----
  Status MovedFrom(size_t i, bool* stopped);
  Status MovedTo(size_t i);
  Status DirGone(const EventRecord& e);
  Status Repath(const EventRecord& from, const EventRecord& to);
  // Re-points `chunk` to `paths`; rows whose new path the catalog cannot
  // hold are left, the first such refusal kept in `rejected`.
  Result<std::vector<int64_t>> RepathChunk(const EventRecord& from,
                                           const std::vector<MediaRow>& chunk,
                                           const std::vector<std::string>& paths,
                                           Status* rejected);
  // For a file moved onto `to`: archives the rows whose file was replaced.
  Status ArchiveReplaced(const EventRecord& from, const EventRecord& to,
                         const std::vector<MediaRow>& moving);
  // The path a row at (or under) `from` has after the move to `to`, in the
  // row's own spelling.
  std::string MovedPath(const std::string& row_path, const std::string& from,
                        const std::string& to) const;

  // ---- event_restore.cc ----
  Status Created(size_t i);

  EventApplier& a_;
  std::vector<EventRecord> events_;
  std::vector<bool> is_held_;
  std::map<size_t, PathCheck> checks_;  // event index -> its file's lstat at the start
  std::map<size_t, std::vector<MediaRow>> resolved_;  // event index -> rows (ResolveDeleted)
  bool repathed_ = false;  // a row was re-pointed in this pass: resolved_ may be stale
  Status resolve_error_;   // why ResolveDeleted() found nothing, if it failed
  std::set<int64_t> decided_;                         // seqs settled (or batched) in this pass
  std::map<uint32_t, const EventRecord*> held_from_;  // held "moved_from"s by cookie
  std::vector<std::pair<const EventRecord*, std::vector<MediaRow>>> batch_;  // to archive
  std::set<int64_t> recorded_;  // ids with an archive action in this pass
  std::vector<EventOutcome> outcomes_;
  ApplyStats stats_;
};

}  // namespace recsync
