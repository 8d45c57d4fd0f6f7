#include "reconcile/sweep.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <unordered_map>

#include "common/hash.h"
#include "common/json.h"
#include "reconcile/audited_change.h"
#include "reconcile/presence_check.h"
#include "reconcile/sweep_report.h"

namespace recsync {
namespace {

// Files are checked in chunks on bounded workers, so a hung mount costs one
// probe timeout per root rather than one per row; while chunks are checked
// (by directory listings, see presence_check.h) the next rows are read from
// the catalog.
constexpr size_t kCheckChunk = 4096;
// Listers per root. Listing is mostly kernel time spent per folder, so two
// keep both cores of a small recorder busy while the catalog streams
// (docs/performance.md). Each folder belongs to one lister (its slot), so no
// folder is listed twice and each lister's cache stays small.
constexpr size_t kListers = 2;

struct CheckInFlight {
  std::shared_ptr<RowBatch> rows;  // shared with the task
  BoundedTask<std::vector<PathCheck>> task;
};

// One root's state while the sweep runs.
struct RootWork {
  RootStatus status;
  RootReport report;
  RowBatch pending[kListers];        // rows waiting to be checked, per lister
  std::vector<MediaRow> candidates;  // rows whose file gave ENOENT
  // A PresenceCheck serves one task at a time: at most one chunk per lister.
  std::shared_ptr<PresenceCheck> presence[kListers];
  std::unique_ptr<TaskThread> threads[kListers];
  std::optional<CheckInFlight> inflight[kListers];
};

void MarkUnresponsive(RootWork& w, std::chrono::milliseconds timeout) {
  w.report.state = RootState::kOffline;
  w.report.reason = "unresponsive: checking files took longer than " +
                    FormatTimeout(timeout) + " (hung network storage?)";
  w.candidates.clear();
  for (auto& p : w.pending) p.Clear();
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
  const RowBatch& rows = *done.rows;  // the task has finished with them
  for (size_t i = 0; i < rows.size(); ++i) {
    ++w.report.checked;
    switch ((*checks)[i].presence) {
      case Presence::kPresent: break;
      case Presence::kMissing:
        ++w.report.missing;
        w.candidates.push_back(rows.Row(i));
        break;
      case Presence::kUnknown:
        ++w.report.unknown;
        spdlog::debug("cannot tell whether {} exists: {}", rows.filepath(i),
                      ErrnoText((*checks)[i].err));
        break;
    }
  }
}

// Starts checking lister `slot`'s pending rows, after collecting its
// previous chunk.
void StartCheck(RootWork& w, size_t slot, const std::shared_ptr<DiskInterface>& disk,
                std::chrono::milliseconds timeout) {
  FinishCheck(w, slot, timeout);
  RowBatch& pending = w.pending[slot];
  if (pending.empty() || w.report.state == RootState::kOffline) {
    pending.Clear();
    return;
  }
  auto& presence = w.presence[slot];
  if (!presence) presence = std::make_shared<PresenceCheck>(disk);
  if (!w.threads[slot]) w.threads[slot] = std::make_unique<TaskThread>();
  auto rows = std::make_shared<RowBatch>(std::move(pending));
  pending.Clear();
  w.inflight[slot] = CheckInFlight{
      rows, BoundedTask<std::vector<PathCheck>>::Start(
                [presence, rows] { return presence->Check(*rows); }, timeout, w.threads[slot].get())};
}

// Checks every row still pending and collects every chunk. The listers
// finish in any order, so the candidates are put back in id order.
void FinishAllChecks(RootWork& w, const std::shared_ptr<DiskInterface>& disk,
                     std::chrono::milliseconds timeout) {
  for (size_t slot = 0; slot < kListers; ++slot) StartCheck(w, slot, disk, timeout);
  for (size_t slot = 0; slot < kListers; ++slot) FinishCheck(w, slot, timeout);
  std::sort(w.candidates.begin(), w.candidates.end(),
            [](const MediaRow& a, const MediaRow& b) { return a.id < b.id; });
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
  // One streamed SELECT; each root's files are checked on workers in
  // chunks while the rows keep coming. Where a row belongs is worked out
  // once per folder: both the configured-root match and InferRootView depend
  // on the folder only (a path equal to a root is under no root, and neither
  // is its folder). Rows of all cameras interleave in id order, so this is a
  // map, dropped when it grows large (old folders do not come back).
  struct FolderPlace {
    RootWork* root;
    bool plain;       // every component of the folder is plain
    uint32_t key;     // numbers the folder for RowBatch; key % kListers = lister
  };
  std::unordered_map<std::string, FolderPlace, ShortHasher, std::equal_to<>> folders;
  constexpr size_t kFoldersKept = 16384;
  uint32_t next_key = 0;
  Status row_error;
  auto take = [&](const MediaRowView& row) -> bool {
    ++total_rows;
    if ((total_rows & 0xfff) == 0 && is_cancelled()) {
      row_error = cancelled;
      return false;
    }
    const std::string_view path = row.filepath;
    const size_t slash = path.rfind('/');
    RootWork* w = nullptr;
    bool plain = false;
    uint32_t key = 0;
    if (slash != std::string_view::npos && slash + 1 < path.size()) {
      const std::string_view dir = path.substr(0, slash);
      auto it = folders.find(dir);
      if (it == folders.end()) {
        if (folders.size() >= kFoldersKept) folders.clear();
        auto placed = place(std::string(path));
        if (!placed.ok()) {
          row_error = placed.status();
          return false;
        }
        const bool dir_plain = slash == 0 || HasPlainComponents(std::string(dir));
        it = folders.emplace(std::string(dir), FolderPlace{*placed, dir_plain, next_key++}).first;
      }
      const std::string_view name = path.substr(slash + 1);
      w = it->second.root;
      plain = it->second.plain && name != "." && name != "..";
      key = it->second.key;
    } else {  // no file name: "/", "", "x", "/a/b/"
      const std::string filepath(path);
      auto placed = place(filepath);
      if (!placed.ok()) {
        row_error = placed.status();
        return false;
      }
      w = *placed;
      plain = filepath != "/" && HasPlainComponents(filepath);
    }
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
    if (!plain) {
      ++w->report.checked;
      ++w->report.unknown;
      return true;
    }
    const size_t slot = key % kListers;
    w->pending[slot].Add(row.id, row.start, path, key);
    if (w->pending[slot].size() >= kCheckChunk) StartCheck(*w, slot, disk_, opt.probe_timeout);
    return true;
  };
  if (is_cancelled()) return fail(cancelled);
  Status streamed = catalog_.StreamActiveRows(0, take);
  if (!row_error.ok()) return fail(row_error);
  if (!streamed.ok()) return fail(streamed);
  for (auto& w : works) {
    FinishAllChecks(*w, disk_, opt.probe_timeout);
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
