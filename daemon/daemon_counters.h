// DaemonCounters: what the daemon has done since it started, counted on the
// loop thread from the reports that reach it there: the reconciler's rounds
// (events settled by kind and result, rows archived, re-pointed and
// restored, how long each deletion took to be archived) and the sweep
// scheduler's outcomes (by trigger and result, durations, the roots a sweep
// left alone and why). DaemonStatus carries a copy; `status --json` prints
// the counts (CountersToJson) and metrics/daemon_metrics.h renders all of it.
//
// Counts start at zero with the process, as Prometheus counters do: a
// restart is a reset, which rate() and increase() handle.
//
// Thread rules: a plain value; the Daemon updates its own on the loop thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "daemon/sweep_queue.h"
#include "journal/vocabulary.h"
#include "metrics/histogram.h"
#include "reconcile/event_applier.h"
#include "reconcile/sweep_trigger.h"

namespace recsync {

// How a sweep ended, as the metrics count it.
enum class SweepResult {
  kDone,       // ran to its end over every root it was given
  kPartial,    // ran to its end, but left a root alone (offline, or refused by a guard)
  kFailed,     // stopped by an error (the database away, recsync stopping)
  kCancelled,  // cancelled by an operator
  kPreview,    // a dry run: ran, changed nothing
};
inline constexpr SweepResult kSweepResults[] = {SweepResult::kDone, SweepResult::kPartial,
                                                SweepResult::kFailed, SweepResult::kCancelled,
                                                SweepResult::kPreview};
std::string_view ToText(SweepResult result);

// Why a sweep that changes the catalog left a root alone: a few fixed
// words, so a label made of them stays bounded (the full reason is in the
// sweep's report and in status).
enum class RefusalReason {
  kOffline,       // the root was offline (unmounted, missing, a mount that changed)
  kUnresponsive,  // its storage did not answer in time
  kSuspect,       // it looked like an unmounted mount point (empty, yet rows under it)
  kRatio,         // too many files missing without a deletion seen (max_missing_ratio)
};
inline constexpr RefusalReason kRefusalReasons[] = {
    RefusalReason::kOffline, RefusalReason::kUnresponsive, RefusalReason::kSuspect,
    RefusalReason::kRatio};
std::string_view ToText(RefusalReason reason);

// The result a sweep's outcome counts as.
SweepResult SweepResultOf(const SweepOutcome& outcome);
// Why the sweep left `root` alone; none when it swept it.
std::optional<RefusalReason> RefusalOf(const RootReport& root);

// The file event kinds the reconciler settles, and the states it settles
// them in, in the order status and the metrics list them.
inline constexpr EventKind kAppliedKinds[] = {EventKind::kDeleted, EventKind::kMovedFrom,
                                              EventKind::kMovedTo, EventKind::kCreated};
inline constexpr EventState kSettledStates[] = {EventState::kApplied, EventState::kIgnored,
                                                EventState::kFailed};

// Upper bounds of the histograms' buckets, in seconds.
inline constexpr double kSweepDurationBuckets[] = {0.1, 0.5, 1,   5,    15,   30,  60,
                                                   120, 300, 600, 1800, 3600, 7200};
inline constexpr double kDeleteToArchiveBuckets[] = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
                                                     2.5,  5,     10,   30,  60,   300, 3600};

struct DaemonCounters {
  DaemonCounters();

  // Events the reconciler settled, by kind and the state they ended in.
  std::map<std::pair<EventKind, EventState>, int64_t> events;
  int64_t rows_archived_by_events = 0;
  int64_t rows_archived_by_sweeps = 0;
  int64_t rows_repointed = 0;
  int64_t rows_restored = 0;
  // Sweeps that ended, by trigger and result.
  std::map<std::pair<SweepTrigger, SweepResult>, int64_t> sweeps;
  // Roots left alone by sweeps that change the catalog, by reason (one per
  // root and sweep).
  std::map<RefusalReason, int64_t> refusals;
  // How long sweeps that ran to their end took (previews included).
  Histogram sweep_duration_s;
  // When the last sweep that changes the catalog ran to its end (done or
  // partial), ms since the epoch; 0 before one has since the start.
  int64_t last_sweep_success_ms = 0;
  // For each deleted file (or file moved out of the roots) whose rows an
  // event archived: from the watcher seeing it to the archive's COMMIT.
  Histogram delete_to_archive_s;

  // A round of the reconciler (its passes' ApplyStats, summed).
  void CountRound(const ApplyStats& stats);
  // A sweep started for `trigger` ended with `outcome`.
  void CountSweep(SweepTrigger trigger, const SweepOutcome& outcome);
};

// The counts for `status --json`: {"events": {kind: {state: n}}, "rows":
// {...}, "sweeps": {trigger: {result: n}}, "sweep_refusals": {reason: n},
// "last_sweep_success_ms"}; every kind, trigger, result and reason is present.
nlohmann::json CountersToJson(const DaemonCounters& counters);

}  // namespace recsync
