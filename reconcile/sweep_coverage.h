// What a finished sweep covered, settled in the journal: the daemon's
// "unmounted" and "overflow" events, which stand for changes no event
// describes (a root that went away; events the kernel dropped), wait
// pending until a sweep has looked at what they stand for.
//
// - An "unmounted" event of a root is settled ("applied") by a sweep that
//   checked that root (any state but offline), if the event was journaled
//   before the sweep began (seq <= seq_before).
// - An "overflow" event is settled by a sweep of everything (every root the
//   daemon has) that began after it was seen (time_ms <= started_ms): every
//   root it could check was checked, a root it refused is reported as
//   degraded, and an offline one is swept when it is back. By when it was
//   seen, not by seq: the overflow that started this sweep may be committed
//   only after the sweep began.
// A dry run covers nothing, nor does a sweep an operator cancelled.
//
// Threads: runs on the caller's thread, on the journal connection it owns.
#pragma once

#include <cstdint>

#include "common/status.h"
#include "journal/journal.h"
#include "reconcile/sweep.h"

namespace recsync {

// The sweep that produced `report`, as its caller saw it begin.
struct SweepCoverage {
  int64_t seq_before = 0;  // the journal's last seq just before it began
  int64_t started_ms = 0;  // when it began
  bool everything = false;  // it swept every root the daemon has
};

// Settles the events `report`'s sweep covered (see above), at `now_ms`.
// Every settlement is tried; the first failure is returned.
Status SettleCoveredEvents(Journal& journal, const SweepReport& report,
                           const SweepCoverage& coverage, int64_t now_ms);

}  // namespace recsync
