// The daemon's storage roots: loading them, arming their watches, noticing
// when one goes offline or comes back, and how full each one is.
#include <spdlog/spdlog.h>

#include <thread>
#include <utility>

#include "common/path.h"
#include "daemon/daemon.h"
#include "daemon/storage_probe.h"
#include "daemon/systemd_notify.h"

namespace recsync {
namespace {

constexpr uint64_t kOfflineCheckMs = 5000;
constexpr uint64_t kFullCheckMs = 60 * 1000;
// A storage under pressure is swept at most this often.
constexpr int64_t kPressureSweepEveryMs = 10 * 60 * 1000;
// Sweep once used% exceeds Storage.max_thresh by this much: Bluecherry's
// cleaner should have freed space by then, so it is finding nothing to delete.
constexpr double kPressureMargin = 5.0;

}  // namespace

std::vector<std::string> Daemon::RootPaths() const {
  std::vector<std::string> out;
  for (const auto& [path, view] : roots_) out.push_back(path);
  return out;
}

void Daemon::LoadAndArmRoots(const std::string& why, bool startup) {
  std::vector<std::string> previous = RootPaths();
  // The first load only decides the backend (it may depend on the roots'
  // filesystems); StartWatcher then loads again with the watcher in place.
  if (watcher_requested_ && !watcher_) return;  // StartWatcher loads them when it is up
  const bool choose = !watcher_requested_;
  watcher_requested_ = true;
  probe_worker_->Post([this, settings = settings_, why, startup, previous, choose] {
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
    std::vector<std::string> paths;
    if (!settings.storage.empty()) {
      for (const auto& p : settings.storage) paths.push_back(NormalizeRoot(p));
    } else {
      for (const auto& info : infos) paths.push_back(NormalizeRoot(info.path));
    }
    if (choose) {
      auto choice = ChooseWatcher(settings.watcher, paths);
      mailbox_->Post([this, choice] { StartWatcher(choice); });
      return;
    }
    for (const auto& old : previous) {
      if (std::find(paths.begin(), paths.end(), old) == paths.end()) {
        spdlog::info("storage {} is no longer configured; releasing its watches", old);
        (void)watcher_->RemoveRoot(old);
      }
    }
    auto tables = ReadMountTables(*disk_);
    std::vector<RootView> views;
    for (const auto& path : paths) {
      RootView v;
      v.path = path;
      for (const auto& info : infos) {
        if (NormalizeRoot(info.path) == path) v.max_thresh = info.max_thresh;
      }
      v.status.path = path;
      if (auto bad = CheckRootPath(path); !bad.empty()) {
        v.status.reason = bad;
      } else if (!tables.ok()) {
        v.status.reason = tables.status().message();
      } else {
        auto last = probe_journal_->GetRoot(path);
        v.status = AssessRoot(disk_, path, *tables, last.ok() ? *last : std::nullopt,
                              std::chrono::seconds(settings.probe_timeout));
      }
      if (v.status.state != RootState::kOffline) {
        Status armed = watcher_->AddRoot(path);
        v.armed = armed.ok() || watcher_->degraded();
        if (!armed.ok()) {
          v.arm_error = armed.message();
          spdlog::error("{}", armed.message());
        }
      } else {
        spdlog::warn("storage {} is offline: {}; not watched until it is back", path,
                     v.status.reason);
      }
      views.push_back(std::move(v));
    }
    spdlog::info("{}: {} storage roots, {} watches", why, views.size(), watcher_->watch_count());
    mailbox_->Post([this, views = std::move(views), startup] { OnRootsArmed(views, startup); });
  });
}

void Daemon::StartWatcher(const Result<WatcherChoice>& choice) {
  if (stopping_) return;
  Result<std::unique_ptr<Watcher>> watcher =
      choice.ok() ? CreateWatcher(
                        &loop_,
                        [this](std::vector<WatchEvent> events) { OnWatchEvents(std::move(events)); },
                        choice->backend, {})
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
  LoadAndArmRoots("start-up", /*startup=*/true);
}

void Daemon::OnRootsArmed(std::vector<RootView> views, bool startup) {
  std::map<std::string, RootView> next;
  std::vector<std::string> added;
  for (auto& v : views) {
    auto old = roots_.find(v.path);
    if (old != roots_.end()) {
      v.last_pressure_sweep_ms = old->second.last_pressure_sweep_ms;
      v.used_percent = old->second.used_percent;
    } else if (v.status.state != RootState::kOffline) {
      added.push_back(v.path);
    }
    next[v.path] = std::move(v);
  }
  roots_ = std::move(next);
  roots_loaded_ = true;
  if (!startup) {
    PushRootsToReconciler();
    if (!added.empty()) RequestSweep(SweepRequest::Internal("online", added));
    return;
  }

  // Watches are armed: now replay what the journal holds, then sweep.
  ReconcilerOptions ro;
  ro.db = db_;
  ro.catalog.retry_for = std::chrono::milliseconds(2000);
  ro.probe_timeout = std::chrono::seconds(settings_.probe_timeout);
  ro.settle_intents_before_ms = started_ms_;
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
      archived_by_events_ += report.last.archived;
      if (report.caught_up_seq >= 0) syncs_->CaughtUp(report.caught_up_seq);
    });
  };
  reconciler_ = std::make_unique<Reconciler>(ro, std::move(reconciler_journal_), disk_, clock_,
                                             std::move(rc));
  PushRootsToReconciler();
  reconciler_->Notify(startup_last_seq_);
  RequestSweep(SweepRequest::Internal("startup"));
  SchedulePeriodicSweep();
  uv_timer_start(
      &roots_timer_, [](uv_timer_t* t) { static_cast<Daemon*>(t->data)->CheckRoots(false); },
      kOfflineCheckMs, kOfflineCheckMs);
  uv_timer_start(
      &pressure_timer_, [](uv_timer_t* t) { static_cast<Daemon*>(t->data)->CheckRoots(true); },
      kFullCheckMs, kFullCheckMs);
  // How full each root is, now rather than in a minute: a daemon restarted
  // on a full disk should not wait to help.
  CheckRoots(/*all=*/true);
  size_t online = 0;
  for (const auto& [p, v] : roots_) online += v.status.state != RootState::kOffline;
  NotifyReady(fmt::format("watching {} of {} storage roots", online, roots_.size()));
  spdlog::info("ready: watching {} of {} storage roots ({} watches)", online, roots_.size(),
               watcher_->watch_count());
}

