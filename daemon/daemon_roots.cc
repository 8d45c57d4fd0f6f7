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
  probe_worker_->Post([this, settings = settings_] {
    std::vector<StorageInfo> infos;
    auto backoff = std::chrono::milliseconds(500);
    for (;;) {
      Status st;
      if (!probe_catalog_) {
        auto c = Catalog::Connect(db_, CatalogOptions{});
        if (c.ok()) probe_catalog_ = std::move(*c);
        else st = c.status();
      }
      if (probe_catalog_) {
        auto got = probe_catalog_->StorageInfos();
        if (got.ok()) {
          infos = std::move(*got);
          break;
        }
        st = got.status();
      }
      // Configured roots do not need the database (only their thresholds do).
      if (!settings.storage.empty()) break;
      spdlog::warn("cannot read the Storage table ({}); retrying", st.message());
      mailbox_->Post([this, msg = st.message()] {
        db_connected_ = false;
        db_error_ = msg;
      });
      for (auto waited = std::chrono::milliseconds(0); waited < backoff;
           waited += std::chrono::milliseconds(100)) {
        if (cancel_) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      backoff = std::min(backoff * 2, std::chrono::milliseconds(30000));
    }
    std::vector<ConfiguredRoot> roots;
    if (!settings.storage.empty()) {
      for (const auto& p : settings.storage) {
        ConfiguredRoot r{p, 0};
        for (const auto& info : infos) {
          if (NormalizeRoot(info.path) == NormalizeRoot(p)) r.max_thresh = info.max_thresh;
        }
        roots.push_back(std::move(r));
      }
    } else {
      for (const auto& info : infos) roots.push_back({info.path, info.max_thresh});
    }
    std::map<std::string, RootRecord> records;
    if (auto got = probe_journal_->Roots(); got.ok()) {
      for (auto& r : *got) records[r.path] = std::move(r);
    } else {
      spdlog::warn("{}", got.status().message());
    }
    mailbox_->Post([this, roots = std::move(roots), records = std::move(records)]() mutable {
      OnRootsRead(std::move(roots), std::move(records));
    });
  });
}

void Daemon::OnRootsRead(std::vector<ConfiguredRoot> roots,
                         std::map<std::string, RootRecord> records) {
  if (stopping_) return;
  if (watcher_) {
    monitor_->Configure(std::move(roots), std::move(records));
    return;
  }
  // The backend may depend on the roots' filesystems: choose it first, then
  // hand the roots over (the latest read, if a reload came meanwhile).
  const bool choosing = roots_waiting_.has_value();
  std::vector<std::string> spellings;
  for (const auto& r : roots) spellings.push_back(r.spelling);
  roots_waiting_.emplace(std::move(roots), std::move(records));
  if (choosing) return;
  probe_worker_->Post([this, kind = settings_.watcher, spellings] {
    auto choice = ChooseWatcher(kind, spellings);
    mailbox_->Post([this, choice] { StartWatcher(choice); });
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
    spdlog::error("cannot start the watcher: {}", watcher.status().message());
    exit_code_ = 1;
    Stop();
    return;
  }
  watcher_ = std::move(*watcher);
  if (!choice->reason.empty()) {
    spdlog::info("watcher = \"{}\": using inotify, since {}", settings_.watcher, choice->reason);
  }
  spdlog::info("watcher: {}", watcher_->backend());
  monitor_->SetWatcher(watcher_.get());
  auto [roots, records] = std::move(*roots_waiting_);
  roots_waiting_.reset();
  monitor_->Configure(std::move(roots), std::move(records));
}

void Daemon::OnRootsSettled() {
  // Watches are armed: now replay what the journal holds, then sweep.
  ReconcilerOptions ro;
  ro.db = db_;
  ro.catalog.retry_for = std::chrono::milliseconds(2000);
  ro.probe_timeout = std::chrono::seconds(settings_.probe_timeout);
  ro.restore_window = std::chrono::hours(24 * settings_.journal_retention_days);
  ro.settle_intents_before_ms = started_ms_;
  ro.lanes = lanes_;
  Reconciler::Callbacks rc;
  rc.on_db = [this](bool connected, const std::string& error) {
    mailbox_->Post([this, connected, error] {
      if (connected && !db_connected_ && !db_error_.empty()) {
        spdlog::info("database {} is reachable again", db_.Describe());
      }
      db_connected_ = connected;
      if (connected) db_error_.clear();
      else db_error_ = error;
    });
  };
  rc.on_round = [this](const ReconcilerReport& report) {
    mailbox_->Post([this, report] {
      pending_ = report.pending;
      failed_ = report.failed;
      retry_error_ = report.retry_error;
      archived_by_events_ += report.last.archived;
      if (report.caught_up_seq >= 0) syncs_->CaughtUp(report.caught_up_seq);
    });
  };
  try {
    reconciler_ = std::make_unique<Reconciler>(ro, std::move(reconciler_journal_), disk_, clock_,
                                               std::move(rc));
  } catch (const std::system_error& e) {
    spdlog::error("cannot start the reconciler's thread: {} (out of threads or memory: see "
                  "ulimit -u and TasksMax); stopping",
                  e.what());
    exit_code_ = 1;
    Stop();
    return;
  }
  PushRootsToReconciler();
  reconciler_->Notify(startup_last_seq_);
  RequestSweep(SweepRequest::Internal("startup"));
  SchedulePeriodicSweep();
  size_t online = 0;
  for (const auto& [id, v] : monitor_->roots()) online += v.online();
  const size_t total = monitor_->roots().size();
  NotifyReady(fmt::format("watching {} of {} storage roots", online, total));
  spdlog::info("ready: watching {} of {} storage roots ({} watches)", online, total,
               watcher_->watch_count());
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

void Daemon::RearmAll() {
  // The sweep must know every deletion read before the overflow (its ratio
  // guard counts them as explained): it waits until they are committed, as
  // well as for the roots to be armed again.
  overflow_sweep_after_ = submitted_;
  overflow_rearmed_ = false;
  monitor_->RearmAll([this] {
    overflow_rearmed_ = true;
    MaybeSweepAfterOverflow();
  });
}

void Daemon::MaybeSweepAfterOverflow() {
  if (!overflow_sweep_after_ || !overflow_rearmed_ || committed_ < *overflow_sweep_after_) return;
  overflow_sweep_after_.reset();
  if (!stopping_) RequestSweep(SweepRequest::Internal("overflow"));
}

}  // namespace recsync
