// SweepScheduler: when the daemon sweeps, with what options, and what came
// of it.
//
// Triggers (start-up, the periodic timer, overflows, storage pressure, roots
// coming online, clients) call Request(); requests are coalesced by the
// SweepQueue and run one at a time on the sweep worker, which owns its own
// journal and catalog connections (Worker<Connections>). A sweep the
// database refused (kUnavailable: unreachable, read-only, out of disk) is
// tried again after 5 s, doubling up to a minute, unless a client asked for
// it (the client gets the error). The options of each sweep are fixed on the
// loop when it starts, from the settings as they are then. Roots a guard
// refused are remembered for status until a later sweep of them is not
// refused. The sweep worker also prunes the journal every six hours (its
// journal connection is the one that writes sweep records).
//
// The fronts (control socket, HTTP) start, watch and cancel sweeps here and
// nowhere else: a request's on_started hears the sweep's journal id once it
// has one; running() shows the running sweep and its progress (published by
// the sweep itself, reconcile/sweep_progress.h); Cancel() asks it to stop
// between batches, and it then ends as cancelled (an Ok outcome with
// report.cancelled, recorded as "cancelled"): what it archived stays, and it
// is not tried again. A cancelled sweep settles no events and clears no
// refusal: it has not looked at everything.
//
// Thread rules: every method on the loop thread. Sweeps run on the worker
// and report through the mailbox.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "config/config.h"
#include "daemon/connections.h"
#include "daemon/daemon_status.h"
#include "daemon/loop_mailbox.h"
#include "daemon/loop_timer.h"
#include "daemon/sweep_queue.h"
#include "reconcile/storage_lanes.h"

namespace recsync {

class SweepScheduler {
 public:
  // What every sweep runs with, fixed for the daemon's life.
  struct Environment {
    uv_loop_t* loop = nullptr;
    LoopMailbox::Ref mailbox;
    std::shared_ptr<DiskInterface> disk;
    std::shared_ptr<StorageLanes> lanes;
    const Clock* clock = nullptr;
    // Intents older than this (the daemon's start) are a crash's.
    int64_t started_ms = 0;
  };
  struct Callbacks {
    // Every spelling of the roots `ids` (every root when empty).
    std::function<std::vector<std::string>(const std::vector<std::string>& ids)> spellings_of;
    // The roots' journal records after a sweep wrote new ones.
    std::function<void(std::map<std::string, RootRecord>)> on_records;
    // A sweep that changed the catalog finished (it may have settled events).
    std::function<void()> on_swept;
    // Every sweep that ends, with the trigger it ran for (the daemon's
    // counters, daemon_counters.h).
    std::function<void(SweepTrigger, const SweepOutcome&)> on_outcome;
  };

  // Starts the sweep worker with `connections`; kUnavailable when its thread
  // cannot be started.
  static Result<std::unique_ptr<SweepScheduler>> Start(Environment env,
                                                       std::unique_ptr<Connections> connections,
                                                       const Settings& settings,
                                                       Callbacks callbacks);
  ~SweepScheduler();  // Stop()
  SweepScheduler(const SweepScheduler&) = delete;
  SweepScheduler& operator=(const SweepScheduler&) = delete;

  // Queues a sweep; after Stop() its waiters are told "recsync is stopping".
  void Request(SweepRequest request);
  // Starts the periodic sweeps and the journal's pruning.
  void StartTimers();
  // New settings (SIGHUP): sweeps started from now on use them.
  void Reconfigure(const Settings& settings);
  // Cancels the running sweep between batches, drops queued ones (their
  // waiters told) and joins the worker.
  void Stop();

  SweepStatus status() const;

  // The sweep running now, with its progress; nullopt when none runs.
  std::optional<RunningSweep> running() const;
  // Asks the running sweep `sweep_id` to stop before its next batch (see
  // above); Ok once asked, again included. kNotFound when no sweep of that
  // id runs: none runs, another does, or the running one has no id yet
  // (running()->id is 0), or it is queued.
  Status Cancel(int64_t sweep_id);

 private:
  SweepScheduler(Environment env, const Settings& settings, Callbacks callbacks);
  void MaybeStart();
  // The running sweep got its journal id.
  void OnBegun(int64_t sweep_id);
  SweepOptions OptionsFor(const SweepRequest& request) const;
  void OnDone(const SweepOutcome& outcome);
  void RetryLater(SweepTrigger trigger);
  void NoteRefusals(const SweepReport& report);
  void SchedulePeriodic();
  void Prune();

  Environment env_;
  Settings settings_;
  Callbacks callbacks_;
  std::unique_ptr<ConnectionWorker> worker_;
  std::atomic<bool> cancel_{false};
  bool stopping_ = false;

  SweepQueue queue_;
  std::vector<SweepRequest::Waiter> running_waiters_;
  SweepTrigger running_trigger_ = SweepTrigger::kStartup;
  SweepTrigger retry_trigger_ = SweepTrigger::kStartup;
  uint64_t retry_ms_ = 0;  // the last wait before retrying a failed sweep; 0: none failed
  std::optional<SweepOutcome> last_;
  // Shared by the loop and the running sweep's thread, for its life.
  struct Shared {
    SweepProgress progress;
    std::atomic<bool> cancel{false};  // an operator's (SweepOptions::operator_cancel)
  };
  std::shared_ptr<Shared> running_shared_;  // null when none runs
  std::vector<SweepRequest::Started> running_started_;
  int64_t running_id_ = 0;  // 0 until OnBegun
  bool running_dry_run_ = false;
  std::map<std::string, std::string> refused_;

  LoopTimer periodic_timer_, retry_timer_, prune_timer_;
};

}  // namespace recsync