void Daemon::PushRootsToReconciler() {
  if (!reconciler_) return;
  std::set<std::string> offline;
  for (const auto& [path, v] : roots_) {
    if (v.status.state == RootState::kOffline) offline.insert(path);
  }
  reconciler_->SetRoots(RootPaths(), offline);
}

void Daemon::MarkOffline(const std::string& root, const std::string& reason) {
  auto it = roots_.find(root);
  if (it == roots_.end()) return;
  if (it->second.status.state != RootState::kOffline) {
    spdlog::warn("storage {} went offline: {}; its events are held until it is back", root,
                 reason);
  }
  it->second.status.state = RootState::kOffline;
  it->second.status.reason = reason;
  it->second.armed = false;
  PushRootsToReconciler();
}

void Daemon::RearmAll() {
  probe_worker_->Post([this, roots = RootPaths()] {
    for (const auto& root : roots) {
      if (auto st = watcher_->AddRoot(root); !st.ok()) spdlog::warn("{}", st.message());
    }
    mailbox_->Post([this] { RequestSweep(SweepRequest::Internal("overflow")); });
  });
}

void Daemon::CheckRoots(bool all) {
  // Mount-table changes can come in storms (containers starting): one full
  // check in flight at a time, and one more after it if asked meanwhile.
  if (all && full_check_in_flight_) {
    full_check_again_ = true;
    return;
  }
  std::vector<RootView> views;
  for (const auto& [path, v] : roots_) {
    if (all || v.status.state == RootState::kOffline || !v.armed) views.push_back(v);
  }
  if (views.empty()) return;
  if (all) full_check_in_flight_ = true;
  const auto timeout = std::chrono::seconds(settings_.probe_timeout);
  probe_worker_->Post([this, views = std::move(views), all, timeout]() mutable {
    auto tables = ReadMountTables(*disk_);
    for (auto& v : views) {
      if (!tables.ok()) {
        v.status.state = RootState::kOffline;
        v.status.reason = tables.status().message();
        continue;
      }
      auto last = probe_journal_->GetRoot(v.path);
      v.status = AssessRoot(disk_, v.path, *tables, last.ok() ? *last : std::nullopt, timeout);
      if (v.status.state == RootState::kOffline) {
        // Re-armed when it is back: the directories may be new inodes then.
        v.armed = false;
        continue;
      }
      if (!v.armed) {
        Status armed = watcher_->AddRoot(v.path);
        v.armed = armed.ok() || watcher_->degraded();
        v.arm_error = armed.ok() ? "" : armed.message();
      }
      if (all) {
        auto used = UsedPercent(v.path);
        v.used_percent = used.ok() ? *used : -1;
      }
    }
    mailbox_->Post([this, views = std::move(views), all] {
      OnRootsAssessed(views);
      if (!all) return;
      full_check_in_flight_ = false;
      if (std::exchange(full_check_again_, false)) CheckRoots(true);
    });
  });
}

void Daemon::OnRootsAssessed(std::vector<RootView> assessed) {
  bool changed = false;
  const int64_t now = clock_.NowMs();
  for (auto& v : assessed) {
    auto it = roots_.find(v.path);
    if (it == roots_.end()) continue;
    RootView& cur = it->second;
    const bool was_down = cur.status.state == RootState::kOffline || !cur.armed;
    const bool is_up = v.status.state != RootState::kOffline && v.armed;
    if (was_down && is_up) {
      spdlog::info("storage {} is back online; sweeping it", v.path);
      RequestSweep(SweepRequest::Internal("online", {v.path}));
      changed = true;
    } else if (!was_down && !is_up) {
      spdlog::warn("storage {} went offline: {}", v.path, v.status.reason);
      changed = true;
    }
    cur.status = v.status;
    cur.armed = v.armed;
    cur.arm_error = v.arm_error;
    if (v.used_percent >= 0) cur.used_percent = v.used_percent;
    if (is_up && cur.max_thresh > 0 && cur.used_percent > cur.max_thresh + kPressureMargin &&
        now - cur.last_pressure_sweep_ms >= kPressureSweepEveryMs) {
      spdlog::warn("storage {} is {:.1f}% full, above its max_thresh {} + {}: sweeping it",
                   v.path, cur.used_percent, cur.max_thresh, kPressureMargin);
      cur.last_pressure_sweep_ms = now;
      RequestSweep(SweepRequest::Internal("pressure", {v.path}));
    }
  }
  if (changed) PushRootsToReconciler();
}

}  // namespace recsync
