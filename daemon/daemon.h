// Daemon: `recsync run`, the always-on reconciler. It holds the daemon's
// parts and wires them; the work is theirs.
//
// Who owns what (docs/architecture.md has the picture)
// - The libuv loop thread runs the Daemon and every part below that is not
//   a worker: the RootMonitor (root states, probes, arming, mount changes),
//   the SweepScheduler's queue and timers, the SyncTracker, the control
//   socket and the StatusWatch. It only dispatches: it never waits on the
//   database, the journal or storage.
// - Each worker owns its connections, reachable only from its own tasks:
//   EventIngest (a journal: commits watcher events, group commit), the
//   Reconciler (a journal and a catalog: applies committed events), the
//   SweepScheduler's sweep worker and the probe worker (each a
//   Worker<Connections>: a journal and a catalog). Workers report back
//   through the LoopMailbox; calls that may hang in storage go through the
//   StorageLanes (one thread per root and purpose).
// - DaemonStatus is the one snapshot `status` (and later HTTP and metrics)
//   reads: Snapshot() assembles it from the parts.
//
// Start-up order: lock the journal (its lock file and the file itself), open
// it (checking it for damage), hand the locks to the JournalGuard, listen on
// the control socket, read the roots and pick the watcher backend for them
// (`watcher`: auto, inotify or fanotify; see watcher/watcher.h), arm the
// watches on every root, then replay pending events, then sweep, so nothing
// deleted meanwhile falls between the watches and the sweep.
#pragma once

#include <uv.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "config/config.h"
#include "control/control_server.h"
#include "daemon/connections.h"
#include "daemon/daemon_status.h"
#include "daemon/event_ingest.h"
#include "daemon/http_api.h"
#include "daemon/journal_guard.h"
#include "daemon/loop_mailbox.h"
#include "daemon/loop_timer.h"
#include "daemon/reconciler.h"
#include "daemon/root_monitor.h"
#include "daemon/status_watch.h"
#include "daemon/storage_table.h"
#include "daemon/sweep_scheduler.h"
#include "daemon/sync_tracker.h"
#include "reconcile/storage_lanes.h"
#include "watcher/watcher.h"
#include "http/http_front.h"
#include "http/http_server.h"

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
  // Start-up and stop (daemon.cc).
  Status Start();
  void StartLoop();
  Status OpenJournal(std::vector<std::unique_ptr<Journal>>& connections);
  Status StartWorkers(std::vector<std::unique_ptr<Journal>> connections);
  void StartMonitor();
  void Stop();  // stops with exit_code_
  void Fail(const std::string& why);  // logs, then stops with exit code 1
  void OnSignal(int signum);
  void Reload();
  void ApplySettings(const Result<Settings>& reloaded);

  // Watcher events (daemon_events.cc).
  void OnWatchEvents(std::vector<WatchEvent> events);
  void OnCommitted(int64_t total, int64_t last_seq);
  void OnCookie(const WatchEvent& e, int64_t submitted_then);
  // After an overflow: re-arms every root, then sweeps once the events read
  // before it are committed too.
  void RearmAll();
  void MaybeSweepAfterOverflow();

  // Roots (daemon_roots.cc).
  // Reads the configured roots (settings, or the Storage table) on the probe
  // worker, then hands them to the monitor (choosing the watcher first).
  void LoadRoots(const std::string& why);
  void OnRootsRead(ConfiguredRoots roots);
  // Creates the watcher `choice` names; one that cannot be created stops the
  // daemon with exit code 1.
  void StartWatcher(const Result<WatcherChoice>& choice);
  // The first check of every root is done: replay, sweep, READY=1.
  void OnRootsSettled();
  bool StartReconciler();
  void PushRootsToReconciler();
  // Every spelling of the roots `ids` (all roots when empty): what a sweep of
  // them is given.
  std::vector<std::string> SpellingsOf(const std::vector<std::string>& ids) const;

  // Control socket and status (daemon_control.cc).
  void OnControl(const nlohmann::json& request, ControlServer::Reply reply);

  // HTTP (daemon_http.cc): the page, the API and /metrics on http_listen.
  Status StartHttp();
  HttpFrontOptions FrontOptions(const Result<std::string>& token) const;
  // SIGHUP: the token file is read again (on the probe worker), the hosts
  // and the session lifetime taken from the settings.
  void ReloadHttp();
  void StartHttpSweep(const SweepAsk& ask, std::function<void(Result<int64_t>)> started);
  DaemonStatus Snapshot() const;
  void StartSync(ControlServer::Reply reply);
  void StartClientSweep(const nlohmann::json& request, ControlServer::Reply reply);
  void StartRetry(const nlohmann::json& request, ControlServer::Reply reply);
  // Writes sync `sync_id`'s cookie in every root of `roots` (on the probe
  // worker, each on its root's lane); a root it cannot write in is added to
  // `not_covered`.
  void WriteCookies(uint64_t sync_id, const std::string& token, std::vector<std::string> roots,
                    std::shared_ptr<std::map<std::string, std::string>> not_covered);

  DaemonOptions options_;
  Settings settings_;
  SystemClock clock_;
  std::shared_ptr<DiskInterface> disk_;
  DbConfig db_;
  int64_t started_ms_ = 0;
  int64_t startup_last_seq_ = 0;

  // Loop-thread parts.
  uv_loop_t loop_{};
  bool loop_ready_ = false;
  std::unique_ptr<LoopMailbox> mailbox_;
  // Holds the journal's locks and watches its files; closed after every
  // journal connection (journal_guard.h).
  std::unique_ptr<JournalGuard> journal_guard_;
  std::unique_ptr<ControlServer> control_;
  std::unique_ptr<HttpApi> http_api_;
  std::unique_ptr<HttpFront> http_front_;
  std::unique_ptr<HttpServer> http_;
  std::string http_where_ = "off";
  std::unique_ptr<StatusWatch> status_watch_;
  std::shared_ptr<StorageLanes> lanes_;  // one thread per root for calls that may hang
  std::unique_ptr<RootMonitor> monitor_;
  // Created once the roots are first read (the backend may depend on them);
  // the roots read meanwhile wait here.
  std::unique_ptr<Watcher> watcher_;
  std::optional<ConfiguredRoots> roots_waiting_;
  std::unique_ptr<SyncTracker> syncs_;
  std::unique_ptr<LoopTimer> watchdog_timer_;
  uv_signal_t sigterm_{}, sigint_{}, sighup_{};
  // An overflow's sweep waits for the events submitted before it, and for
  // the roots to be armed again.
  std::optional<int64_t> overflow_sweep_after_;
  bool overflow_rearmed_ = false;

  // Workers, each owning its connections.
  std::unique_ptr<EventIngest> ingest_;
  std::unique_ptr<ConnectionWorker> probe_;
  std::unique_ptr<SweepScheduler> sweeps_;
  // Started once every root was first checked; its journal waits until then.
  std::unique_ptr<Reconciler> reconciler_;
  std::unique_ptr<Journal> reconciler_journal_;
  std::atomic<bool> cancel_{false};  // ends the probe worker's waits when stopping

  // What status shows that no part keeps.
  EventCounts events_;
  DaemonCounters counters_;
  DatabaseState database_;
  std::string journal_error_;
  int64_t overflows_ = 0;
  bool stopping_ = false;
  int exit_code_ = 0;
};

}  // namespace recsync
