#include "reconcile/audited_change.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

namespace recsync {
namespace {

// Writes the intents of the ids not written yet (a retried transaction
// calls the hook again with the same ids) and remembers their action ids.
ChangeHook IntentWriter(Journal& journal, const std::map<int64_t, ActionRecord>& actions,
                        std::map<int64_t, int64_t>& written) {
  return [&journal, &actions, &written](const std::vector<int64_t>& changed) -> Status {
    std::vector<ActionRecord> intents;
    std::vector<int64_t> media;
    for (int64_t id : changed) {
      auto it = actions.find(id);
      if (it == actions.end() || written.count(id)) continue;
      intents.push_back(it->second);
      media.push_back(id);
    }
    auto ids = journal.RecordIntents(intents);
    if (!ids.ok()) return ids.status();
    for (size_t i = 0; i < media.size(); ++i) written[media[i]] = (*ids)[i];
    return Status::Ok();
  };
}

// Confirms the intents of the rows that changed. Intents of rows a retried
// transaction did not change stay unconfirmed; the next start drops them.
Status Confirm(Journal& journal, const std::map<int64_t, int64_t>& written,
               const std::vector<int64_t>& changed, int64_t committed_ms) {
  std::vector<int64_t> action_ids;
  for (int64_t id : changed) {
    if (auto it = written.find(id); it != written.end()) action_ids.push_back(it->second);
  }
  return journal.ConfirmIntents(action_ids, committed_ms);
}

}  // namespace

Result<std::vector<int64_t>> ArchiveAudited(Catalog& catalog, Journal& journal, const Clock& clock,
                                            const std::vector<MediaRow>& rows,
                                            const std::map<int64_t, ActionRecord>& actions) {
  std::map<int64_t, int64_t> written;  // media id -> action id
  auto changed = catalog.ArchiveRows(rows, IntentWriter(journal, actions, written));
  if (!changed.ok()) return changed;
  RECSYNC_RETURN_IF_ERROR(Confirm(journal, written, *changed, clock.NowMs()));
  return changed;
}

Result<std::vector<int64_t>> RepathAudited(Catalog& catalog, Journal& journal, const Clock& clock,
                                           const std::vector<MediaRow>& rows,
                                           const std::vector<std::string>& new_paths,
                                           const std::map<int64_t, ActionRecord>& actions) {
  std::map<int64_t, int64_t> written;  // media id -> action id
  auto changed = catalog.RepathRows(rows, new_paths, IntentWriter(journal, actions, written));
  if (!changed.ok()) return changed;
  RECSYNC_RETURN_IF_ERROR(Confirm(journal, written, *changed, clock.NowMs()));
  return changed;
}

Result<int64_t> SettleIntents(Catalog& catalog, Journal& journal, int64_t before_ms) {
  auto intents = journal.Intents();
  if (!intents.ok()) return intents.status();
  intents->erase(std::remove_if(intents->begin(), intents->end(),
                                [&](const ActionRecord& a) { return a.time_ms >= before_ms; }),
                 intents->end());
  if (intents->empty()) return int64_t{0};
  std::vector<int64_t> ids;
  for (const auto& a : *intents) ids.push_back(a.media_id);
  auto active = catalog.ActiveRowsByIds(ids);
  if (!active.ok()) return active.status();
  std::map<int64_t, std::string> active_paths;
  for (const auto& r : *active) active_paths[r.id] = r.filepath;
  int64_t confirmed = 0;
  for (const auto& a : *intents) {
    auto it = active_paths.find(a.media_id);
    const bool happened = a.action == "archive" ? it == active_paths.end()
                                                : (it != active_paths.end() && it->second == a.detail);
    RECSYNC_RETURN_IF_ERROR(journal.ResolveIntent(a.id, happened));
    confirmed += happened;
  }
  spdlog::info("settled {} unfinished catalog changes from before a crash: {} had happened",
               intents->size(), confirmed);
  return confirmed;
}

}  // namespace recsync
