#include "reconcile/audited_change.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <functional>
#include <set>

namespace recsync {
namespace {

// The intents one audited change wrote: a retried transaction calls the
// hook again, and only rows without an intent yet get one.
struct IntentLog {
  std::vector<int64_t> intents;
  std::set<int64_t> rows;  // media ids with an intent
};

ChangeHook IntentWriter(Journal& journal, const std::map<int64_t, ActionRecord>& actions,
                        IntentLog& log) {
  return [&journal, &actions, &log](const std::vector<int64_t>& changed) -> Status {
    ActionRefs planned;
    for (int64_t id : changed) {
      auto it = actions.find(id);
      if (it == actions.end() || log.rows.count(id)) continue;
      planned.push_back(&it->second);
    }
    if (planned.empty()) return Status::Ok();
    auto intent = journal.RecordIntent(planned);
    if (!intent.ok()) return intent.status();
    log.intents.push_back(*intent);
    for (const ActionRecord* a : planned) log.rows.insert(a->media_id);
    return Status::Ok();
  };
}

// Replaces the intents by the actions of the rows in `changed`: those this
// change committed, and those of a COMMIT whose answer was lost
// (Catalog::Archive). An intent's other rows did not change here: their
// actions are dropped with it.
Status Confirm(Journal& journal, const std::map<int64_t, ActionRecord>& actions,
               const IntentLog& log, const std::vector<int64_t>& changed, int64_t committed_ms) {
  ActionRefs happened;
  for (int64_t id : changed) {
    if (!log.rows.count(id)) continue;
    if (auto it = actions.find(id); it != actions.end()) happened.push_back(&it->second);
  }
  if (log.intents.empty()) return Status::Ok();
  return journal.ConfirmIntents(log.intents, happened, committed_ms).status();
}

// Runs `write` (a catalog change, given the hook that records its intents)
// and confirms the intents it recorded.
Result<std::vector<int64_t>> Audited(
    Journal& journal, const Clock& clock, const std::map<int64_t, ActionRecord>& actions,
    const std::function<Result<std::vector<int64_t>>(ChangeHook)>& write) {
  IntentLog log;
  auto changed = write(IntentWriter(journal, actions, log));
  if (!changed.ok()) return changed;
  RECSYNC_RETURN_IF_ERROR(Confirm(journal, actions, log, *changed, clock.NowMs()));
  return changed;
}

}  // namespace

Result<std::vector<int64_t>> ArchiveAudited(Catalog& catalog, Journal& journal, const Clock& clock,
                                            const std::vector<MediaRow>& rows,
                                            const std::map<int64_t, ActionRecord>& actions) {
  return Audited(journal, clock, actions,
                 [&](ChangeHook hook) { return catalog.ArchiveRows(rows, hook); });
}

Result<std::vector<int64_t>> RepathAudited(Catalog& catalog, Journal& journal, const Clock& clock,
                                           const std::vector<MediaRow>& rows,
                                           const std::vector<std::string>& new_paths,
                                           const std::map<int64_t, ActionRecord>& actions) {
  return Audited(journal, clock, actions, [&](ChangeHook hook) {
    return catalog.RepathRows(rows, new_paths, hook);
  });
}

Result<std::vector<int64_t>> RestoreAudited(Catalog& catalog, Journal& journal, const Clock& clock,
                                            const std::vector<MediaRow>& rows,
                                            const std::map<int64_t, ActionRecord>& actions) {
  return Audited(journal, clock, actions,
                 [&](ChangeHook hook) { return catalog.RestoreRows(rows, hook); });
}

Result<int64_t> SettleIntents(Catalog& catalog, Journal& journal, int64_t before_ms) {
  std::vector<int64_t> damaged;
  auto intents = journal.Intents(&damaged);
  if (!intents.ok()) return intents.status();
  for (int64_t id : damaged) {
    // Left in place for inspection; settling the others must not wait on it.
    spdlog::warn("journal {}: intent {} does not decode and is left as is; the audit trail may "
                 "lack the changes of that one catalog transaction",
                 journal.path(), id);
  }
  // Actions grouped by intent (Intents() lists them intent by intent). An
  // intent with an action planned from `before_ms` on may belong to a
  // transaction still in flight: it is left whole.
  std::map<int64_t, std::vector<const ActionRecord*>> by_intent;
  for (const auto& a : *intents) by_intent[a.id].push_back(&a);
  std::erase_if(by_intent, [&](const auto& entry) {
    return std::any_of(entry.second.begin(), entry.second.end(),
                       [&](const ActionRecord* a) { return a->time_ms >= before_ms; });
  });
  if (by_intent.empty()) return int64_t{0};
  std::vector<int64_t> ids;
  for (const auto& [intent, actions] : by_intent) {
    for (const ActionRecord* a : actions) ids.push_back(a->media_id);
  }
  auto active = catalog.ActiveRowsByIds(ids);
  if (!active.ok()) return active.status();
  std::map<int64_t, std::string> active_paths;
  for (const auto& r : *active) active_paths[r.id] = r.filepath;
  int64_t confirmed = 0;
  for (const auto& [intent, actions] : by_intent) {
    ActionRefs happened;
    for (const ActionRecord* a : actions) {
      auto it = active_paths.find(a->media_id);
      const bool active = it != active_paths.end();
      bool done = false;
      switch (a->action) {
        case ActionKind::kArchive: done = !active; break;
        case ActionKind::kRestore: done = active && it->second == a->path; break;
        case ActionKind::kRepath: done = active && it->second == a->detail; break;
      }
      if (done) happened.push_back(a);
    }
    // False when another connection settled it first (the daemon's
    // reconciler and its startup sweep both settle).
    auto recorded = journal.ConfirmIntents({intent}, happened);
    if (!recorded.ok()) return recorded.status();
    if (*recorded) confirmed += static_cast<int64_t>(happened.size());
  }
  spdlog::info("settled {} unfinished catalog changes from before a crash: {} had happened",
               ids.size(), confirmed);
  return confirmed;
}

}  // namespace recsync
