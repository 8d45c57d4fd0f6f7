// EventApplier: settles the journal's pending file events against the
// catalog, in sequence order. It is the daemon's fast path: a recording that
// is deleted has its rows archived within milliseconds, while the sweep
// catches whatever events cannot see.
//
// Contract
// - "deleted", "moved_from" and "moved_to" events are applied here; other
//   kinds are left for their owners (the daemon settles "overflow" once its
//   sweep is done).
// - Deleted file: the path's active rows are archived (Media and EventsCam;
//   one transaction for the deletions between two renames of a pass) and the
//   event becomes "applied" with their ids; with no active row (a .jpg
//   sidecar, an untracked file, a row already archived) it becomes "ignored".
//   The file is checked once more first: if it exists again the event is
//   "ignored"; only ENOENT lets a row be archived. min_age does not apply:
//   the file existed and was deleted.
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
// - A transient catalog failure (kUnavailable) ends the pass with that
//   status and leaves every event pending (renames already re-pointed in the
//   pass are found done, and ignored, when replayed); the caller retries with
//   backoff and the backlog drains in order. Any other catalog failure
//   counts an attempt; after max_attempts the event is "failed".
// - Every archived or re-pointed row is recorded in the journal's actions
//   with cause "event" and the seq of the event (for a rename, of its
//   "moved_from"; action "repath", path the old path, detail the new one).
//
// Passes: the caller runs ApplyPending(0), then ApplyPending(last_seq) of the
// previous pass, until caught_up (or until wait_until_ms when a pass waited
// for a rename); held events are passed over, not waited for.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "common/clock.h"
#include "journal/journal.h"
#include "reconcile/disk.h"
#include "reconcile/path_resolver.h"

namespace recsync {

struct ApplyStats {
  int64_t applied = 0;
  int64_t ignored = 0;
  int64_t failed = 0;
  int64_t retried = 0;   // left pending, to be tried again
  int64_t held = 0;      // skipped: their storage is offline (ApplierOptions::held)
  int64_t archived = 0;  // Media rows archived
  int64_t repathed = 0;  // Media rows re-pointed by renames
  // The highest seq this pass dealt with (settled, held or left pending);
  // a pass that waits stops before the event it waits for. 0 for none.
  int64_t last_seq = 0;
  // When the pass stopped to wait for a rename's second half: the time
  // (ms since the epoch) at which that event stops waiting; else 0.
  int64_t wait_until_ms = 0;
  // Nothing is left for another pass now: no event was left pending to retry
  // or stopped the pass to wait (held ones do not count), and the pass saw
  // fewer than max_events events.
  bool caught_up = false;
};

struct ApplierOptions {
  size_t max_events = 500;  // events per pass; 0: all
  int max_attempts = 5;
  std::chrono::milliseconds probe_timeout{10000};
  // How long a "moved_from" waits for its "moved_to", and how far apart in
  // time the two halves of one rename may be.
  std::chrono::milliseconds pair_wait{500};
  // Whether `path` lies on storage that is offline now; null: none is.
  std::function<bool(const std::string& path)> held;
};

class EventApplier {
 public:
  EventApplier(Catalog& catalog, Journal& journal, PathResolver& resolver,
               std::shared_ptr<DiskInterface> disk, const Clock& clock, ApplierOptions options)
      : catalog_(catalog),
        journal_(journal),
        resolver_(resolver),
        disk_(std::move(disk)),
        clock_(clock),
        options_(std::move(options)) {}

  // One pass over up to max_events pending events with seq > after_seq.
  Result<ApplyStats> ApplyPending(int64_t after_seq = 0);

 private:
  class Pass;  // the state of one ApplyPending() call

  Catalog& catalog_;
  Journal& journal_;
  PathResolver& resolver_;
  std::shared_ptr<DiskInterface> disk_;
  const Clock& clock_;
  ApplierOptions options_;
};

}  // namespace recsync
