#include "reconcile/event_applier.h"

#include "reconcile/audited_change.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>

namespace recsync {
namespace {

// Rows per catalog transaction when a whole directory is re-pointed or
// archived (the ids go into the SQL text).
constexpr size_t kChunkRows = 1000;

bool IsFileEvent(const std::string& kind) {
  return kind == "deleted" || kind == "moved_from" || kind == "moved_to";
}

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

const char* const kProbeTimeout = "storage did not answer within the probe timeout";

}  // namespace

class EventApplier::Pass {
 public:
  explicit Pass(EventApplier& a) : a_(a) {}

  Result<ApplyStats> Run(int64_t after_seq) {
    auto pending =
        a_.journal_.PendingEvents(after_seq, static_cast<int64_t>(a_.options_.max_events));
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
      if (o.state == "applied") {
        ++stats_.applied;
      } else if (o.state == "ignored") {
        ++stats_.ignored;
      } else if (o.state == "failed") {
        ++stats_.failed;
      } else {
        ++stats_.retried;
      }
    }
    const size_t max = a_.options_.max_events;
    stats_.caught_up = !stopped && stats_.retried == 0 && (max == 0 || events_.size() < max);
    if (stats_.archived > 0 || stats_.repathed > 0) {
      spdlog::info("events: archived {} rows of deleted files, re-pointed {} rows of renamed files",
                   stats_.archived, stats_.repathed);
    }
    return stats_;
  }

 private:
  bool Held(const std::string& path) const { return a_.options_.held && a_.options_.held(path); }

  // The rows of every deleted file the lstat check confirmed gone, looked up
  // together (see PathResolver::ResolveMany). Only good until the pass
  // re-points a row (a rename may move a row onto a later deletion's path),
  // so Gone() asks again after one. A lookup failure leaves each to Gone().
  void ResolveDeleted() {
    if (!checks_) return;
    std::vector<size_t> which;
    std::vector<std::string> paths;
    for (const auto& [i, c] : check_index_) {
      if (events_[i].kind == "deleted" && (*checks_)[c].presence == Presence::kMissing) {
        which.push_back(i);
        paths.push_back(events_[i].path);
      }
    }
    if (paths.size() < 2) return;
    auto rows = a_.resolver_.ResolveMany(paths);
    if (!rows.ok()) {
      resolve_error_ = rows.status();
      return;
    }
    for (size_t k = 0; k < which.size(); ++k) resolved_[which[k]] = std::move((*rows)[k]);
  }

  // lstat of every file a deletion or move-out may archive, in one bounded
  // call; held paths are left out, as their storage may hang.
  void CheckFiles() {
    std::vector<std::string> paths;
    for (size_t i = 0; i < events_.size(); ++i) {
      const EventRecord& e = events_[i];
      if (!is_held_[i] && !e.is_dir && (e.kind == "deleted" || e.kind == "moved_from")) {
        check_index_[i] = paths.size();
        paths.push_back(e.path);
      }
    }
    if (paths.empty()) return;
    checks_ = RunBounded<std::vector<PathCheck>>(
        [disk = a_.disk_, paths] { return CheckEach(*disk, paths); },
        a_.options_.probe_timeout);
  }

  Status Apply(size_t i, bool* stopped) {
    const EventRecord& e = events_[i];
    if (!IsFileEvent(e.kind) || decided_.count(e.seq)) return Status::Ok();
    if (is_held_[i]) {
      ++stats_.held;
      if (e.kind == "moved_from" && e.cookie != 0) held_from_[e.cookie] = &e;
      return Status::Ok();
    }
    if (e.kind == "deleted") return Gone(i);
    if (e.kind == "moved_to") return MovedTo(e);
    return MovedFrom(i, stopped);
  }

