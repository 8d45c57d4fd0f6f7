// DaemonStatus: one snapshot of what the running daemon knows, the single
// source of `recsync status` (the control socket) and, later, of the HTTP
// API and the metrics.
//
// The Daemon fills one from its parts (Daemon::Snapshot(): the roots from
// the RootMonitor, the sweeps from the SweepScheduler, the event counters it
// keeps itself) and the fronts turn it into text: StatusToJson() is the JSON
// `status --json` prints, including the `degraded` lines derived here, so
// every front says the same thing in the same words;
// metrics/daemon_metrics.h renders the same snapshot for Prometheus.
//
// Thread rules: a plain value; made on the loop thread, readable anywhere.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "daemon/daemon_counters.h"
#include "daemon/root_monitor.h"
#include "daemon/sweep_queue.h"

namespace recsync {

// Journal events as the daemon counts them.
struct EventCounts {
  int64_t received = 0;       // handed to the journal since start
  int64_t committed = 0;      // of those, committed
  int64_t pending = 0;        // in the journal, not settled (held ones included)
  int64_t failed = 0;
  int64_t rows_archived = 0;  // by events since start
  // Why events wait for the catalog ("" when they do not).
  std::string retry_error;
};

struct DatabaseState {
  bool connected = false;
  std::string error;  // the last error while not connected
};

struct SweepStatus {
  bool running = false;
  std::string running_trigger;  // "" when none runs
  size_t queued = 0;
  std::optional<SweepOutcome> last;  // its archived_rows not kept
  // Roots whose last sweep a guard refused: root -> the line status shows.
  std::map<std::string, std::string> refused;
  std::optional<RunningSweep> current;  // the running sweep's id and progress
};

struct DaemonStatus {
  int64_t pid = 0;
  std::string version;
  int64_t uptime_s = 0;
  bool ready = false;  // replay and the start-up sweep are under way or done
  std::string journal;

  struct Watcher {
    std::string backend = "none";
    std::string requested;  // the `watcher` setting
    size_t watches = 0;
    int64_t overflows = 0;
    std::string degraded;  // why the watcher is degraded, "" when it is not
  } watcher;

  std::string http_listen = "off";  // where the HTTP server listens (the port it got)
  std::string database_server;
  DatabaseState database;
  std::string journal_error;                 // the last failed commit, "" after one succeeds
  std::vector<std::string> journal_faults;   // JournalGuard's degraded lines
  EventCounts events;
  bool roots_loaded = false;
  std::vector<RootView> roots;
  SweepStatus sweep;
  DaemonCounters counters;   // what the daemon did since it started
  int64_t journal_bytes = -1;  // the journal and its -wal; -1 when not measured
};

// Everything that needs an operator's attention, one line each, naming the
// thing and the fix.
std::vector<std::string> DegradedLines(const DaemonStatus& status);
// The JSON `recsync status --json` prints.
nlohmann::json StatusToJson(const DaemonStatus& status);

}  // namespace recsync
