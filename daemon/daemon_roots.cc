// The daemon's storage roots: reading them (the `storage` setting, else the
// Storage table), choosing the watcher for them, and handing them to the
// RootMonitor, which probes and arms them (root_monitor.h).
#include <spdlog/spdlog.h>

#include <thread>
#include <utility>

#include "common/path.h"
#include "daemon/daemon.h"
#include "daemon/systemd_notify.h"

namespace recsync {

void Daemon::LoadRoots(const std::string& why) {
  spdlog::debug("reading the storage roots ({})", why);
  auto on_retry = [this, mailbox = mailbox_->ref()](const Status& error) {
    mailbox.Post([this, message = error.message()] {
      database_.connected = false;
      database_.error = message;
    });
  };
  probe_->Post([this, storage = settings_.storage, mailbox = mailbox_->ref(),
                on_retry](Connections& c) {
    auto roots = ReadConfiguredRoots(c, storage, cancel_, on_retry);
    if (!roots) return;  // stopping
    mailbox.Post([this, roots = std::move(*roots)]() mutable { OnRootsRead(std::move(roots)); });
  });
}

void Daemon::OnRootsRead(ConfiguredRoots roots) {
  if (stopping_) return;
  if (watcher_) {
    monitor_->Configure(std::move(roots.roots), std::move(roots.records));
    return;
  }
  // The backend may depend on the roots' filesystems: choose it first, then
  // hand the roots over (the latest read, if a reload came meanwhile).
  const bool choosing = roots_waiting_.has_value();
  std::vector<std::string> spellings;
  for (const auto& r : roots.roots) spellings.push_back(r.spelling);
  roots_waiting_ = std::move(roots);
  if (choosing) return;
  probe_->Post([this, kind = settings_.watcher, spellings,
                mailbox = mailbox_->ref()](Connections&) {
    auto choice = ChooseWatcher(kind, spellings);
    mailbox.Post([this, choice] { StartWatcher(choice); });
  });
}

void Daemon::StartWatcher(const Result<WatcherChoice>& choice) {
  if (stopping_) return;
  Result<std::unique_ptr<Watcher>> watcher =
      choice.ok() ? CreateWatcher(
                        &loop_,
                        [this](std::vector<WatchEvent> events) { OnWatchEvents(std::move(events)); },
                        choice->backend, {}, monitor_->mount_watcher())
                  : Result<std::unique_ptr<Watcher>>(choice.status());
  if (!watcher.ok()) {
    Fail("cannot start the watcher: " + watcher.status().message());
    return;
  }
  watcher_ = std::move(*watcher);
  if (!choice->reason.empty()) {
    spdlog::info("watcher = \"{}\": using inotify, since {}", settings_.watcher, choice->reason);
  }
  spdlog::info("watcher: {}", watcher_->backend());
  monitor_->SetWatcher(watcher_.get());
  ConfiguredRoots roots = std::move(*roots_waiting_);
  roots_waiting_.reset();
  monitor_->Configure(std::move(roots.roots), std::move(roots.records));
}

void Daemon::OnRootsSettled() {
  // Watches are armed: now replay what the journal holds, then sweep.
  if (!StartReconciler()) return;
  PushRootsToReconciler();
  reconciler_->Notify(startup_last_seq_);
  sweeps_->Request(SweepRequest::Internal(SweepTrigger::kStartup));
  sweeps_->StartTimers();
  size_t online = 0;
  for (const auto& [id, v] : monitor_->roots()) online += v.online();
  const size_t total = monitor_->roots().size();
  NotifyReady(fmt::format("watching {} of {} storage roots", online, total));
  spdlog::info("ready: watching {} of {} storage roots ({} watches)", online, total,
               watcher_->watch_count());
}

bool Daemon::StartReconciler() {
  ReconcilerOptions ro;
  ro.db = db_;
  ro.catalog.retry_for = std::chrono::milliseconds(2000);
  ro.probe_timeout = std::chrono::seconds(settings_.probe_timeout);
  ro.restore_window = std::chrono::hours(24 * settings_.journal_retention_days);
  ro.settle_intents_before_ms = started_ms_;
  ro.lanes = lanes_;
  Reconciler::Callbacks rc;
  rc.on_db = [this, mailbox = mailbox_->ref()](bool connected, const std::string& error) {
    mailbox.Post([this, connected, error] {
      if (connected && !database_.connected && !database_.error.empty()) {
        spdlog::info("database {} is reachable again", db_.Describe());
      }
      database_.connected = connected;
      database_.error = connected ? "" : error;
    });
  };
  rc.on_round = [this, mailbox = mailbox_->ref()](const ReconcilerReport& report) {
    mailbox.Post([this, report] {
      events_.pending = report.pending;
      events_.failed = report.failed;
      events_.retry_error = report.retry_error;
      events_.rows_archived += report.last.archived;
      counters_.CountRound(report.last);
      if (report.caught_up_seq >= 0) syncs_->CaughtUp(report.caught_up_seq);
    });
  };
  auto started = Reconciler::Start(ro, std::move(reconciler_journal_), disk_, clock_,
                                   std::move(rc));
  if (!started.ok()) {
    Fail("cannot start the reconciler: " + started.status().message());
    return false;
  }
  reconciler_ = std::move(*started);
  return true;
}

void Daemon::PushRootsToReconciler() {
  if (!reconciler_) return;
  reconciler_->SetRoots(monitor_->Ids(), monitor_->OfflineIds(), monitor_->Aliases());
}

std::vector<std::string> Daemon::SpellingsOf(const std::vector<std::string>& ids) const {
  std::vector<std::string> out;
  for (const auto& [id, v] : monitor_->roots()) {
    if (!ids.empty() && std::find(ids.begin(), ids.end(), id) == ids.end()) continue;
    out.push_back(id);
    for (const auto& s : v.spellings) {
      if (s != id) out.push_back(s);
    }
  }
  return out;
}

}  // namespace recsync
