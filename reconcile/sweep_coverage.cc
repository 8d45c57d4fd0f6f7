#include "reconcile/sweep_coverage.h"

namespace recsync {

Status SettleCoveredEvents(Journal& journal, const SweepReport& report,
                           const SweepCoverage& coverage, int64_t now_ms) {
  if (report.dry_run || report.cancelled) return Status::Ok();
  Status first;
  auto keep = [&first](const Result<int64_t>& settled) {
    if (!settled.ok() && first.ok()) first = settled.status();
  };
  for (const auto& root : report.roots) {
    if (root.state == RootState::kOffline) continue;
    keep(journal.SettlePending(EventKind::kRootGone, root.path, coverage.seq_before,
                              EventState::kApplied, now_ms));
  }
  if (coverage.everything) {
    keep(journal.SettlePendingSeenBy(EventKind::kOverflow, coverage.started_ms,
                                    EventState::kApplied, now_ms));
  }
  return first;
}

}  // namespace recsync
