// EventApplier: settles the journal's pending file events against the
// catalog, in sequence order. It is the daemon's fast path: a recording that
// is deleted has its rows archived within milliseconds, while the sweep
// catches whatever events cannot see.
//
// Contract
// - Only "deleted" and "moved_from" (a move out of the managed roots) events
//   are applied here; other kinds are left for their owners (the daemon
//   settles "overflow" once its sweep is done).
// - The path's active rows are archived (Media and EventsCam, one
//   transaction for the whole pass) and the event becomes "applied" with
//   their ids; with no active row (a .jpg sidecar, an untracked file, a row
//   already archived) it becomes "ignored".
// - The file is checked once more first: if it exists again the event is
//   "ignored"; if its state cannot be told (EIO, a hung mount) the event
//   stays pending. Only ENOENT lets a row be archived.
// - min_age does not apply: the file existed and was deleted.
// - A transient catalog failure (kUnavailable) ends the pass with that
//   status and leaves every event pending; the caller retries with backoff
//   and, once the server is back, the backlog drains in order. Any other
//   failure counts an attempt; after max_attempts the event is "failed".
// - Every archived row is recorded in the journal's actions with cause
//   "event" and the event's seq.
#pragma once

#include <chrono>
#include <memory>

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
  int64_t archived = 0;  // Media rows archived
  int64_t last_seq = 0;  // the highest seq this pass looked at
};

struct ApplierOptions {
  size_t max_events = 500;  // events per pass
  int max_attempts = 5;
  std::chrono::milliseconds probe_timeout{10000};
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
        options_(options) {}

  // One pass over up to max_events pending file events with seq > after_seq.
  Result<ApplyStats> ApplyPending(int64_t after_seq = 0);

 private:
  Catalog& catalog_;
  Journal& journal_;
  PathResolver& resolver_;
  std::shared_ptr<DiskInterface> disk_;
  const Clock& clock_;
  ApplierOptions options_;
};

}  // namespace recsync
