// The core of a pass: taking events, checking files, archiving deletions and
// settling the outcomes. See event_pass.h for the steps.
#include "reconcile/event_applier.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "common/path.h"
#include "reconcile/audited_change.h"
#include "reconcile/event_pass.h"
#include "reconcile/storage_root.h"

namespace recsync {
namespace {

const char* const kProbeTimeout = "storage did not answer within the probe timeout";

}  // namespace

std::string UnknownPresence(const PathCheck& check) {
  return check.err == 0 ? kProbeTimeout
                        : "cannot tell whether the file exists: " + ErrnoText(check.err);
}

bool IsFileEvent(EventKind kind) {
  return kind == EventKind::kDeleted || kind == EventKind::kMovedFrom ||
         kind == EventKind::kMovedTo || kind == EventKind::kCreated;
}

EventApplier::EventApplier(Catalog& catalog, Journal& journal, PathResolver& resolver,
                           std::shared_ptr<DiskInterface> disk, const Clock& clock,
                           ApplierOptions options)
    : catalog_(catalog),
      journal_(journal),
      resolver_(resolver),
      disk_(std::move(disk)),
      clock_(clock),
      options_(std::move(options)) {
  if (!options_.lanes) options_.lanes = std::make_shared<StorageLanes>();
}

Result<ApplyStats> EventApplier::ApplyPending(int64_t after_seq) {
  EventPass pass(*this);
  return pass.Run(after_seq);
}

Result<ApplyStats> EventPass::Run(int64_t after_seq) {
  auto pending = a_.journal_.PendingEvents(after_seq, static_cast<int64_t>(a_.options_.max_events));
  if (!pending.ok()) return pending.status();
  events_ = std::move(*pending);
  bool stopped = false;
  if (!events_.empty()) {
    is_held_.resize(events_.size());
    for (size_t i = 0; i < events_.size(); ++i) {
      is_held_[i] = IsFileEvent(events_[i].kind) && Held(events_[i].path);
    }
    CheckFiles();
    ResolveDeleted();
    for (size_t i = 0; i < events_.size() && !stopped; ++i) {
      RECSYNC_RETURN_IF_ERROR(Apply(i, &stopped));
      if (!stopped) stats_.last_seq = events_[i].seq;
    }
    RECSYNC_RETURN_IF_ERROR(Flush());
    RECSYNC_RETURN_IF_ERROR(a_.journal_.SettleEvents(outcomes_, a_.clock_.NowMs()));
  }
  for (const auto& o : outcomes_) {
    switch (o.state) {
      case EventState::kApplied: ++stats_.applied; break;
      case EventState::kIgnored: ++stats_.ignored; break;
      case EventState::kFailed: ++stats_.failed; break;
      case EventState::kPending: ++stats_.retried; break;
    }
    if (o.state != EventState::kPending) ++stats_.settled[{KindOf(o.seq), o.state}];
  }
  const size_t max = a_.options_.max_events;
  stats_.caught_up = !stopped && stats_.retried == 0 && (max == 0 || events_.size() < max);
  if (stats_.archived > 0 || stats_.repathed > 0 || stats_.restored > 0) {
    spdlog::info("events: archived {} rows of deleted files, re-pointed {} rows of renamed "
                 "files, restored {} rows of files that came back",
                 stats_.archived, stats_.repathed, stats_.restored);
  }
  return stats_;
}

EventKind EventPass::KindOf(int64_t seq) const {
  auto it = std::lower_bound(events_.begin(), events_.end(), seq,
                             [](const EventRecord& e, int64_t s) { return e.seq < s; });
  if (it != events_.end() && it->seq == seq) return it->kind;
  // The one event settled beyond the pass's own: the second half of a
  // rename, found in the journal (MovedFrom).
  return EventKind::kMovedTo;
}

std::string EventPass::RootOf(const std::string& path) const {
  if (a_.options_.root_of) return a_.options_.root_of(path);
  return InferRoot(path).value_or("/");
}

std::vector<PathCheck> EventPass::CheckPaths(const std::vector<std::string>& paths) {
  std::map<std::string, std::vector<size_t>> by_root;
  for (size_t k = 0; k < paths.size(); ++k) by_root[RootOf(paths[k])].push_back(k);
  std::vector<PathCheck> out(paths.size(), PathCheck{Presence::kUnknown, 0});
  for (const auto& [root, indexes] : by_root) {
    std::vector<std::string> group;
    for (size_t k : indexes) group.push_back(paths[k]);
    auto checks = a_.options_.lanes->Call<std::vector<PathCheck>>(
        root, LanePurpose::kProbe, a_.options_.probe_timeout,
        [disk = a_.disk_, group] { return CheckEach(*disk, group); });
    if (!checks.ok()) {
      spdlog::debug("{}", checks.status().message());
      continue;  // unknown, err 0: a timeout
    }
    for (size_t j = 0; j < indexes.size(); ++j) out[indexes[j]] = (*checks)[j];
  }
  return out;
}

// lstat of every file a deletion or move-out may archive, root by root;
// held paths are left out, as their storage may hang.
void EventPass::CheckFiles() {
  std::vector<std::string> paths;
  std::vector<size_t> which;
  for (size_t i = 0; i < events_.size(); ++i) {
    const EventRecord& e = events_[i];
    const bool gone = e.kind == EventKind::kDeleted || e.kind == EventKind::kMovedFrom;
    if (!is_held_[i] && !e.is_dir && gone) {
      which.push_back(i);
      paths.push_back(e.path);
    }
  }
  if (paths.empty()) return;
  auto checks = CheckPaths(paths);
  for (size_t k = 0; k < which.size(); ++k) checks_[which[k]] = checks[k];
}

// The rows of every deleted file the lstat check confirmed gone, looked up
// together (see PathResolver::ResolveMany). Only good until the pass
// re-points a row (a rename may move a row onto a later deletion's path),
// so Gone() asks again after one. A lookup failure leaves each to Gone().
void EventPass::ResolveDeleted() {
  std::vector<size_t> which;
  std::vector<std::string> paths;
  std::vector<size_t> first;  // where each event's paths begin in `paths`
  for (const auto& [i, check] : checks_) {
    if (events_[i].kind != EventKind::kDeleted ||
        check.presence != Presence::kMissing) {
      continue;
    }
    which.push_back(i);
    first.push_back(paths.size());
    paths.push_back(events_[i].path);
    if (a_.options_.aliases) {
      for (auto& alias : a_.options_.aliases(events_[i].path)) paths.push_back(std::move(alias));
    }
  }
  if (which.size() < 2) return;
  auto rows = a_.resolver_.ResolveMany(paths);
  if (!rows.ok()) {
    resolve_error_ = rows.status();
    return;
  }
  first.push_back(paths.size());
  for (size_t k = 0; k < which.size(); ++k) {
    std::vector<MediaRow>& out = resolved_[which[k]];
    for (size_t p = first[k]; p < first[k + 1]; ++p) {
      for (auto& row : (*rows)[p]) out.push_back(std::move(row));
    }
  }
}

Result<std::vector<MediaRow>> EventPass::RowsAt(const std::string& path) {
  auto rows = a_.resolver_.Resolve(path);
  if (!rows.ok() || !a_.options_.aliases) return rows;
  for (const auto& alias : a_.options_.aliases(path)) {
    auto more = a_.resolver_.Resolve(alias);
    if (!more.ok()) return more;
    for (auto& row : *more) rows->push_back(std::move(row));
  }
  return rows;
}

Status EventPass::Apply(size_t i, bool* stopped) {
  const EventRecord& e = events_[i];
  if (!IsFileEvent(e.kind) || decided_.count(e.seq)) return Status::Ok();
  if (is_held_[i]) {
    ++stats_.held;
    if (e.kind == EventKind::kMovedFrom && e.cookie != 0) held_from_[e.cookie] = &e;
    return Status::Ok();
  }
  switch (e.kind) {
    case EventKind::kDeleted: {
      // The path must stay absent a moment: a file deleted and written again
      // at once (a restarted segment, a tool replacing it) keeps its row.
      const int64_t settled_at = e.time_ms + a_.options_.settle.count();
      if (a_.clock_.NowMs() < settled_at) {
        *stopped = true;
        stats_.wait_until_ms = settled_at;
        return Status::Ok();
      }
      return Gone(i);
    }
    case EventKind::kMovedFrom: return MovedFrom(i, stopped);
    case EventKind::kMovedTo: return MovedTo(i);
    case EventKind::kCreated: return Created(i);
    default: return Status::Ok();  // not a file event (IsFileEvent)
  }
}

// A file gone from its path ("deleted", or moved out of the roots).
Status EventPass::Gone(size_t i) {
  const EventRecord& e = events_[i];
  auto checked = checks_.find(i);
  const PathCheck check = checked == checks_.end() ? PathCheck{} : checked->second;
  if (check.presence == Presence::kPresent) {
    Decide(EventOutcome::Ignored(e.seq, "the file exists again"));
  } else if (check.presence == Presence::kUnknown) {
    Decide(EventOutcome::Pending(e.seq, UnknownPresence(check)));
  } else {
    // The database went away during the joint lookup: asking again for
    // each event would wait out the outage once per event.
    if (resolve_error_.code() == Code::kUnavailable) return CatalogError({&e}, resolve_error_);
    Result<std::vector<MediaRow>> rows = std::vector<MediaRow>{};
    if (auto known = resolved_.find(i); known != resolved_.end() && !repathed_) {
      rows = std::move(known->second);
    } else {
      rows = RowsAt(e.path);
    }
    if (!rows.ok()) return CatalogError({&e}, rows.status());
    if (rows->empty()) {
      Decide(EventOutcome::Ignored(e.seq));
    } else {
      batch_.push_back({&e, std::move(*rows)});
      decided_.insert(e.seq);  // settled by Flush()
    }
  }
  return Status::Ok();
}

// Archives the rows of the deletions collected so far, in one transaction,
// once their files are checked again: a file that came back since the pass
// began keeps its rows. Called before any rename or creation is applied, so
// the catalog changes in event order.
Status EventPass::Flush() {
  if (batch_.empty()) return Status::Ok();
  std::vector<std::string> paths;
  for (const auto& [e, r] : batch_) paths.push_back(e->path);
  const std::vector<PathCheck> again = CheckPaths(paths);
  std::vector<MediaRow> rows;
  std::vector<const EventRecord*> events;
  std::map<int64_t, ActionRecord> actions;
  for (size_t k = 0; k < batch_.size(); ++k) {
    const auto& [e, entry_rows] = batch_[k];
    if (again[k].presence == Presence::kPresent) {
      Decide(EventOutcome::Ignored(e->seq, "the file exists again"));
      continue;
    }
    if (again[k].presence == Presence::kUnknown) {
      Decide(EventOutcome::Pending(e->seq, UnknownPresence(again[k])));
      continue;
    }
    events.push_back(e);
    // One path deleted twice in a pass (or a row archived by an earlier
    // event of it): one action, for the first event.
    for (const auto& r : entry_rows) {
      rows.push_back(r);
      if (!recorded_.count(r.id) && !actions.count(r.id)) {
        actions[r.id] =
            ActionRecord::Archive(r.id, r.filepath, a_.clock_.NowMs(), Cause::kEvent, e->seq);
      }
    }
  }
  auto taken = std::move(batch_);
  batch_.clear();
  if (events.empty()) return Status::Ok();
  auto changed = ArchiveAudited(a_.catalog_, a_.journal_, a_.clock_, rows, actions);
  if (!changed.ok()) return CatalogError(events, changed.status());
  const int64_t committed_ms = a_.clock_.NowMs();
  for (int64_t id : *changed) recorded_.insert(id);
  for (const auto& [e, entry_rows] : taken) {
    if (std::find(events.begin(), events.end(), e) == events.end()) continue;
    std::vector<int64_t> ids;
    for (const auto& r : entry_rows) {
      ids.push_back(r.id);
      a_.resolver_.Forget(r.filepath, {r.id});
    }
    outcomes_.push_back(EventOutcome::Applied(e->seq, std::move(ids)));
    stats_.delete_to_archive_ms.push_back(committed_ms - e->time_ms);
  }
  stats_.archived += static_cast<int64_t>(changed->size());
  return Status::Ok();
}

// A catalog failure: transient ends the pass (everything stays pending); a
// value the catalog can never store fails the events at once; anything else
// leaves them pending, to be retried with the others.
Status EventPass::CatalogError(const std::vector<const EventRecord*>& events,
                               const Status& status) {
  if (status.code() == Code::kUnavailable) return status;
  const bool never = status.code() == Code::kRejected;
  for (const EventRecord* e : events) {
    Decide(never ? EventOutcome::Failed(e->seq, status.message())
                 : EventOutcome::Pending(e->seq, status.message()));
  }
  if (!never) stats_.retry_error = status.message();
  return Status::Ok();
}

void EventPass::Decide(EventOutcome outcome) {
  decided_.insert(outcome.seq);
  outcomes_.push_back(std::move(outcome));
}

}  // namespace recsync
