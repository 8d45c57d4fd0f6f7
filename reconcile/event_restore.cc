// A file that appears (created, or moved in from outside the roots) at a
// path whose row recsync archived: the row is restored. See event_applier.h.
#include <spdlog/spdlog.h>

#include <map>
#include <set>

#include "reconcile/audited_change.h"
#include "reconcile/event_pass.h"

namespace recsync {

Status EventPass::Created(size_t i) {
  const EventRecord& e = events_[i];
  // Deletions earlier in the pass are archived first: the file came after.
  RECSYNC_RETURN_IF_ERROR(Flush());
  std::vector<std::string> paths{e.path};
  if (a_.options_.aliases) {
    for (auto& alias : a_.options_.aliases(e.path)) paths.push_back(std::move(alias));
  }
  const int64_t since = a_.clock_.NowMs() - a_.options_.restore_window.count();
  std::vector<MediaRow> rows;
  std::map<int64_t, ActionRecord> actions;
  for (const auto& path : paths) {
    auto archived = a_.journal_.ArchivedSinceRestore(path, since);
    if (!archived.ok()) return archived.status();
    for (const ActionRecord& a : *archived) {
      if (actions.count(a.media_id)) continue;
      rows.push_back({a.media_id, 0, a.path});
      actions[a.media_id] =
          ActionRecord::Restore(a.media_id, a.path, a_.clock_.NowMs(), Cause::kEvent, e.seq);
    }
  }
  if (rows.empty()) {
    Decide(EventOutcome::Ignored(e.seq));  // a new recording, the usual case
    return Status::Ok();
  }
  const PathCheck now = CheckPaths({e.path})[0];
  if (now.presence == Presence::kMissing) {
    Decide(EventOutcome::Ignored(e.seq, "the file is gone again"));
    return Status::Ok();
  }
  if (now.presence == Presence::kUnknown) {
    Decide(EventOutcome::Pending(e.seq, UnknownPresence(now)));
    return Status::Ok();
  }
  auto changed = RestoreAudited(a_.catalog_, a_.journal_, a_.clock_, rows, actions);
  if (!changed.ok()) return CatalogError({&e}, changed.status());
  const std::set<int64_t> done(changed->begin(), changed->end());
  for (const auto& r : rows) {
    if (done.count(r.id)) a_.resolver_.Remember(r.filepath, {r.id});
  }
  stats_.restored += static_cast<int64_t>(changed->size());
  if (!changed->empty()) {
    spdlog::info("{} is back: restored {} rows recsync had archived", e.path, changed->size());
  }
  Decide(EventOutcome::AppliedOrIgnored(e.seq, *changed));
  return Status::Ok();
}

}  // namespace recsync
