#include "daemon/daemon_counters.h"

#include <algorithm>
#include <iterator>
#include <string>

namespace recsync {
namespace {

template <size_t N>
Histogram HistogramOf(const double (&bounds)[N]) {
  return Histogram(std::vector<double>(std::begin(bounds), std::end(bounds)));
}

template <typename Key>
int64_t CountOf(const std::map<Key, int64_t>& counts, const Key& key) {
  auto it = counts.find(key);
  return it == counts.end() ? 0 : it->second;
}

}  // namespace

std::string_view ToText(SweepResult result) {
  switch (result) {
    case SweepResult::kDone: return "done";
    case SweepResult::kPartial: return "partial";
    case SweepResult::kFailed: return "failed";
    case SweepResult::kCancelled: return "cancelled";
    case SweepResult::kPreview: return "preview";
  }
  return "unknown";
}

std::string_view ToText(RefusalReason reason) {
  switch (reason) {
    case RefusalReason::kOffline: return "offline";
    case RefusalReason::kUnresponsive: return "unresponsive";
    case RefusalReason::kSuspect: return "suspect";
    case RefusalReason::kRatio: return "ratio";
  }
  return "unknown";
}

SweepResult SweepResultOf(const SweepOutcome& outcome) {
  if (!outcome.status.ok()) return SweepResult::kFailed;
  if (outcome.report.dry_run) return SweepResult::kPreview;
  return outcome.report.incomplete() ? SweepResult::kPartial : SweepResult::kDone;
}

std::optional<RefusalReason> RefusalOf(const RootReport& root) {
  if (root.state == RootState::kOffline) {
    // A probe that did not answer in time is the one offline reason that
    // points at the storage server rather than the mount (StorageRoot,
    // sweep_check.cc: "unresponsive: ...").
    return root.reason.starts_with("unresponsive") ? RefusalReason::kUnresponsive
                                                   : RefusalReason::kOffline;
  }
  if (!root.refused) return std::nullopt;
  // The suspect guard marks the root suspect as it refuses it; any other
  // refusal is the ratio guard's (sweep_check.cc, ApplyGuards).
  return root.state == RootState::kSuspect ? RefusalReason::kSuspect : RefusalReason::kRatio;
}

DaemonCounters::DaemonCounters()
    : sweep_duration_s(HistogramOf(kSweepDurationBuckets)),
      delete_to_archive_s(HistogramOf(kDeleteToArchiveBuckets)) {}

void DaemonCounters::CountRound(const ApplyStats& stats) {
  for (const auto& [key, n] : stats.settled) events[key] += n;
  rows_archived_by_events += stats.archived;
  rows_repointed += stats.repathed;
  rows_restored += stats.restored;
  for (int64_t ms : stats.delete_to_archive_ms) {
    delete_to_archive_s.Observe(static_cast<double>(std::max<int64_t>(ms, 0)) / 1000.0);
  }
}

void DaemonCounters::CountSweep(SweepTrigger trigger, const SweepOutcome& outcome) {
  const SweepResult result = SweepResultOf(outcome);
  ++sweeps[{trigger, result}];
  if (result == SweepResult::kFailed || result == SweepResult::kCancelled) return;
  const SweepReport& r = outcome.report;
  sweep_duration_s.Observe(static_cast<double>(r.duration_ms) / 1000.0);
  if (result == SweepResult::kPreview) return;
  rows_archived_by_sweeps += r.archived();
  last_sweep_success_ms = r.started_ms + r.duration_ms;
  for (const auto& root : r.roots) {
    if (auto why = RefusalOf(root)) ++refusals[*why];
  }
}

nlohmann::json CountersToJson(const DaemonCounters& c) {
  nlohmann::json events = nlohmann::json::object();
  for (EventKind kind : kAppliedKinds) {
    nlohmann::json by_state = nlohmann::json::object();
    for (EventState state : kSettledStates) {
      by_state[std::string(ToText(state))] = CountOf(c.events, std::pair{kind, state});
    }
    events[std::string(ToText(kind))] = std::move(by_state);
  }
  nlohmann::json sweeps = nlohmann::json::object();
  for (SweepTrigger trigger : kSweepTriggers) {
    nlohmann::json by_result = nlohmann::json::object();
    for (SweepResult result : kSweepResults) {
      by_result[std::string(ToText(result))] = CountOf(c.sweeps, std::pair{trigger, result});
    }
    sweeps[std::string(ToText(trigger))] = std::move(by_result);
  }
  nlohmann::json refusals = nlohmann::json::object();
  for (RefusalReason reason : kRefusalReasons) {
    refusals[std::string(ToText(reason))] = CountOf(c.refusals, reason);
  }
  return {{"events", std::move(events)},
          {"rows",
           {{"archived_by_events", c.rows_archived_by_events},
            {"archived_by_sweeps", c.rows_archived_by_sweeps},
            {"repointed", c.rows_repointed},
            {"restored", c.rows_restored}}},
          {"sweeps", std::move(sweeps)},
          {"sweep_refusals", std::move(refusals)},
          {"last_sweep_success_ms", c.last_sweep_success_ms}};
}

}  // namespace recsync
