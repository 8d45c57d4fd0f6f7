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
      reply(StatusToJson(Snapshot()));
    } else {
      status_watch_->Wait(
          request.contains("unchanged") ? request["unchanged"] : StatusToJson(Snapshot()),
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
  sweeps_->Request(SweepRequest::Manual(
      ask->spec, std::move(roots), [reply](const SweepOutcome& o) { reply(OutcomeJson(o)); }));
}

void Daemon::StartRetry(const nlohmann::json& request, ControlServer::Reply reply) {
  auto ask = ParseRetryRequest(request);
  if (!ask.ok()) {
    reply(Refusal(ask.status()));
    return;
  }
  probe_->Post([this, ask = *ask, reply, mailbox = mailbox_->ref()](Connections& c) {
    auto answer = std::make_shared<nlohmann::json>(RetryInJournal(c.journal(), ask, clock_));
    mailbox.Post([this, answer, reply] {
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
    probe_->Post([up_to_seq, offline, reply, not_covered,
                  mailbox = mailbox_->ref()](Connections& c) {
      auto unsettled = c.journal().Unsettled(up_to_seq);
      auto answer = std::make_shared<nlohmann::json>(
          unsettled.ok() ? SyncAnswer(up_to_seq, *unsettled, offline, *not_covered)
                         : Error("sync: " + unsettled.status().message()));
      mailbox.Post([answer, reply] { reply(*answer); });
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
  WriteCookies(id, token, std::move(roots), not_covered);
}

void Daemon::WriteCookies(uint64_t sync_id, const std::string& token,
                          std::vector<std::string> roots,
                          std::shared_ptr<std::map<std::string, std::string>> not_covered) {
  const auto timeout = std::chrono::seconds(settings_.probe_timeout);
  probe_->Post([this, sync_id, token, roots, timeout, not_covered, lanes = lanes_,
                mailbox = mailbox_->ref()](Connections&) {
    std::set<std::string> created;
    std::map<std::string, std::string> failed;
    for (const auto& root : roots) {
      // On the root's lane: a hung root answers "stuck" at once, or times out.
      auto made = lanes->Call<std::string>(
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
    mailbox.Post([this, sync_id, created, failed, not_covered] {
      not_covered->insert(failed.begin(), failed.end());
      syncs_->Expect(sync_id, created, events_.received);
    });
  });
}

DaemonStatus Daemon::Snapshot() const {
  DaemonStatus s;
  s.pid = ::getpid();
  s.version = RECSYNC_VERSION;
  s.uptime_s = (clock_.NowMs() - started_ms_) / 1000;
  s.ready = reconciler_ != nullptr;
  s.journal = settings_.journal;
  s.watcher.requested = settings_.watcher;
  s.watcher.overflows = overflows_;
  if (watcher_) {
    s.watcher.backend = watcher_->backend();
    s.watcher.watches = watcher_->watch_count();
    if (watcher_->degraded()) s.watcher.degraded = watcher_->degraded_reason();
  }
  s.http_listen = http_where_;
  s.database_server = db_.Describe();
  s.database = database_;
  s.journal_error = journal_error_;
  if (journal_guard_) s.journal_faults = journal_guard_->degraded();
  s.events = events_;
  s.roots_loaded = monitor_ && monitor_->configured();
  if (monitor_) s.roots = monitor_->Views();
  if (sweeps_) s.sweep = sweeps_->status();
  s.counters = counters_;
  if (journal_guard_) s.journal_bytes = journal_guard_->journal_bytes();
  return s;
}

}  // namespace recsync
