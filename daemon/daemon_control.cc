// The daemon's control socket: status, sweep and sync requests.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <sstream>

#include "daemon/daemon.h"
#include "daemon/storage_probe.h"
#include "reconcile/sweep_report.h"

namespace recsync {
namespace {

nlohmann::json Error(const std::string& message) {
  return {{"ok", false}, {"error", message}};
}

// A sweep's outcome as the CLI prints it: the same JSON and summary as an
// in-process `recsync sweep`, and the exit code it would have had.
nlohmann::json OutcomeJson(const SweepOutcome& outcome) {
  if (!outcome.status.ok()) {
    auto out = Error("sweep failed: " + outcome.status.message());
    out["exit"] = 1;
    return out;
  }
  std::ostringstream summary;
  PrintSweepSummary(outcome.report, summary);
  return {{"ok", true},
          {"exit", outcome.report.incomplete() ? 3 : 0},
          {"report", SweepReportToJson(outcome.report)},
          {"summary", summary.str()}};
}

}  // namespace

void Daemon::OnControl(const nlohmann::json& request, ControlServer::Reply reply) {
  const auto cmd = request.value("cmd", std::string());
  if (cmd == "status") {
    if (!request.contains("wait_ms")) {
      reply(StatusJson());
      return;
    }
    // Waits for a change from the status the client has (or, without one,
    // from the status now): see status_watch.h.
    const auto& wait = request["wait_ms"];
    if (!wait.is_number() || wait.get<double>() < 0) {
      reply(Error("wait_ms must be a number of milliseconds, 0 or more"));
      return;
    }
    constexpr double kMaxWaitMs = 24.0 * 3600 * 1000;
    const auto ms = std::chrono::milliseconds(
        static_cast<int64_t>(std::min(wait.get<double>(), kMaxWaitMs)));
    status_watch_->Wait(request.contains("unchanged") ? request["unchanged"] : StatusJson(), ms,
                        std::move(reply));
  } else if (cmd == "sweep") {
    SweepRequest r;
    r.trigger = "manual";
    r.dry_run = request.value("dry_run", false);
    r.force = request.value("force", false);
    r.relist = request.value("relist", false);
    r.waiters.push_back([reply](const SweepOutcome& outcome) { reply(OutcomeJson(outcome)); });
    RequestSweep(std::move(r));
  } else if (cmd == "sync") {
    StartSync(std::move(reply));
  } else {
    reply(Error("unknown command \"" + cmd + "\"; expected status, sweep or sync"));
  }
}

void Daemon::StartSync(ControlServer::Reply reply) {
  const uint64_t id = syncs_->Begin([reply] { reply({{"ok", true}}); });
  const std::string token = std::to_string(::getpid()) + "-" + std::to_string(id);
  std::vector<std::string> roots;
  for (const auto& [path, v] : roots_) {
    if (v.armed && v.status.state != RootState::kOffline) roots.push_back(path);
  }
  probe_worker_->Post([this, id, token, roots] {
    std::set<std::string> created;
    for (const auto& root : roots) {
      Status st = CreateCookie(CookiePath(root, token));
      if (st.ok()) {
        created.insert(root);
      } else {
        // Cannot prove this root's events were read; the sync covers the rest.
        spdlog::warn("sync: {}", st.message());
      }
    }
    mailbox_->Post([this, id, created] { syncs_->Expect(id, created, submitted_); });
  });
}

nlohmann::json Daemon::StatusJson() const {
  const int64_t now = clock_.NowMs();
  nlohmann::json roots = nlohmann::json::array();
  std::vector<std::string> degraded;
  for (const auto& [path, v] : roots_) {
    nlohmann::json r = {{"path", path},
                        {"state", RootStateName(v.status.state)},
                        {"reason", v.status.reason},
                        {"fs_type", v.status.fs_type},
                        {"mount_point", v.status.mount_point},
                        {"watched", v.armed},
                        {"max_thresh", v.max_thresh}};
    if (v.used_percent >= 0) r["used_percent"] = v.used_percent;
    if (!v.arm_error.empty()) r["watch_error"] = v.arm_error;
    roots.push_back(std::move(r));
    if (v.status.state == RootState::kOffline) {
      degraded.push_back("storage " + path + " is offline: " + v.status.reason);
    }
  }
  if (watcher_ && watcher_->degraded()) degraded.push_back(watcher_->degraded_reason());
  if (!db_error_.empty()) degraded.push_back("database: " + db_error_);
  if (!journal_error_.empty()) degraded.push_back("journal: " + journal_error_);
  if (journal_guard_) {
    for (auto& reason : journal_guard_->degraded()) degraded.push_back(std::move(reason));
  }
  if (failed_ > 0) {
    degraded.push_back(std::to_string(failed_) +
                       " events failed; see recsync journal events --state failed");
  }
  if (!roots_loaded_) degraded.push_back("storage roots not loaded yet");

  nlohmann::json last = nullptr;
  if (last_sweep_) {
    const auto& r = last_sweep_->report;
    last = {{"trigger", r.trigger},
            {"ok", last_sweep_->status.ok()},
            {"error", last_sweep_->status.message()},
            {"sweep_id", r.sweep_id},
            {"started_ms", r.started_ms},
            {"duration_ms", r.duration_ms},
            {"checked", r.checked()},
            {"missing", r.missing()},
            {"unknown", r.unknown()},
            {"archived", r.archived()},
            {"incomplete", r.incomplete()}};
  }
  return {{"ok", true},
          {"pid", ::getpid()},
          {"version", RECSYNC_VERSION},
          {"uptime_s", (now - started_ms_) / 1000},
          {"ready", reconciler_ != nullptr},
          {"journal", settings_.journal},
          {"watcher",
           {{"backend", watcher_ ? watcher_->backend() : "none"},
            {"requested", settings_.watcher},
            {"watches", watcher_ ? watcher_->watch_count() : 0},
            {"overflows", overflows_}}},
          {"database",
           {{"server", db_.Describe()}, {"connected", db_connected_}, {"error", db_error_}}},
          {"events",
           {{"pending", pending_},
            {"failed", failed_},
            {"received", submitted_},
            {"committed", committed_},
            {"rows_archived", archived_by_events_}}},
          {"roots", roots},
          {"sweep",
           {{"running", sweeps_.running()},
            {"running_trigger", sweeps_.running() ? running_trigger_ : ""},
            {"queued", sweeps_.queued()},
            {"last", last}}},
          {"degraded", degraded}};
}

}  // namespace recsync
