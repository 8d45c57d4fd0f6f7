// The daemon's control socket: status, sweep, sync and retry requests.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <sstream>

#include "daemon/control_request.h"
#include "daemon/daemon.h"
#include "daemon/storage_probe.h"
#include "reconcile/sweep_report.h"

namespace recsync {
namespace {

nlohmann::json Error(const std::string& message) {
  return {{"ok", false}, {"error", message}};
}

// A request the daemon will not run as asked: the CLI exits 2 (usage).
nlohmann::json Refusal(const Status& why) {
  auto out = Error(why.message());
  out["exit"] = 2;
  return out;
}

// `recsync journal retry` on the daemon's side (a worker's journal).
nlohmann::json RetryInJournal(Journal& journal, const RetryAsk& ask, const Clock& clock) {
  nlohmann::json skipped = nlohmann::json::array();
  std::vector<int64_t> retried;
  if (ask.all) {
    auto all = journal.RetryAllFailed(clock.NowMs());
    if (!all.ok()) return Error("retry: " + all.status().message());
    retried = std::move(*all);
  } else {
    auto some = journal.RetryFailed(ask.seqs, clock.NowMs());
    if (!some.ok()) return Error("retry: " + some.status().message());
    retried = std::move(some->retried);
    for (const auto& [seq, state] : some->skipped) {
      skipped.push_back({{"seq", seq}, {"state", state ? std::string(ToText(*state)) : ""}});
    }
  }
  if (!retried.empty()) spdlog::info("retrying {} failed events", retried.size());
  return {{"ok", true}, {"retried", retried}, {"skipped", skipped}};
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
  const auto cmd = RequestCommand(request);
  if (!cmd.ok()) {
    reply(Refusal(cmd.status()));
  } else if (*cmd == "status") {
    // With wait_ms, waits for a change from the status the client has (or,
    // without one, from the status now): see status_watch.h.
    const auto wait = ParseStatusWait(request);
    if (!wait.ok()) {
      reply(Refusal(wait.status()));
    } else if (!*wait) {
      reply(StatusJson());
    } else {
      status_watch_->Wait(request.contains("unchanged") ? request["unchanged"] : StatusJson(),
                          **wait, std::move(reply));
    }
  } else if (*cmd == "sweep") {
    StartClientSweep(request, std::move(reply));
  } else if (*cmd == "sync") {
    if (Status known = CheckKnownFields(request, "sync", {}); !known.ok()) {
      reply(Refusal(known));
    } else {
      StartSync(std::move(reply));
    }
  } else if (*cmd == "retry") {
    StartRetry(request, std::move(reply));
  } else {
    reply(Refusal(Status(Code::kInvalid, "unknown command \"" + *cmd +
                                             "\"; expected status, sweep, sync or retry")));
  }
}

void Daemon::StartClientSweep(const nlohmann::json& request, ControlServer::Reply reply) {
  auto ask = ParseSweepRequest(request);
  if (!ask.ok()) {
    reply(Refusal(ask.status()));
    return;
  }
  std::vector<std::string> roots;
  if (!ask->storage.empty()) {
    std::vector<DaemonRoot> known;
    for (const auto& [id, v] : monitor_->roots()) known.push_back({id, v.spellings});
    auto matched = MatchDaemonRoots(ask->storage, known);
    if (!matched.ok()) {
      reply(Refusal(matched.status()));
      return;
    }
    roots = SpellingsOf(*matched);
  }
  RequestSweep(SweepRequest::Manual(ask->spec, std::move(roots),
                                    [reply](const SweepOutcome& o) { reply(OutcomeJson(o)); }));
}

void Daemon::StartRetry(const nlohmann::json& request, ControlServer::Reply reply) {
  auto ask = ParseRetryRequest(request);
  if (!ask.ok()) {
    reply(Refusal(ask.status()));
    return;
  }
  probe_worker_->Post([this, ask = *ask, reply] {
    auto answer = std::make_shared<nlohmann::json>(RetryInJournal(*probe_journal_, ask, clock_));
    mailbox_->Post([this, answer, reply] {
      const auto& retried = answer->value("retried", nlohmann::json::array());
      if (!retried.empty()) {
        // Pending again: a sync waits for them, and the reconciler takes
        // them now rather than at its next wake-up.
        syncs_->Reopened(retried.front().get<int64_t>());
        if (reconciler_) reconciler_->Notify(0);
      }
      reply(*answer);
    });
  });
}

void Daemon::StartSync(ControlServer::Reply reply) {
  // Roots whose events this sync cannot prove read: root -> why.
  auto not_covered = std::make_shared<std::map<std::string, std::string>>();
  const uint64_t id = syncs_->Begin([this, reply, not_covered](int64_t up_to_seq) {
    // What did not settle up to the sync point; which roots are offline says
    // which pending events are held.
    std::map<std::string, std::string> offline;
    for (const auto& [path, v] : monitor_->roots()) {
      if (!v.online()) offline[path] = v.status.reason;
    }
    probe_worker_->Post([this, up_to_seq, offline, reply, not_covered] {
      auto unsettled = probe_journal_->Unsettled(up_to_seq);
      auto answer = std::make_shared<nlohmann::json>(
          unsettled.ok() ? SyncAnswer(up_to_seq, *unsettled, offline, *not_covered)
                         : Error("sync: " + unsettled.status().message()));
      mailbox_->Post([answer, reply] { reply(*answer); });
    });
  });
  const std::string token = std::to_string(::getpid()) + "-" + std::to_string(id);
  std::vector<std::string> roots;
  for (const auto& [path, v] : monitor_->roots()) {
    if (v.up()) {
      roots.push_back(path);
    } else {
      (*not_covered)[path] = v.online() ? "not watched" + (v.arm_error.empty() ? std::string()
                                                                                : ": " + v.arm_error)
                                        : "offline: " + v.status.reason;
    }
  }
  const auto timeout = std::chrono::seconds(settings_.probe_timeout);
  probe_worker_->Post([this, id, token, roots, timeout, not_covered] {
    std::set<std::string> created;
    std::map<std::string, std::string> failed;
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
        failed[root] = error;
      }
    }
    mailbox_->Post([this, id, created, failed, not_covered] {
      not_covered->insert(failed.begin(), failed.end());
      syncs_->Expect(id, created, submitted_);
    });
  });
}

nlohmann::json Daemon::StatusJson() const {
  const int64_t now = clock_.NowMs();
  nlohmann::json roots = monitor_ ? monitor_->StatusJson() : nlohmann::json::array();
  std::vector<std::string> degraded;
  if (monitor_) degraded = monitor_->Degraded();
  for (const auto& [root, line] : refused_roots_) {
    // A root no longer configured has nothing left to fix.
    if (monitor_ && monitor_->roots().count(root)) degraded.push_back(line);
  }
  if (watcher_ && watcher_->degraded()) degraded.push_back(watcher_->degraded_reason());
  if (!db_error_.empty()) degraded.push_back("database: " + db_error_);
  if (!journal_error_.empty()) degraded.push_back("journal: " + journal_error_);
  if (journal_guard_) {
    for (auto& reason : journal_guard_->degraded()) degraded.push_back(std::move(reason));
  }
  if (failed_ > 0) {
    degraded.push_back(std::to_string(failed_) +
                       " events failed; see recsync journal list --state failed, and "
                       "recsync journal retry --all to run them again");
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
