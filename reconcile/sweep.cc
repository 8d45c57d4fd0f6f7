#include "reconcile/sweep.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>

#include "common/json.h"
#include "reconcile/audited_change.h"
#include "reconcile/presence_check.h"
#include "reconcile/sweep_report.h"

namespace recsync {
namespace {

// Files are checked in chunks on a bounded worker, so a hung mount costs one
// probe timeout per root rather than one per row; while a chunk is checked
// (by directory listings, see presence_check.h) the next page of rows is
// read from the catalog.
constexpr size_t kCheckChunk = 4096;

// One root's state while the sweep runs.
struct RootWork {
  RootStatus status;
  RootReport report;
  std::vector<MediaRow> pending;     // rows waiting to be checked
  std::vector<MediaRow> candidates;  // rows whose file gave ENOENT
  // The chunk being checked, at most one per root (the PresenceCheck is
  // used by one task at a time).
  std::shared_ptr<PresenceCheck> presence;
  std::shared_ptr<std::vector<MediaRow>> checking;
  std::optional<BoundedTask<std::vector<PathCheck>>> inflight;
};

void MarkUnresponsive(RootWork& w, std::chrono::milliseconds timeout) {
  w.report.state = RootState::kOffline;
  w.report.reason = "unresponsive: checking files took longer than " +
                    FormatTimeout(timeout) + " (hung network storage?)";
  w.candidates.clear();
  w.pending.clear();
  spdlog::warn("storage {} is {}; nothing under it is archived", w.report.path, w.report.reason);
}

// Checks `rows` on a bounded worker; nullopt when the storage did not answer.
std::optional<std::vector<PathCheck>> CheckRows(const std::shared_ptr<DiskInterface>& disk,
                                                const std::vector<MediaRow>& rows,
                                                std::chrono::milliseconds timeout) {
  std::vector<std::string> paths;
  paths.reserve(rows.size());
  for (const auto& r : rows) paths.push_back(r.filepath);
  return RunBounded<std::vector<PathCheck>>(
      [disk, paths = std::move(paths)] {
        std::vector<PathCheck> out;
        out.reserve(paths.size());
        for (const auto& p : paths) out.push_back(disk->Check(p));
        return out;
      },
      timeout);
}

// Collects the chunk in flight, if any.
void FinishCheck(RootWork& w, std::chrono::milliseconds timeout) {
  if (!w.inflight) return;
  auto checks = w.inflight->Wait();
  w.inflight.reset();
  if (!checks) {
    // A thread stuck in the storage still reads the rows and the cache: let
    // it keep them (it holds its own references) and touch neither.
    w.checking.reset();
    w.presence.reset();
    return MarkUnresponsive(w, timeout);
  }
  // The task has finished: the rows are ours again.
  std::vector<MediaRow> rows = std::move(*w.checking);
  w.checking.reset();
  if (w.report.state == RootState::kOffline) return;
  for (size_t i = 0; i < rows.size(); ++i) {
    ++w.report.checked;
    switch ((*checks)[i].presence) {
      case Presence::kPresent: break;
      case Presence::kMissing:
        ++w.report.missing;
        w.candidates.push_back(std::move(rows[i]));
        break;
      case Presence::kUnknown:
        ++w.report.unknown;
        spdlog::debug("cannot tell whether {} exists: {}", rows[i].filepath,
                      ErrnoText((*checks)[i].err));
        break;
    }
  }
}

// Starts checking the pending rows (after collecting the previous chunk).
void StartCheck(RootWork& w, const std::shared_ptr<DiskInterface>& disk,
                std::chrono::milliseconds timeout) {
  FinishCheck(w, timeout);
  if (w.pending.empty() || w.report.state == RootState::kOffline) {
    w.pending.clear();
    return;
  }
  if (!w.presence) w.presence = std::make_shared<PresenceCheck>(disk);
  // Shared with the task: a task abandoned on a hung mount keeps its rows.
  w.checking = std::make_shared<std::vector<MediaRow>>(std::move(w.pending));
  w.pending.clear();
  w.inflight = BoundedTask<std::vector<PathCheck>>::Start(
      [presence = w.presence, rows = w.checking] { return presence->Check(*rows); }, timeout);
}

// Applies the suspect and ratio guards to a root whose rows were all checked.
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
  // files whose state is known.
  const int64_t known = r.checked - r.unknown;
  if (!r.refused && !opt.force && known > 0 &&
      static_cast<double>(r.missing) > opt.max_missing_ratio * static_cast<double>(known)) {
    r.refused = true;
    r.refused_reason = std::to_string(r.missing) + " of " + std::to_string(known) +
                       " checked files are missing, more than max_missing_ratio " +
                       std::to_string(static_cast<int>(opt.max_missing_ratio * 100)) +
                       "% (check the storage, then use --force)";
  }
  if (r.refused) {
    spdlog::warn("not archiving anything under {}: {}", r.path, r.refused_reason);
    w.candidates.clear();
  }
}

}  // namespace

