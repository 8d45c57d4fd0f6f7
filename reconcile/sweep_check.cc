#include "reconcile/sweep_check.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/path.h"
#include <string>

namespace recsync::sweep_internal {

bool DeletionLog::Explains(const std::string& path) const {
  if (files.count(path)) return true;
  return std::any_of(dirs.begin(), dirs.end(),
                     [&](const std::string& dir) { return IsUnder(path, dir); });
}

std::pair<RootWork*, const std::string*> InnermostWork(
    std::span<const std::unique_ptr<RootWork>> roots, const std::string& path, RootHolds holds) {
  auto [own, prefix] = InnermostRootOfMany(
      path, roots, holds, [](const auto& w) -> const auto& { return w->prefixes; });
  return {own ? own->get() : nullptr, prefix};
}

std::string RootWork::Canonical(const std::string& path) const {
  const std::string* prefix = InnermostRoot(path, prefixes);
  if (!prefix || *prefix == report.path) return path;
  return report.path + path.substr(prefix->size());
}

void MarkUnresponsive(RootWork& w, std::chrono::milliseconds timeout) {
  w.report.state = RootState::kOffline;
  w.report.reason = "unresponsive: checking files took longer than " +
                    FormatTimeout(timeout) + " (hung network storage?)";
  w.candidates.clear();
  for (auto& p : w.pending) p.Clear();
  spdlog::warn("storage {} is {}; nothing under it is archived", w.report.path, w.report.reason);
}

namespace {

// Collects lister `slot`'s chunk in flight, if any.
void FinishCheck(RootWork& w, size_t slot, std::chrono::milliseconds timeout) {
  if (!w.inflight[slot]) return;
  CheckInFlight done = std::move(*w.inflight[slot]);
  w.inflight[slot].reset();
  auto checks = done.task.Wait();
  if (!checks) {
    // Threads stuck in the storage still read their rows and caches: let
    // them keep them (they hold their own references) and touch neither.
    for (auto& f : w.inflight) f.reset();
    for (auto& p : w.presence) p.reset();
    for (auto& t : w.threads) t.reset();
    return MarkUnresponsive(w, timeout);
  }
  if (w.report.state == RootState::kOffline) return;
  if (w.presence[slot]) w.listed[slot] = w.presence[slot]->listings();  // its task is done
  const RowBatch& rows = *done.rows;  // the task has finished with them
  for (size_t i = 0; i < rows.size(); ++i) {
    ++w.report.checked;
    switch ((*checks)[i].presence) {
      case Presence::kPresent: break;
      case Presence::kMissing:
        ++w.report.missing;
        w.candidates.push_back(rows.Row(i));
        if (w.deletions && (!w.deletions->files.empty() || !w.deletions->dirs.empty()) &&
            w.deletions->Explains(w.Canonical(w.candidates.back().filepath))) {
          ++w.report.explained;
        }
        break;
      case Presence::kUnknown:
        ++w.report.unknown;
        spdlog::debug("cannot tell whether {} exists: {}", rows.filepath(i),
                      ErrnoText((*checks)[i].err));
        break;
    }
  }
}

}  // namespace

void StartCheck(RootWork& w, size_t slot, const std::shared_ptr<DiskInterface>& disk,
                std::chrono::milliseconds timeout) {
  FinishCheck(w, slot, timeout);
  RowBatch& pending = w.pending[slot];
  if (pending.empty() || w.report.state == RootState::kOffline) {
    pending.Clear();
    return;
  }
  auto& presence = w.presence[slot];
  if (!presence) {
    presence = std::make_shared<PresenceCheck>(disk);
    if (w.memory) presence->UseListingMemory(*w.memory);
  }
  if (!w.threads[slot]) w.threads[slot] = std::make_unique<TaskThread>();
  auto rows = std::make_shared<RowBatch>(std::move(pending));
  pending.Clear();
  w.inflight[slot] = CheckInFlight{
      rows, BoundedTask<std::vector<PathCheck>>::Start(
                [presence, rows] { return presence->Check(*rows); }, timeout, w.threads[slot].get())};
}

void StartVerify(RootWork& w, const std::shared_ptr<const ListingCache>& cache,
                 std::vector<std::pair<const std::string*, const RememberedListing*>> folders,
                 const std::shared_ptr<DiskInterface>& disk, std::chrono::milliseconds timeout) {
  if (w.report.state == RootState::kOffline || folders.empty()) return;
  auto all = std::make_shared<RootWork::Verified>(std::move(folders));
  for (size_t slot = 0; slot < kListers; ++slot) {
    if (!w.threads[slot]) w.threads[slot] = std::make_unique<TaskThread>();
    // The task holds the cache: a thread stuck in a hung mount may outlive
    // the sweep, and it reads the folder names and stamps from it.
    w.verifying[slot] = BoundedTask<RootWork::Verified>::Start(
        [cache, all, disk, slot] {
          RootWork::Verified same;
          for (size_t i = slot; i < all->size(); i += kListers) {
            const auto& [dir, listing] = (*all)[i];
            const auto stamp = disk->StampDir(*dir);
            if (stamp && *stamp == listing->stamp) same.push_back((*all)[i]);
          }
          return same;
        },
        timeout, w.threads[slot].get());
  }
}

void FinishVerify(RootWork& w, std::chrono::milliseconds timeout) {
  for (size_t slot = 0; slot < kListers; ++slot) {
    if (!w.verifying[slot]) continue;
    auto same = w.verifying[slot]->Wait();
    w.verifying[slot].reset();
    if (!same) {
      for (auto& v : w.verifying) v.reset();
      for (auto& t : w.threads) t.reset();
      w.verified.clear();
      return MarkUnresponsive(w, timeout);
    }
    for (const auto& [dir, listing] : *same) w.verified.emplace(*dir, listing);
  }
}

void FinishAllChecks(RootWork& w, const std::shared_ptr<DiskInterface>& disk,
                     std::chrono::milliseconds timeout) {
  for (size_t slot = 0; slot < kListers; ++slot) StartCheck(w, slot, disk, timeout);
  for (size_t slot = 0; slot < kListers; ++slot) FinishCheck(w, slot, timeout);
  for (const auto& p : w.presence) {
    if (!p) continue;
    w.report.folders_listed += static_cast<int64_t>(p->listings());
    // A verified folder was counted as its rows streamed; a lister reuses it
    // again only to confirm a name absent from it.
    for (const auto& dir : p->reused_folders()) {
      if (!w.verified.count(dir)) ++w.report.folders_reused;
    }
  }
  std::sort(w.candidates.begin() + static_cast<std::ptrdiff_t>(
                                       std::min(w.archiving.dispatched, w.candidates.size())),
            w.candidates.end(),
            [](const MediaRow& a, const MediaRow& b) { return a.id < b.id; });
}

namespace {

// The ratio guard's test, shared by the guard and the early-archive bound so
// that both compare alike.
bool OverRatio(int64_t missing, int64_t known, double max_missing_ratio) {
  return static_cast<double>(missing) > max_missing_ratio * static_cast<double>(known);
}

}  // namespace

bool RatioGuardSettled(const RootReport& r, int64_t undecided, double max_missing_ratio) {
  // The share (lost + x) / (known + x) grows with the x undecided rows that
  // turn out missing (and unexplained), so its worst is at x = undecided.
  return !OverRatio(r.missing - r.explained + undecided,
                    r.checked - r.unknown + r.seen_deleted + undecided, max_missing_ratio);
}

bool MayArchiveEarly(const RootWork& w, int64_t rows_left, const SweepOptions& opt) {
  if (w.report.state == RootState::kOffline) return false;
  if (opt.force) return true;
  if (w.status.empty) return false;  // suspect once it has a row
  int64_t undecided = rows_left;
  for (const auto& p : w.pending) undecided += static_cast<int64_t>(p.size());
  for (const auto& f : w.inflight) {
    if (f) undecided += static_cast<int64_t>(f->rows->size());
  }
  return RatioGuardSettled(w.report, undecided, opt.max_missing_ratio);
}

void ApplyGuards(RootWork& w, const SweepOptions& opt) {
  RootReport& r = w.report;
  if (r.state == RootState::kOffline) return;
  if (w.status.empty && r.rows > 0) {
    r.state = RootState::kSuspect;
    r.reason = "the directory is empty, yet the catalog has " + std::to_string(r.rows) +
               " active rows under it";
    if (!opt.force) {
      r.refused = true;
      r.refused_reason = "suspect root: " + r.reason + " (mount the storage, or use --force)";
    }
  }
  // Unknown answers prove nothing either way, so the share is taken over the
  // files whose state is known, with those the daemon saw deleted since the
  // last sweep. Files whose deletion the daemon journaled are explained
  // losses, not a sign of a vanished storage.
  const int64_t known = r.checked - r.unknown + r.seen_deleted;
  const int64_t lost = r.missing - r.explained;
  if (!r.refused && !opt.force && known > 0 && OverRatio(lost, known, opt.max_missing_ratio)) {
    r.refused = true;
    r.refused_reason =
        std::to_string(lost) + " of " + std::to_string(known) +
        " checked files are missing without a deletion the daemon saw" +
        (r.explained > 0 ? " (" + std::to_string(r.explained) + " more were seen deleted)" : "") +
        ", more than max_missing_ratio " +
        std::to_string(static_cast<int>(opt.max_missing_ratio * 100)) +
        "% (check the storage, then use --force)";
  }
  if (r.refused) {
    spdlog::warn("not archiving anything under {}: {}", r.path, r.refused_reason);
    w.candidates.clear();
    w.archiving = {};  // never started: MayArchiveEarly excludes such a root
  }
}


}  // namespace recsync::sweep_internal
