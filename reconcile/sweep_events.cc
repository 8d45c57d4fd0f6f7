// The sweep and the daemon's events: the deletions the daemon journaled
// (explained losses for the ratio guard), and failed events a sweep settles.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>

#include "reconcile/sweep_run.h"

namespace recsync::sweep_internal {

// The deletions journaled since the last sweep that finished began (a minute
// before, so none falls between), at most a day back: any earlier deletion
// whose row is still active was that sweep's to count.
Status SweepRun::LoadDeletions() {
  constexpr int64_t kDayMs = 24 * 3600 * 1000;
  constexpr int64_t kOverlapMs = 60 * 1000;
  int64_t since = rep_.started_ms - kDayMs;
  auto sweeps = journal_.ListSweeps(8);
  if (!sweeps.ok()) return sweeps.status();
  for (const auto& s : *sweeps) {
    if (s.id == rep_.sweep_id || s.dry_run || (s.outcome != "done" && s.outcome != "partial")) {
      continue;
    }
    since = std::max(since, s.started_ms - kOverlapMs);
    break;
  }
  // Rows archived from those deletions before the rows are read are not in
  // the stream: counted apart, each under its root.
  ActionFilter archived_by_events;
  archived_by_events.since_ms = since;
  archived_by_events.action = ActionKind::kArchive;
  archived_by_events.cause = Cause::kEvent;
  auto actions = journal_.ListActions(archived_by_events);
  if (!actions.ok()) return actions.status();
  for (const auto& a : *actions) {
    RootWork* own = InnermostWork(Configured(), a.path, RootHolds::kOnlyBelow).first;
    if (own) ++own->report.seen_deleted;
  }
  auto deleted = journal_.DeletedPathsSince(since);
  if (!deleted.ok()) return deleted.status();
  for (auto& d : *deleted) {
    if (d.is_dir) deletions_.dirs.push_back(std::move(d.path));
    else deletions_.files.insert(std::move(d.path));
  }
  return Status::Ok();
}

// A failed event (a rename the catalog could not store, or one an older
// version gave up on) has nothing left to do once no active row remains at
// its path: the sweep archived its row. It is cleared, so status and sync
// stop reporting it. A rename's halves go together, by the old path.
Status SweepRun::ClearSettledFailures() {
  EventFilter failed_only;
  failed_only.state = EventState::kFailed;
  failed_only.limit = kFailedChecked;
  auto failed = journal_.ListEvents(failed_only);
  if (!failed.ok()) return failed.status();
  std::map<uint32_t, const EventRecord*> renamed_from;  // by cookie
  for (const auto& e : *failed) {
    if (e.kind == EventKind::kMovedFrom && e.cookie != 0) renamed_from[e.cookie] = &e;
  }
  std::vector<EventOutcome> cleared;
  for (const auto& e : *failed) {
    const EventRecord* judged = &e;
    if (e.kind == EventKind::kMovedTo) {
      auto from = renamed_from.find(e.cookie);
      if (e.cookie == 0 || from == renamed_from.end()) continue;  // a move in: nothing to settle
      judged = from->second;
    } else if (e.kind != EventKind::kDeleted && e.kind != EventKind::kMovedFrom) {
      continue;
    }
    auto rows = judged->is_dir ? catalog_.ActiveRowsUnder(judged->path)
                               : catalog_.ActiveRowsByPath(judged->path);
    if (!rows.ok()) return rows.status();
    if (!rows->empty()) continue;
    cleared.push_back(EventOutcome::Applied(
        e.seq, e.media_ids,
        "cleared by sweep " + std::to_string(rep_.sweep_id) +
            ": no active row is left at its path (was: " + e.last_error + ")"));
  }
  if (cleared.empty()) return Status::Ok();
  spdlog::info("sweep {}: {} failed events have nothing left to do; cleared", rep_.sweep_id,
               cleared.size());
  return journal_.SettleEvents(cleared, clock_.NowMs());
}

}  // namespace recsync::sweep_internal
