// Renames in a pass: the two halves paired into a re-point, a half alone
// taken as a move out of (or into) the roots. See event_applier.h.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>

#include "reconcile/audited_change.h"
#include "reconcile/event_pass.h"

namespace recsync {
namespace {

// Rows per catalog transaction when a whole directory is re-pointed or
// archived (the ids go into the SQL text).
constexpr size_t kChunkRows = 1000;

// Whether `to` is the second half of the rename `from` began. The kernel
// queues both halves together, so they are close in time; a cookie repeats
// after a reboot, and a stale half must not pair with a new one.
bool Pairs(const EventRecord& from, const EventRecord& to, std::chrono::milliseconds wait) {
  return from.cookie != 0 && to.cookie == from.cookie && to.seq > from.seq &&
         std::llabs(to.time_ms - from.time_ms) <= wait.count();
}

template <typename T>
std::vector<std::vector<T>> Chunks(const std::vector<T>& all) {
  std::vector<std::vector<T>> out;
  for (size_t i = 0; i < all.size(); i += kChunkRows) {
    out.emplace_back(all.begin() + i, all.begin() + std::min(all.size(), i + kChunkRows));
  }
  return out;
}

}  // namespace

Status EventPass::MovedFrom(size_t i, bool* stopped) {
  const EventRecord& e = events_[i];
  if (e.cookie != 0) {
    const EventRecord* to = nullptr;
    for (size_t j = i + 1; j < events_.size() && !to; ++j) {
      const EventRecord& c = events_[j];
      if (c.kind == EventKind::kMovedTo && !decided_.count(c.seq) &&
          Pairs(e, c, a_.options_.pair_wait)) {
        to = &c;
      }
    }
    std::optional<EventRecord> later;  // the second half, beyond this pass
    if (!to) {
      auto found = a_.journal_.FindPendingMovedTo(e.cookie, events_.back().seq);
      if (!found.ok()) return found.status();
      if (*found && Pairs(e, **found, a_.options_.pair_wait)) {
        later = std::move(**found);
        to = &*later;
      }
    }
    if (to && Held(to->path)) {
      ++stats_.held;
      held_from_[e.cookie] = &e;
      return Status::Ok();
    }
    if (to) return Repath(e, *to);
    if (a_.clock_.NowMs() - e.time_ms < a_.options_.pair_wait.count()) {
      *stopped = true;
      stats_.wait_until_ms = e.time_ms + a_.options_.pair_wait.count();
      return Status::Ok();
    }
  }
  // The path left the roots: for the catalog, a deletion.
  return e.is_dir ? DirGone(e) : Gone(i);
}

Status EventPass::MovedTo(size_t i) {
  const EventRecord& e = events_[i];
  if (e.cookie != 0) {
    auto held = held_from_.find(e.cookie);
    if (held != held_from_.end() && Pairs(*held->second, e, a_.options_.pair_wait)) {
      ++stats_.held;
      return Status::Ok();
    }
    // Its first half may be pending before this pass (held or retried
    // there); settling this half as a move-in would lose the rename.
    auto from = a_.journal_.FindPendingMovedFrom(e.cookie, events_.front().seq);
    if (!from.ok()) return from.status();
    if (*from && Pairs(**from, e, a_.options_.pair_wait)) {
      ++(Held((*from)->path) ? stats_.held : stats_.retried);
      return Status::Ok();
    }
  }
  // Moved in from outside the storage roots: like a file created there,
  // it may bring back a recording whose row recsync archived.
  if (!e.is_dir) return Created(i);
  Decide(EventOutcome::Ignored(e.seq, "moved in from outside the storage roots"));
  return Status::Ok();
}

// Every active row under a directory that left the roots whose file is
// gone; present and unknown files are left (and the event retried for the
// unknown ones).
Status EventPass::DirGone(const EventRecord& e) {
  RECSYNC_RETURN_IF_ERROR(Flush());
  std::vector<std::string> dirs{e.path};
  if (a_.options_.aliases) {
    for (auto& alias : a_.options_.aliases(e.path)) dirs.push_back(std::move(alias));
  }
  std::vector<MediaRow> rows;
  for (const auto& dir : dirs) {
    auto under = a_.catalog_.ActiveRowsUnder(dir);
    if (!under.ok()) return CatalogError({&e}, under.status());
    for (auto& r : *under) rows.push_back(std::move(r));
  }
  if (rows.empty()) {
    Decide(EventOutcome::Ignored(e.seq));
    return Status::Ok();
  }
  std::vector<std::string> paths;
  for (const auto& r : rows) paths.push_back(r.filepath);
  const std::vector<PathCheck> checks = CheckPaths(paths);
  std::vector<MediaRow> missing;
  size_t unknown = 0;
  for (size_t k = 0; k < rows.size(); ++k) {
    if (checks[k].presence == Presence::kMissing) missing.push_back(rows[k]);
    if (checks[k].presence == Presence::kUnknown) ++unknown;
  }
  std::vector<int64_t> archived;
  for (const auto& chunk : Chunks(missing)) {
    std::map<int64_t, ActionRecord> actions;
    for (const auto& r : chunk) {
      if (recorded_.count(r.id)) continue;
      actions[r.id] =
          ActionRecord::Archive(r.id, r.filepath, a_.clock_.NowMs(), Cause::kEvent, e.seq);
    }
    auto changed = ArchiveAudited(a_.catalog_, a_.journal_, a_.clock_, chunk, actions);
    if (!changed.ok()) return CatalogError({&e}, changed.status());
    const std::set<int64_t> done(changed->begin(), changed->end());
    for (const auto& r : chunk) {
      if (!done.count(r.id)) continue;
      archived.push_back(r.id);
      recorded_.insert(r.id);
      a_.resolver_.Forget(r.filepath, {r.id});
    }
    stats_.archived += static_cast<int64_t>(changed->size());
  }
  if (unknown > 0) {
    Decide(EventOutcome::Pending(
        e.seq, "cannot tell whether " + std::to_string(unknown) + " files under it exist",
        std::move(archived)));
  } else {
    Decide(EventOutcome::AppliedOrIgnored(e.seq, std::move(archived)));
  }
  return Status::Ok();
}

std::string EventPass::MovedPath(const std::string& row_path, const std::string& from,
                                 const std::string& to) const {
  // The row is spelled as `from` or as one of its aliases; it keeps its
  // spelling, so the alias of `to` in the same place.
  std::string row_from = from;
  std::string row_to = to;
  if (row_path.compare(0, from.size(), from) != 0 && a_.options_.aliases) {
    const auto from_aliases = a_.options_.aliases(from);
    const auto to_aliases = a_.options_.aliases(to);
    for (size_t k = 0; k < from_aliases.size() && k < to_aliases.size(); ++k) {
      if (row_path.compare(0, from_aliases[k].size(), from_aliases[k]) == 0) {
        row_from = from_aliases[k];
        row_to = to_aliases[k];
        break;
      }
    }
  }
  return row_to + row_path.substr(row_from.size());
}

// A rename within the roots: the rows at (or, for a directory, under) the
// old path follow the file to the new one.
Status EventPass::Repath(const EventRecord& from, const EventRecord& to) {
  RECSYNC_RETURN_IF_ERROR(Flush());
  repathed_ = true;
  Result<std::vector<MediaRow>> rows = std::vector<MediaRow>{};
  if (from.is_dir) {
    std::vector<std::string> dirs{from.path};
    if (a_.options_.aliases) {
      for (auto& alias : a_.options_.aliases(from.path)) dirs.push_back(std::move(alias));
    }
    for (const auto& dir : dirs) {
      auto under = a_.catalog_.ActiveRowsUnder(dir);
      if (!under.ok()) return CatalogError({&from, &to}, under.status());
      for (auto& r : *under) rows->push_back(std::move(r));
    }
  } else {
    rows = RowsAt(from.path);
    if (!rows.ok()) return CatalogError({&from, &to}, rows.status());
    RECSYNC_RETURN_IF_ERROR(ArchiveReplaced(from, to, *rows));
    if (decided_.count(from.seq)) return Status::Ok();  // the catalog refused it
  }
  std::vector<std::string> new_paths;
  for (const auto& r : *rows) new_paths.push_back(MovedPath(r.filepath, from.path, to.path));
  std::vector<int64_t> repathed;
  Status rejected;  // the first path the catalog cannot hold, if any
  for (size_t start = 0; start < rows->size(); start += kChunkRows) {
    const size_t end = std::min(rows->size(), start + kChunkRows);
    const std::vector<MediaRow> chunk(rows->begin() + start, rows->begin() + end);
    const std::vector<std::string> chunk_paths(new_paths.begin() + start, new_paths.begin() + end);
    auto changed = RepathChunk(from, chunk, chunk_paths, &rejected);
    if (!changed.ok()) return CatalogError({&from, &to}, changed.status());
    const std::set<int64_t> done(changed->begin(), changed->end());
    for (size_t k = 0; k < chunk.size(); ++k) {
      if (!done.count(chunk[k].id)) continue;
      repathed.push_back(chunk[k].id);
      a_.resolver_.Forget(chunk[k].filepath, {chunk[k].id});
      a_.resolver_.Remember(chunk_paths[k], {chunk[k].id});
    }
    stats_.repathed += static_cast<int64_t>(changed->size());
  }
  if (!rejected.ok()) {
    // The rows that could be re-pointed were; the others keep their path,
    // and the rename can never be applied whole as it stands.
    Decide(EventOutcome::Failed(from.seq, rejected.message(), repathed));
    Decide(EventOutcome::Failed(to.seq, rejected.message(), std::move(repathed)));
    return Status::Ok();
  }
  Decide(EventOutcome::AppliedOrIgnored(from.seq, repathed));
  Decide(EventOutcome::AppliedOrIgnored(to.seq, std::move(repathed)));
  return Status::Ok();
}

// One transaction for the chunk; when the catalog refuses one of its paths
// (kRejected, which changes nothing), the rows again one by one, so that
// only the rows whose path it cannot hold are left behind.
Result<std::vector<int64_t>> EventPass::RepathChunk(const EventRecord& from,
                                                    const std::vector<MediaRow>& chunk,
                                                    const std::vector<std::string>& paths,
                                                    Status* rejected) {
  std::map<int64_t, ActionRecord> actions;
  for (size_t k = 0; k < chunk.size(); ++k) {
    actions[chunk[k].id] = ActionRecord::Repath(chunk[k].id, chunk[k].filepath, paths[k],
                                                a_.clock_.NowMs(), Cause::kEvent, from.seq);
  }
  auto changed = RepathAudited(a_.catalog_, a_.journal_, a_.clock_, chunk, paths, actions);
  if (changed.ok() || changed.status().code() != Code::kRejected || chunk.size() == 1) {
    if (!changed.ok() && changed.status().code() == Code::kRejected) {
      if (rejected->ok()) *rejected = changed.status();
      return std::vector<int64_t>{};
    }
    return changed;
  }
  std::vector<int64_t> out;
  for (size_t k = 0; k < chunk.size(); ++k) {
    auto one = RepathChunk(from, {chunk[k]}, {paths[k]}, rejected);
    if (!one.ok()) return one;
    out.insert(out.end(), one->begin(), one->end());
  }
  return out;
}

// rename(2) onto an existing file replaces it: the recording that was at
// `to` is gone, and its rows with it, whatever moved there.
Status EventPass::ArchiveReplaced(const EventRecord& from, const EventRecord& to,
                                  const std::vector<MediaRow>& moving) {
  auto at_target = RowsAt(to.path);
  if (!at_target.ok()) return CatalogError({&from, &to}, at_target.status());
  std::vector<MediaRow> replaced;
  std::map<int64_t, ActionRecord> actions;
  for (auto& r : *at_target) {
    const bool moves_too = std::any_of(moving.begin(), moving.end(),
                                       [&](const MediaRow& m) { return m.id == r.id; });
    if (moves_too || recorded_.count(r.id)) continue;
    actions[r.id] = ActionRecord::Archive(r.id, r.filepath, a_.clock_.NowMs(), Cause::kEvent,
                                          from.seq, "replaced by a rename");
    replaced.push_back(std::move(r));
  }
  if (replaced.empty()) return Status::Ok();
  auto changed = ArchiveAudited(a_.catalog_, a_.journal_, a_.clock_, replaced, actions);
  if (!changed.ok()) return CatalogError({&from, &to}, changed.status());
  for (int64_t id : *changed) recorded_.insert(id);
  for (const auto& r : replaced) a_.resolver_.Forget(r.filepath, {r.id});
  stats_.archived += static_cast<int64_t>(changed->size());
  spdlog::info("{} replaced by a rename: archived {} rows of the recording it was", to.path,
               changed->size());
  return Status::Ok();
}

}  // namespace recsync