  Status MovedFrom(size_t i, bool* stopped) {
    const EventRecord& e = events_[i];
    if (e.cookie != 0) {
      const EventRecord* to = nullptr;
      for (size_t j = i + 1; j < events_.size() && !to; ++j) {
        const EventRecord& c = events_[j];
        if (c.kind == "moved_to" && !decided_.count(c.seq) && Pairs(e, c, a_.options_.pair_wait)) {
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

  Status MovedTo(const EventRecord& e) {
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
    Decide(e, "ignored", {}, "moved in from outside the storage roots");
    return Status::Ok();
  }

  // A file gone from its path ("deleted", or moved out of the roots).
  Status Gone(size_t i) {
    const EventRecord& e = events_[i];
    if (!checks_) {
      Decide(e, "pending", {}, kProbeTimeout);
      return Status::Ok();
    }
    const PathCheck& check = (*checks_)[check_index_.at(i)];
    if (check.presence == Presence::kPresent) {
      Decide(e, "ignored", {}, "the file exists again");
    } else if (check.presence == Presence::kUnknown) {
      Decide(e, "pending", {}, "cannot tell whether the file exists: " + ErrnoText(check.err));
    } else {
      // The database went away during the joint lookup: asking again for
      // each event would wait out the outage once per event.
      if (resolve_error_.code() == Code::kUnavailable) return CatalogError({&e}, resolve_error_);
      Result<std::vector<MediaRow>> rows = std::vector<MediaRow>{};
      if (auto known = resolved_.find(i); known != resolved_.end() && !repathed_) {
        rows = std::move(known->second);
      } else {
        rows = a_.resolver_.Resolve(e.path);
      }
      if (!rows.ok()) return CatalogError({&e}, rows.status());
      if (rows->empty()) {
        Decide(e, "ignored", {}, "");
      } else {
        batch_.push_back({&e, std::move(*rows)});
        decided_.insert(e.seq);  // settled by Flush()
      }
    }
    return Status::Ok();
  }

  // Archives the rows of the deletions collected so far, in one transaction.
  // Called before any rename is applied, so the catalog changes in event order.
  Status Flush() {
    if (batch_.empty()) return Status::Ok();
    std::vector<MediaRow> rows;
    std::vector<const EventRecord*> events;
    for (const auto& [e, r] : batch_) {
      rows.insert(rows.end(), r.begin(), r.end());
      events.push_back(e);
    }
    // One path deleted twice in a pass (or a row archived by an earlier
    // event of it): one action, for the first event.
    const int64_t now = a_.clock_.NowMs();
    std::map<int64_t, ActionRecord> actions;
    for (const auto& [e, entry_rows] : batch_) {
      for (const auto& r : entry_rows) {
        if (!recorded_.count(r.id) && !actions.count(r.id)) {
          actions[r.id] = {0, r.id, r.filepath, now, "archive", "event", e->seq, ""};
        }
      }
    }
    auto changed = ArchiveAudited(a_.catalog_, a_.journal_, a_.clock_, rows, actions);
    if (!changed.ok()) {
      batch_.clear();
      return CatalogError(events, changed.status());
    }
    const std::set<int64_t> done(changed->begin(), changed->end());
    for (int64_t id : done) recorded_.insert(id);
    for (const auto& [e, entry_rows] : batch_) {
      std::vector<int64_t> ids;
      for (const auto& r : entry_rows) ids.push_back(r.id);
      a_.resolver_.Forget(e->path, ids);
      outcomes_.push_back({e->seq, "applied", std::move(ids), ""});
    }
    batch_.clear();
    stats_.archived += static_cast<int64_t>(changed->size());
    return Status::Ok();
  }

  // Every active row under a directory that left the roots whose file is
  // gone; present and unknown files are left (and the event retried for the
  // unknown ones).
  Status DirGone(const EventRecord& e) {
    RECSYNC_RETURN_IF_ERROR(Flush());
    auto rows = a_.catalog_.ActiveRowsUnder(e.path);
    if (!rows.ok()) return CatalogError({&e}, rows.status());
    if (rows->empty()) {
      Decide(e, "ignored", {}, "");
      return Status::Ok();
    }
    std::vector<std::string> paths;
    for (const auto& r : *rows) paths.push_back(r.filepath);
    auto checks = RunBounded<std::vector<PathCheck>>(
        [disk = a_.disk_, paths] { return CheckEach(*disk, paths); },
        a_.options_.probe_timeout);
    if (!checks) {
      Decide(e, "pending", {}, kProbeTimeout);
      return Status::Ok();
    }
    std::vector<MediaRow> missing;
    size_t unknown = 0;
    for (size_t k = 0; k < rows->size(); ++k) {
      if ((*checks)[k].presence == Presence::kMissing) missing.push_back((*rows)[k]);
      if ((*checks)[k].presence == Presence::kUnknown) ++unknown;
    }
    std::vector<int64_t> archived;
    for (const auto& chunk : Chunks(missing)) {
      std::map<int64_t, ActionRecord> actions;
      for (const auto& r : chunk) {
        if (recorded_.count(r.id)) continue;
        actions[r.id] = {0, r.id, r.filepath, a_.clock_.NowMs(), "archive", "event", e.seq, ""};
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
      Decide(e, "pending", std::move(archived),
             "cannot tell whether " + std::to_string(unknown) + " files under it exist");
    } else {
      const char* state = archived.empty() ? "ignored" : "applied";
      Decide(e, state, std::move(archived), "");
    }
    return Status::Ok();
  }

  // A rename within the roots: the rows at (or, for a directory, under) the
  // old path follow the file to the new one.
  Status Repath(const EventRecord& from, const EventRecord& to) {
    RECSYNC_RETURN_IF_ERROR(Flush());
    repathed_ = true;
    auto rows =
        from.is_dir ? a_.catalog_.ActiveRowsUnder(from.path) : a_.resolver_.Resolve(from.path);
    if (!rows.ok()) return CatalogError({&from, &to}, rows.status());
    std::vector<std::string> new_paths;
    for (const auto& r : *rows) {
      new_paths.push_back(from.is_dir ? to.path + r.filepath.substr(from.path.size()) : to.path);
    }
    std::vector<int64_t> repathed;
    for (size_t start = 0; start < rows->size(); start += kChunkRows) {
      const size_t end = std::min(rows->size(), start + kChunkRows);
      const std::vector<MediaRow> chunk(rows->begin() + start, rows->begin() + end);
      const std::vector<std::string> chunk_paths(new_paths.begin() + start,
                                                 new_paths.begin() + end);
      std::map<int64_t, ActionRecord> actions;
      for (size_t k = 0; k < chunk.size(); ++k) {
        const MediaRow& r = chunk[k];
        actions[r.id] = {0,      r.id,    r.filepath, a_.clock_.NowMs(), "repath",
                         "event", from.seq, chunk_paths[k]};
      }
      auto changed = RepathAudited(a_.catalog_, a_.journal_, a_.clock_, chunk, chunk_paths, actions);
      if (!changed.ok()) return CatalogError({&from, &to}, changed.status());
      const std::set<int64_t> done(changed->begin(), changed->end());
      for (size_t k = 0; k < chunk.size(); ++k) {
        const MediaRow& r = chunk[k];
        if (!done.count(r.id)) continue;
        repathed.push_back(r.id);
        a_.resolver_.Forget(r.filepath, {r.id});
        a_.resolver_.Remember(chunk_paths[k], {r.id});
      }
      stats_.repathed += static_cast<int64_t>(changed->size());
    }
    const char* state = repathed.empty() ? "ignored" : "applied";
    Decide(from, state, repathed, "");
    Decide(to, state, std::move(repathed), "");
    return Status::Ok();
  }

  // A catalog failure: transient ends the pass (everything stays pending);
  // anything else uses up an attempt of each event concerned.
  Status CatalogError(const std::vector<const EventRecord*>& events, const Status& status) {
    if (status.code() == Code::kUnavailable) return status;
    for (const EventRecord* e : events) {
      Decide(*e, e->attempts + 1 >= a_.options_.max_attempts ? "failed" : "pending", {},
             status.message());
    }
    return Status::Ok();
  }

  void Decide(const EventRecord& e, std::string state, std::vector<int64_t> ids,
              std::string error) {
    decided_.insert(e.seq);
    outcomes_.push_back({e.seq, std::move(state), std::move(ids), std::move(error)});
  }

  EventApplier& a_;
  std::vector<EventRecord> events_;
  std::vector<bool> is_held_;
  std::map<size_t, size_t> check_index_;  // event index -> index into checks_
  std::optional<std::vector<PathCheck>> checks_;
  std::map<size_t, std::vector<MediaRow>> resolved_;  // event index -> rows (ResolveDeleted)
  bool repathed_ = false;  // a row was re-pointed in this pass: resolved_ may be stale
  Status resolve_error_;   // why ResolveDeleted() found nothing, if it failed
  std::set<int64_t> decided_;                         // seqs settled (or batched) in this pass
  std::map<uint32_t, const EventRecord*> held_from_;  // held "moved_from"s by cookie
  std::vector<std::pair<const EventRecord*, std::vector<MediaRow>>> batch_;  // to archive
  std::set<int64_t> recorded_;  // ids with an archive action in this pass
  std::vector<EventOutcome> outcomes_;
  ApplyStats stats_;
};

Result<ApplyStats> EventApplier::ApplyPending(int64_t after_seq) {
  Pass pass(*this);
  return pass.Run(after_seq);
}

}  // namespace recsync
