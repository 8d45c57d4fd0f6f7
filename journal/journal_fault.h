// Journal faults: how a process learns that a journal it uses is damaged.
//
// Every journal call that meets SQLITE_CORRUPT or SQLITE_NOTADB, on any
// connection and any thread, returns a Status with Code::kCorrupt whose
// message names the file and the fix (move it aside; a new journal is
// created). Besides that Status, which travels up whichever caller made the
// call, the fault is handed to a process-wide handler: the daemon has many
// callers (ingest, reconciler, sweeps, probes) and must stop whichever of
// them meets the damage first.
//
// The damaged marker: a journal found damaged while the daemon ran is marked
// (`<journal>.damaged`, holding the file's device and inode and the reason),
// so that the restart refuses it at once instead of running until it meets
// the damage again. Journal::Open (read-write) refuses a marked journal with
// kCorrupt; a marker whose device and inode are not those of the file at the
// path any more (the journal was moved aside and a new one created) is
// removed.
//
// Threads: all functions may be called from any thread.
#pragma once

#include <functional>
#include <string>

#include "common/status.h"

namespace recsync {

struct JournalFault {
  std::string path;    // the journal's path
  Status status;       // kCorrupt, as the failed call returned it
  std::string detail;  // SQLite's own words ("database disk image is malformed")
};

// Called on the thread whose call met the damage, once for every such call.
using JournalFaultHandler = std::function<void(const JournalFault& fault)>;

// Installs `handler` (an empty one removes it). Once this returns, the
// handler it replaced is not running and will not run again.
void SetJournalFaultHandler(JournalFaultHandler handler);

// The marker file of the journal at `path`.
std::string JournalDamagedMarkerPath(const std::string& path);

// Writes the marker for the journal now at `path`, with `reason` (SQLite's
// words; the first line is kept).
// kNotFound when there is no journal at `path` any more (nothing to mark).
Status MarkJournalDamaged(const std::string& path, const std::string& reason);

// OK when the journal at `path` is not marked (a stale marker is removed);
// kCorrupt naming the reason and the fix when it is.
Status CheckJournalNotMarkedDamaged(const std::string& path);

}  // namespace recsync
