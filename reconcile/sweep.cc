#include "reconcile/sweep.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>
#include <map>
#include <unordered_map>

#include "common/hash.h"
#include "common/json.h"
#include "reconcile/audited_change.h"
#include "reconcile/presence_check.h"
#include "reconcile/sweep_check.h"
#include "reconcile/sweep_report.h"

namespace recsync {
namespace {

using namespace sweep_internal;

// From this many batches of missing rows on, a root is archived on two
// connections (see Sweeper::Run).
constexpr size_t kTwoLaneBatches = 4;

// One batch being archived on a lane: its rows and actions live here, not on
// the stack, while the lane's thread reads them.
struct ArchiveJob {
  std::vector<MediaRow> gone;
  std::map<int64_t, ActionRecord> actions;
  std::future<Result<std::vector<int64_t>>> result;
};

// Checks rows [begin, end) of `rows` again, on `thread`, bounded by `timeout`.
BoundedTask<std::vector<PathCheck>> StartRecheck(const std::shared_ptr<DiskInterface>& disk,
                                                 const std::vector<MediaRow>& rows, size_t begin,
                                                 size_t end, std::chrono::milliseconds timeout,
                                                 TaskThread& thread) {
  std::vector<std::string> paths;
  paths.reserve(end - begin);
  for (size_t i = begin; i < end; ++i) paths.push_back(rows[i].filepath);
  return BoundedTask<std::vector<PathCheck>>::Start(
      [disk, paths = std::move(paths)] {
        std::vector<PathCheck> out;
        out.reserve(paths.size());
        for (const auto& p : paths) out.push_back(disk->Check(p));
        return out;
      },
      timeout, &thread);
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
  // A second pair of connections archives every other batch when there are
  // many: the server's row updates are most of a recovery sweep and use one
  // core per connection. Batches touch disjoint rows, and each commits (with
  // its journal intents) on its own, so a crash still leaves whole batches.
  std::unique_ptr<Catalog> catalog2;
  std::unique_ptr<Journal> journal2;
  struct Lane {
    Catalog* catalog;
    Journal* journal;
    std::unique_ptr<ArchiveJob> job;  // the batch in flight on this lane
  };
  std::vector<Lane> lanes;
  lanes.push_back(Lane{&catalog_, &journal_, nullptr});
  Status archive_error;
  // Collects a lane's batch: its rows go into the report in batch order.
  auto collect = [&](Lane& lane, RootWork& w) {
    if (!lane.job) return;
    std::unique_ptr<ArchiveJob> job = std::move(lane.job);
    auto changed = job->result.get();
    if (!changed.ok()) {
      if (archive_error.ok()) archive_error = changed.status();
      return;
    }
    std::map<int64_t, const MediaRow*> by_id;
    for (const auto& row : job->gone) by_id[row.id] = &row;
    for (int64_t id : *changed) rep.List(id, by_id[id]->filepath);
    w.report.archived += static_cast<int64_t>(changed->size());
    total_archived += static_cast<int64_t>(changed->size());
    spdlog::info("Cleaned up batch of {} orphaned entries (total: {})", changed->size(),
                 total_archived);
  };
  for (auto& w : works) {
    const std::vector<MediaRow>& candidates = w->candidates;
    const size_t n = candidates.size();
    if (!opt.dry_run && lanes.size() == 1 && n >= kTwoLaneBatches * batch) {
      auto other = catalog_.Another();
      auto other_journal = other.ok() ? Journal::Open(journal_.path(), Journal::Mode::kReadWrite)
                                      : Result<std::unique_ptr<Journal>>(other.status());
      if (other_journal.ok()) {
        catalog2 = std::move(*other);
        journal2 = std::move(*other_journal);
        lanes.push_back(Lane{catalog2.get(), journal2.get(), nullptr});
      } else {
        spdlog::debug("archiving on one connection: {}", other_journal.status().message());
      }
    }
    // Each batch is checked again just before it is archived, and the next
    // batch's check runs while this one is archived.
    TaskThread rechecker;
    std::optional<BoundedTask<std::vector<PathCheck>>> next;
    if (n > 0) next = StartRecheck(disk_, candidates, 0, std::min(batch, n), opt.probe_timeout, rechecker);
    size_t k = 0;  // batch number
    for (size_t begin = 0; begin < n && archive_error.ok(); begin += batch, ++k) {
      if (is_cancelled()) {
        archive_error = cancelled;
        break;
      }
      const size_t end = std::min(begin + batch, n);
      auto again = next->Wait();
      next.reset();
      if (!again) {
        MarkUnresponsive(*w, opt.probe_timeout);
        break;
      }
      // The storage must look exactly as it did when the sweep began: an
      // unmount during the sweep makes every later file look deleted. Asked
      // after the files were, so an unmount before the check is caught too.
      if (auto changed = LayoutChange(*w); !changed.empty()) {
        w->report.state = RootState::kOffline;
        w->report.reason = changed;
        spdlog::warn("storage {} {}; nothing more under it is archived", w->report.path, changed);
        break;
      }
      if (end < n) {
        next = StartRecheck(disk_, candidates, end, std::min(end + batch, n), opt.probe_timeout,
                            rechecker);
      }
      auto job = std::make_unique<ArchiveJob>();
      for (size_t i = begin; i < end; ++i) {
        if ((*again)[i - begin].presence != Presence::kMissing) continue;  // it came back
        job->gone.push_back(candidates[i]);
      }
      if (job->gone.empty()) continue;
      if (opt.dry_run) {
        for (const auto& row : job->gone) rep.List(row.id, row.filepath);
        rep.would_archive += static_cast<int64_t>(job->gone.size());
        continue;
      }
      const int64_t now = clock_.NowMs();
      for (const auto& row : job->gone) {
        job->actions[row.id] = {0, row.id, row.filepath, now, "archive", "sweep", rep.sweep_id, ""};
      }
      Lane& lane = lanes[k % lanes.size()];
      collect(lane, *w);  // the batch before on this lane
      if (!archive_error.ok()) break;
      ArchiveJob* j = job.get();
      j->result = std::async(std::launch::async, [&catalog = *lane.catalog,
                                                   &journal = *lane.journal, &clock = clock_, j] {
        return ArchiveAudited(catalog, journal, clock, j->gone, j->actions);
      });
      lane.job = std::move(job);
    }
    // In batch order: the older of the two in flight first.
    for (size_t i = 0; i < lanes.size(); ++i) collect(lanes[(k + i) % lanes.size()], *w);
    if (!archive_error.ok()) return fail(archive_error);
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
