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
  for (const auto& [path, v] : monitor_->roots()) {
    if (v.up()) roots.push_back(path);
  }
  const auto timeout = std::chrono::seconds(settings_.probe_timeout);
  probe_worker_->Post([this, id, token, roots, timeout] {
    std::set<std::string> created;
    for (const auto& root : roots) {
      // On the root's lane: a hung root answers "stuck" at once, or times out.
      auto made = lanes_->Call<std::string>(
          root, LanePurpose::kProbe, timeout,
          [path = CookiePath(root, token)] { return CreateCookie(path).message(); });
      const std::string error = made.ok() ? *made : made.status().message();
      if (error.empty()) {
        created.insert(root);
      } else {
        // Cannot prove this root's events were read; the sync covers the rest.
        spdlog::warn("sync: {}", error);
      }
    }
    mailbox_->Post([this, id, created] { syncs_->Expect(id, created, submitted_); });
  });
}

nlohmann::json Daemon::StatusJson() const {
  const int64_t now = clock_.NowMs();
  nlohmann::json roots = monitor_ ? monitor_->StatusJson() : nlohmann::json::array();
  std::vector<std::string> degraded;
  if (monitor_) degraded = monitor_->Degraded();
  for (const auto& [root, line] : refused_roots_) degraded.push_back(line);
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
  if (!monitor_ || !monitor_->configured()) degraded.push_back("storage roots not loaded yet");
  if (pending_ > 0 && !retry_error_.empty()) {
    degraded.push_back(std::to_string(pending_) + " events wait to be retried: " + retry_error_);
  }

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
