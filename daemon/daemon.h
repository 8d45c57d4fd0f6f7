// Daemon: `recsync run`, the always-on reconciler.
//
// Threads and who owns what
// - The libuv loop thread owns all daemon state (roots, sweeps, syncs,
//   status) and only dispatches: watcher reads, the control socket, timers
//   and signals. It never waits on the database, the journal or storage.
// - EventIngest commits watcher events to the journal (group commit).
// - Reconciler applies committed events to the catalog.
// - The sweep worker runs one sweep at a time; the probe worker arms
//   watches, assesses roots, measures fullness and writes sync cookies.
//   Each has its own journal connection and, where needed, its own catalog
//   connection; they report back through the LoopMailbox.
//
// Start-up order: lock the journal (its lock file and the file itself), open
// it (checking it for damage), hand the locks to the JournalGuard, listen on
// the control socket, read the roots and pick the watcher backend for them
// (`watcher`: auto, inotify or fanotify; see watcher/watcher.h), arm the
// watches on every root,
// then replay pending events, then sweep, so nothing deleted meanwhile falls
// between the watches and the sweep.
#pragma once

#include <uv.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "catalog/catalog.h"
#include "common/clock.h"
#include "config/config.h"
#include "control/control_server.h"
#include "daemon/event_ingest.h"
#include "daemon/journal_guard.h"
#include "daemon/loop_mailbox.h"
#include "daemon/reconciler.h"
#include "daemon/root_monitor.h"
#include "common/serial_worker.h"
#include "daemon/status_watch.h"
#include "daemon/sweep_queue.h"
#include "daemon/sync_tracker.h"
#include "reconcile/storage_lanes.h"
#include "reconcile/storage_root.h"
#include "common/unique_fd.h"
#include "watcher/watcher.h"

namespace recsync {

struct DaemonOptions {
  Settings settings;
  // Re-reads the configuration (file and command-line flags) on SIGHUP.
  std::function<Result<Settings>()> reload;
};

// The lock file that keeps two daemons off one journal.
std::string JournalLockPath(const std::string& journal);

// Runs the daemon until SIGTERM or SIGINT; returns the exit code (0 after a
// clean stop). Start-up failures are one line on `err`.
int RunDaemon(DaemonOptions options, std::ostream& err);

class Daemon {
 public:
  explicit Daemon(DaemonOptions options);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  int Run(std::ostream& err);

 private:
  Status Start();
  void Stop();

  // Watcher events (loop).
  void OnWatchEvents(std::vector<WatchEvent> events);
  void OnCommitted(int64_t total, int64_t last_seq);

  // Roots (daemon_roots.cc).
  // Reads the configured roots (settings, or the Storage table) on the probe
  // worker, then hands them to the monitor (choosing the watcher first).
  void LoadRoots(const std::string& why);
  void OnRootsRead(std::vector<ConfiguredRoot> roots, std::map<std::string, RootRecord> records);
  // Creates the watcher `choice` names (loop); one that cannot be created
  // stops the daemon with exit code 1.
  void StartWatcher(const Result<WatcherChoice>& choice);
  // The first check of every root is done: replay, sweep, READY=1.
  void OnRootsSettled();
  // After an overflow: re-arms every root, then sweeps once the events read
  // before it are committed too.
  void RearmAll();
  void MaybeSweepAfterOverflow();
  void PushRootsToReconciler();
  // Every spelling of the roots `ids` (all roots when empty): what a sweep of
  // them is given.
  std::vector<std::string> SpellingsOf(const std::vector<std::string>& ids) const;

  // Sweeps (daemon_sweeps.cc).
  void RequestSweep(SweepRequest request);
  void MaybeStartSweep();
  // Sweep worker. `everything`: all roots were asked for, so the sweep
  // accounts for events an overflow lost.
  SweepOutcome RunSweepJob(const SweepOptions& options, bool everything);
  void OnSweepDone(const SweepOutcome& outcome);
  // Remembers (for status) the roots whose guards refused them, and forgets
  // those a later sweep did not refuse.
  void NoteRefusals(const SweepReport& report);
  void SchedulePeriodicSweep();

  // Control socket (daemon_control.cc).
  void OnControl(const nlohmann::json& request, ControlServer::Reply reply);
  nlohmann::json StatusJson() const;
  void StartSync(ControlServer::Reply reply);
  void StartClientSweep(const nlohmann::json& request, ControlServer::Reply reply);
  void StartRetry(const nlohmann::json& request, ControlServer::Reply reply);

  void OnSignal(int signum);
  void Reload();

  DaemonOptions options_;
  Settings settings_;
  SystemClock clock_;
  std::shared_ptr<DiskInterface> disk_;
  DbConfig db_;
  // Holds the journal's locks and watches its files; closed after every
  // journal connection (journal_guard.h).
  std::unique_ptr<JournalGuard> journal_guard_;
  int64_t started_ms_ = 0;
  int64_t startup_last_seq_ = 0;

  uv_loop_t loop_{};
  bool loop_ready_ = false;
  std::unique_ptr<LoopMailbox> mailbox_;
  // Created once the roots are first read (the backend may depend on them).
  std::unique_ptr<Watcher> watcher_;
  bool watcher_requested_ = false;
  std::unique_ptr<ControlServer> control_;
  std::unique_ptr<StatusWatch> status_watch_;
  std::unique_ptr<EventIngest> ingest_;
  std::unique_ptr<Reconciler> reconciler_;
  std::unique_ptr<SerialWorker> sweep_worker_;
  std::unique_ptr<SerialWorker> probe_worker_;
  // Owned by their workers once started.
  std::unique_ptr<Journal> sweep_journal_, probe_journal_, reconciler_journal_;
  std::unique_ptr<Catalog> sweep_catalog_, probe_catalog_;
  std::atomic<bool> cancel_{false};

  // Loop-thread state.
  std::shared_ptr<StorageLanes> lanes_;  // one thread per root for calls that may hang
  std::unique_ptr<RootMonitor> monitor_;
  // Roots read before the watcher was up, handed over once it is.
  std::optional<std::pair<std::vector<ConfiguredRoot>, std::map<std::string, RootRecord>>>
      roots_waiting_;
  SweepQueue sweeps_;
  std::vector<std::function<void(const SweepOutcome&)>> running_waiters_;
  std::string running_trigger_;
  std::string retry_trigger_;
  uint64_t sweep_retry_ms_ = 0;  // the last wait before retrying a failed sweep; 0: none failed
  std::optional<SweepOutcome> last_sweep_;
  std::unique_ptr<SyncTracker> syncs_;
  int64_t submitted_ = 0;
  int64_t committed_ = 0;
  // An overflow's sweep waits for the events submitted before it, and for
  // the roots to be armed again.
  std::optional<int64_t> overflow_sweep_after_;
  bool overflow_rearmed_ = false;
  bool db_connected_ = false;
  std::string db_error_;
  std::string journal_error_;
  int64_t pending_ = 0, failed_ = 0;
  std::string retry_error_;  // why events wait for the catalog, if they do
  // Roots whose last sweep the guards refused: root -> what status says.
  std::map<std::string, std::string> refused_roots_;
  int64_t archived_by_events_ = 0;
  int64_t overflows_ = 0;
  bool stopping_ = false;
  int exit_code_ = 0;

  uv_timer_t periodic_timer_{}, watchdog_timer_{}, prune_timer_{}, retry_timer_{};
  uv_signal_t sigterm_{}, sigint_{}, sighup_{};
};

}  // namespace recsync