SweepOptions SweepOptionsFor(const Settings& settings, std::string trigger) {
  SweepOptions options;
  options.trigger = std::move(trigger);
  options.min_age_s = settings.min_age;
  options.max_missing_ratio = settings.max_missing_ratio;
  options.batch_size = settings.batch_size;
  options.probe_timeout = std::chrono::seconds(settings.probe_timeout);
  options.roots = settings.storage;
  return options;
}

Result<SweepReport> Sweeper::Run(const SweepOptions& opt) {
  const auto started = std::chrono::steady_clock::now();
  SweepReport rep;
  rep.trigger = opt.trigger;
  rep.dry_run = opt.dry_run;
  rep.force = opt.force;
  rep.started_ms = clock_.NowMs();
  spdlog::info("Starting database/filesystem synchronization");

  auto sweep_id = journal_.BeginSweep(opt.trigger, opt.dry_run, rep.started_ms);
  if (!sweep_id.ok()) return sweep_id.status();
  rep.sweep_id = *sweep_id;

  std::vector<std::unique_ptr<RootWork>> works;
  // Records the sweep as failed, with the figures so far, and passes the error on.
  auto fail = [&](const Status& st) -> Status {
    for (const auto& w : works) rep.roots.push_back(w->report);
    SweepRecord rec{rep.sweep_id, opt.trigger, rep.started_ms, clock_.NowMs(), "error",
                    opt.dry_run, rep.checked(), rep.missing(), rep.unknown(), rep.archived(),
                    DumpJson(SweepReportToJson(rep))};
    spdlog::error("sweep {} failed: {}", rep.sweep_id, st.message());
    if (auto recorded = journal_.FinishSweep(rec); !recorded.ok()) {
      spdlog::error("sweep {} could not be recorded as failed: {}", rep.sweep_id,
                    recorded.message());
    }
    return st;
  };

  if (!opt.dry_run && opt.settle_intents_before_ms > 0) {
    // A crash may have left catalog changes without their audit record.
    auto settled = SettleIntents(catalog_, journal_, opt.settle_intents_before_ms);
    if (!settled.ok()) return fail(settled.status());
  }
  std::vector<std::string> roots = opt.roots;
  if (roots.empty()) {
    auto from_catalog = catalog_.StorageRoots();
    if (!from_catalog.ok()) return fail(from_catalog.status());
    roots = std::move(*from_catalog);
  }
  auto tables = ReadMountTables(*disk_);
  if (!tables.ok()) return fail(tables.status());

  auto add_root = [&](const std::string& path, bool configured) -> Result<RootWork*> {
    auto last = journal_.GetRoot(path);
    if (!last.ok()) return last.status();
    auto w = std::make_unique<RootWork>();
    w->status = AssessRoot(disk_, path, *tables, *last, opt.probe_timeout);
    w->report.path = path;
    w->report.configured = configured;
    w->report.state = w->status.state;
    w->report.reason = w->status.reason;
    w->report.fs_type = w->status.fs_type;
    w->report.mount_point = w->status.mount_point;
    if (w->report.state == RootState::kOffline) {
      spdlog::warn("storage {} is offline: {}; it is not swept", path, w->report.reason);
    }
    works.push_back(std::move(w));
    return works.back().get();
  };
  for (auto& root : roots) {
    root = NormalizeRoot(root);
    if (auto bad = CheckRootPath(root); !bad.empty()) {
      auto w = std::make_unique<RootWork>();
      w->report.path = root;
      w->report.reason = bad;
      spdlog::warn("storage {} is not swept: {}", root, bad);
      works.push_back(std::move(w));
      continue;
    }
    bool seen = false;
    for (const auto& w : works) seen |= (w->report.path == root);
    if (seen) continue;
    auto added = add_root(root, true);
    if (!added.ok()) return fail(added.status());
  }
  const size_t configured_count = works.size();
  std::map<std::string, RootWork*, std::less<>> inferred;  // found by string_view

  // The configured root a path lies under (the longest one), else the root its
  // layout implies; nullptr when neither exists.
  auto place = [&](const std::string& path) -> Result<RootWork*> {
    RootWork* best = nullptr;
    for (size_t i = 0; i < configured_count; ++i) {
      RootWork* w = works[i].get();
      if (path != w->report.path && IsUnder(path, w->report.path) &&
          (!best || w->report.path.size() > best->report.path.size())) {
        best = w;
      }
    }
    // A storage nested below a configured root (an old root, a mount of its
    // own) is assessed as a root in its own right, so that it being
    // unmounted is noticed instead of its rows looking missing.
    auto root = InferRootView(path);
    if (best && (!root || *root == best->report.path ||
                 !IsUnder(std::string(*root), best->report.path))) {
      return best;
    }
    if (!root) return static_cast<RootWork*>(nullptr);
    if (auto it = inferred.find(*root); it != inferred.end()) return it->second;
    const std::string root_path(*root);
    auto added = add_root(root_path, false);
    if (!added.ok()) return added.status();
    inferred[root_path] = *added;
    return *added;
  };

  // Why root `w` no longer looks as it did at the start ("" when it does).
  auto LayoutChange = [&](const RootWork& w) -> std::string {
    auto now_tables = ReadMountTables(*disk_);
    if (!now_tables.ok()) return "cannot be re-checked: " + now_tables.status().message();
    RootRecord then = w.status.ToRecord(0);
    RootStatus now = AssessRoot(disk_, w.report.path, *now_tables, then, opt.probe_timeout);
    if (now.state == RootState::kOffline) return "changed during the sweep: " + now.reason;
    if (now.st_dev != then.st_dev || now.mount_point != then.mount_point ||
        now.fs_type != then.fs_type) {
      return "changed during the sweep: its device or mount is not the one it was on";
    }
    return "";
  };

  const int64_t young_after = clock_.NowSeconds() - opt.min_age_s;
  int64_t total_rows = 0;
  const Status cancelled(Code::kUnavailable, "sweep cancelled: recsync is stopping");
  auto is_cancelled = [&] { return opt.cancel && opt.cancel->load(); };
  // One streamed SELECT; each root's files are checked on a worker in
  // chunks while the rows keep coming.
  Status row_error;
  auto take = [&](MediaRow&& row) -> bool {
    ++total_rows;
    if ((total_rows & 0xfff) == 0 && is_cancelled()) {
      row_error = cancelled;
      return false;
    }
    auto placed = place(row.filepath);
    if (!placed.ok()) {
      row_error = placed.status();
      return false;
    }
    RootWork* w = *placed;
    if (!w) {
      ++rep.unplaceable;
      return true;
    }
    ++w->report.rows;
    if (w->report.state == RootState::kOffline) return true;
    if (row.start > young_after) {
      ++w->report.young;
      return true;
    }
    // Only plain components, so that "under this root" means what it says.
    if (row.filepath == "/" || !HasPlainComponents(row.filepath)) {
      ++w->report.checked;
      ++w->report.unknown;
      return true;
    }
    w->pending.push_back(std::move(row));
    if (w->pending.size() >= kCheckChunk) StartCheck(*w, disk_, opt.probe_timeout);
    return true;
  };
  if (is_cancelled()) return fail(cancelled);
  Status streamed = catalog_.StreamActiveRows(0, take);
  if (!row_error.ok()) return fail(row_error);
  if (!streamed.ok()) return fail(streamed);
  for (auto& w : works) {
    StartCheck(*w, disk_, opt.probe_timeout);
    FinishCheck(*w, opt.probe_timeout);
    ApplyGuards(*w, opt);
  }
  int64_t total_missing = 0;
  for (const auto& w : works) total_missing += w->report.missing;
  spdlog::info("Found {} orphaned database entries out of {} total files", total_missing,
               total_rows);

  int64_t total_archived = 0;
  const size_t batch = static_cast<size_t>(std::max<int64_t>(1, opt.batch_size));
  for (auto& w : works) {
    for (size_t begin = 0; begin < w->candidates.size(); begin += batch) {
      if (is_cancelled()) return fail(cancelled);
      std::vector<MediaRow> chunk(
          w->candidates.begin() + static_cast<std::ptrdiff_t>(begin),
          w->candidates.begin() + static_cast<std::ptrdiff_t>(std::min(begin + batch, w->candidates.size())));
      // The storage must look exactly as it did when the sweep began: an
      // unmount during the sweep makes every later file look deleted.
      if (auto changed = LayoutChange(*w); !changed.empty()) {
        w->report.state = RootState::kOffline;
        w->report.reason = changed;
        spdlog::warn("storage {} {}; nothing more under it is archived", w->report.path, changed);
        break;
      }
      // Check again right before acting: a file that came back is kept.
      auto again = CheckRows(disk_, chunk, opt.probe_timeout);
      if (!again) {
        MarkUnresponsive(*w, opt.probe_timeout);
        break;
      }
      std::vector<MediaRow> gone;
      std::map<int64_t, const MediaRow*> by_id;
      for (size_t i = 0; i < chunk.size(); ++i) {
        if ((*again)[i].presence != Presence::kMissing) continue;
        gone.push_back(chunk[i]);
        by_id[chunk[i].id] = &chunk[i];
      }
      if (gone.empty()) continue;
      if (opt.dry_run) {
        for (const auto& row : gone) rep.List(row.id, row.filepath);
        rep.would_archive += static_cast<int64_t>(gone.size());
        continue;
      }
      const int64_t now = clock_.NowMs();
      std::map<int64_t, ActionRecord> actions;
      for (const auto& row : gone) {
        actions[row.id] = {0, row.id, row.filepath, now, "archive", "sweep", rep.sweep_id, ""};
      }
      auto changed = ArchiveAudited(catalog_, journal_, gone, actions);
      if (!changed.ok()) return fail(changed.status());
      for (int64_t id : *changed) rep.List(id, by_id[id]->filepath);
      w->report.archived += static_cast<int64_t>(changed->size());
      total_archived += static_cast<int64_t>(changed->size());
      spdlog::info("Cleaned up batch of {} orphaned entries (total: {})", changed->size(),
                   total_archived);
    }
  }

  if (!opt.dry_run) {
    // Remember what each online root looked like, so a later unmount shows.
    for (const auto& w : works) {
      if (w->report.state != RootState::kOnline || w->report.refused) continue;
      auto put = journal_.PutRoot(w->status.ToRecord(clock_.NowMs()));
      if (!put.ok()) return fail(put);
    }
  }

  rep.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - started)
                        .count();
  for (auto& w : works) rep.roots.push_back(std::move(w->report));
  spdlog::info("Database/filesystem sync complete: {} orphaned entries cleaned up",
               rep.archived());
  SweepRecord rec{rep.sweep_id, opt.trigger, rep.started_ms, clock_.NowMs(),
                  rep.incomplete() ? "partial" : "done", opt.dry_run, rep.checked(),
                  rep.missing(), rep.unknown(), rep.archived(), DumpJson(SweepReportToJson(rep))};
  auto finished = journal_.FinishSweep(rec);
  if (!finished.ok()) return finished;
  return rep;
}

}  // namespace recsync
