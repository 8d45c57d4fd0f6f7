// EventApplier: settles the journal's pending file events against the
// catalog, in sequence order. It is the daemon's fast path: a recording that
// is deleted has its rows archived within milliseconds, while the sweep
// catches whatever events cannot see.
//
// Contract
// - "deleted", "moved_from", "moved_to" and "created" events are applied
//   here; other kinds are left for their owners (the daemon settles
//   "overflow" once its sweep is done).
// - Deleted file: once the path has stayed absent for `settle` after the
//   deletion was seen (a file deleted and written again at once, such as a
//   restarted segment, keeps its row), the path's active rows are archived
//   (Media and EventsCam; one transaction for the deletions between two
//   renames or creations of a pass) and the event becomes "applied" with
//   their ids; with no active row (a .jpg sidecar, an untracked file, a row
//   already archived) it becomes "ignored". The file is checked when the pass
//   starts and once more right before the transaction: if it exists again the
//   event is "ignored"; only ENOENT lets a row be archived. min_age does not
//   apply: the file existed and was deleted.
// - Created file (or one moved in from outside the roots): if recsync itself
//   archived a row at that path within restore_window (the journal's audit
//   trail says so, and no restore since) and the row is still archived at
//   that path, the row is restored (archive=0 in Media and EventsCam) as an
//   audited "restore" action and the event is "applied"; else "ignored".
//   Rows archived by anyone else are never restored.
// - A file renamed onto an existing recording replaced it: the rows at the
//   target path are archived before the renamed file's rows take the path.
// - Paths: events carry the canonical spelling of their root; rows recorded
//   under another spelling of it (options.aliases) are found and kept in
//   their own spelling.
// - Rename: a "moved_from" with a cookie is paired with the pending
//   "moved_to" of the same cookie and a larger seq (first among this pass's
//   events, then in the journal) whose time is within pair_wait of its own
//   (a cookie is reused after a reboot). Paired, the rename stayed within the
//   roots: the active rows at the old path (for a directory: every active row
//   under it) are re-pointed to the new path and both events become
//   "applied" with the ids ("ignored" with none). Nothing is archived.
// - Unpaired and younger than pair_wait, the second half may still come: the
//   pass stops before that event, leaving it and every later event pending
//   and untouched (order is kept), and reports wait_until_ms.
// - Unpaired and older (or without a cookie), the path left the roots: a
//   file is treated as deleted; for a directory, each active row under it
//   whose file is ENOENT is archived (checked per row, bounded by
//   probe_timeout) and present or unknown ones are left.
// - A "moved_to" not paired that way came from outside the roots and becomes
//   "ignored", unless the pending "moved_from" it belongs to lies outside
//   this pass (then it waits for it).
// - Held: an event whose path options.held() names (its storage root is
//   offline) is skipped, not settled at all, so its attempts do not grow; a
//   rename is held when either half is. Other events go on.
// - Presence unknown (EIO, ESTALE, a hung mount, probe_timeout): the event
//   stays pending, however often; storage trouble passes and failing the
//   event would lose it.
// - A transient catalog failure (kUnavailable: the server unreachable,
//   read-only, refusing a grant, out of disk, a lock timeout) ends the pass
//   with that status and leaves every event pending (renames already
//   re-pointed in the pass are found done, and ignored, when replayed); the
//   caller retries with backoff and the backlog drains in order. A change
//   the catalog can never make as it stands (kRejected: a path the column
//   cannot hold exactly) makes its events "failed" at once, with the reason.
//   Any other catalog failure leaves the event pending (an attempt counted,
//   the error kept) to be retried with the others: it is never dropped.
// - Every archived, re-pointed or restored row is recorded in the journal's
//   actions with cause "event" and the seq of the event (for a rename, of its
//   "moved_from"; action "repath", path the old path, detail the new one).
//
// Passes: the caller runs ApplyPending(0), then ApplyPending(last_seq) of the
// previous pass, until caught_up (or until wait_until_ms when a pass waited
// for a rename); held events are passed over, not waited for.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "journal/journal.h"
#include "fs/disk.h"
#include "reconcile/path_resolver.h"
#include "reconcile/storage_lanes.h"

namespace recsync {

struct ApplyStats {
  int64_t applied = 0;
  int64_t ignored = 0;
  int64_t failed = 0;
  int64_t retried = 0;   // left pending, to be tried again
  int64_t held = 0;      // skipped: their storage is offline (ApplierOptions::held)
  int64_t archived = 0;  // Media rows archived
  int64_t repathed = 0;  // Media rows re-pointed by renames
  int64_t restored = 0;  // Media rows restored because their file came back
  // The events the pass settled, by kind and the state they were settled in
  // (applied, ignored or failed; events left pending are `retried`).
  std::map<std::pair<EventKind, EventState>, int64_t> settled;
  // For each deleted file (or file moved out of the roots) whose rows the
  // pass archived: ms from the event's time (when the watcher saw it) to
  // the archive's COMMIT.
  std::vector<int64_t> delete_to_archive_ms;
  // The error of the last event left pending for a catalog failure in this
  // pass ("" when none): what the operator is told while it is retried.
  std::string retry_error;
  // The highest seq this pass dealt with (settled, held or left pending);
  // a pass that waits stops before the event it waits for. 0 for none.
  int64_t last_seq = 0;
  // When the pass stopped to wait for a rename's second half or a deletion
  // to settle: the time (ms since the epoch) at which that event stops
  // waiting; else 0.
  int64_t wait_until_ms = 0;
  // Nothing is left for another pass now: no event was left pending to retry
  // or stopped the pass to wait (held ones do not count), and the pass saw
  // fewer than max_events events.
  bool caught_up = false;
};

struct ApplierOptions {
  size_t max_events = 500;  // events per pass; 0: all
  std::chrono::milliseconds probe_timeout{10000};
  // How long a "moved_from" waits for its "moved_to", and how far apart in
  // time the two halves of one rename may be.
  std::chrono::milliseconds pair_wait{500};
  // How long a deleted path must have stayed absent before its rows are
  // archived.
  std::chrono::milliseconds settle{30};
  // How far back an archive by recsync may be undone by its file coming back
  // (journal_retention_days).
  std::chrono::milliseconds restore_window{std::chrono::hours(24 * 30)};
  // Whether `path` lies on storage that is offline now; null: none is.
  std::function<bool(const std::string& path)> held;
  // The storage root `path` lies under, which names the lane its lstat calls
  // run on; null: the root its layout implies (InferRoot), else "/".
  std::function<std::string(const std::string& path)> root_of;
  // The other spellings of `path` under which rows may be recorded (the
  // root's other configured spellings), always in the same order for paths
  // of one root; null: none.
  std::function<std::vector<std::string>(const std::string& path)> aliases;
  // Where lstat calls run (one lane per root, storage_lanes.h); null: the
  // applier keeps lanes of its own.
  std::shared_ptr<StorageLanes> lanes;
};

class EventApplier {
 public:
  EventApplier(Catalog& catalog, Journal& journal, PathResolver& resolver,
               std::shared_ptr<DiskInterface> disk, const Clock& clock, ApplierOptions options);

  // One pass over up to max_events pending events with seq > after_seq.
  Result<ApplyStats> ApplyPending(int64_t after_seq = 0);

 private:
  friend class EventPass;  // the state of one ApplyPending() call (event_pass.h)

  Catalog& catalog_;
  Journal& journal_;
  PathResolver& resolver_;
  std::shared_ptr<DiskInterface> disk_;
  const Clock& clock_;
  ApplierOptions options_;
};

}  // namespace recsync
