// The sweep's third phase: the rows found missing under each root are
// checked again, batch by batch, and archived with their audit records.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "reconcile/audited_change.h"
#include "reconcile/sweep_run.h"

namespace recsync::sweep_internal {
namespace {

// From this many batches of missing rows on, a root is archived on two
// connections: the server's row updates are most of a recovery sweep and use
// one core per connection. Below it a second connection costs more than it
// saves.
constexpr size_t kTwoLaneBatches = 4;

// Checks rows [begin, end) of `rows` again, on `thread`, bounded by `timeout`.
BoundedTask<std::vector<PathCheck>> StartRecheck(const std::shared_ptr<DiskInterface>& disk,
                                                 const std::vector<MediaRow>& rows, size_t begin,
                                                 size_t end, std::chrono::milliseconds timeout,
                                                 TaskThread& thread) {
  std::vector<std::string> paths;
  paths.reserve(end - begin);
  for (size_t i = begin; i < end; ++i) paths.push_back(rows[i].filepath);
  return BoundedTask<std::vector<PathCheck>>::Start(
      [disk, paths = std::move(paths)] { return CheckEach(*disk, paths); }, timeout, &thread);
}

}  // namespace

Status SweepRun::ArchiveAll() {
  batch_ = static_cast<size_t>(std::max<int64_t>(1, opt_.batch_size));
  lanes_.push_back(Lane{&catalog_, &journal_, nullptr});
  for (auto& w : works_) {
    ArchiveRoot(*w);
    if (!archive_error_.ok()) return archive_error_;
  }
  return Status::Ok();
}

// A second catalog + journal connection archives every other batch. Batches
// touch disjoint rows, and each commits (with its journal intents) on its
// own, so a crash still leaves whole batches. Without it, one lane does all.
void SweepRun::OpenSecondLane() {
  auto other = catalog_.Another();
  auto other_journal = other.ok() ? Journal::Open(journal_.path(), Journal::Mode::kReadWrite)
                                  : Result<std::unique_ptr<Journal>>(other.status());
  if (!other_journal.ok()) {
    spdlog::debug("archiving on one connection: {}", other_journal.status().message());
    return;
  }
  catalog2_ = std::move(*other);
  journal2_ = std::move(*other_journal);
  lanes_.push_back(Lane{catalog2_.get(), journal2_.get(), nullptr});
}

// Collects a lane's batch: its rows go into the report in batch order.
void SweepRun::Collect(Lane& lane, RootWork& w) {
  if (!lane.job) return;
  std::unique_ptr<ArchiveJob> job = std::move(lane.job);
  auto changed = job->result.get();
  if (!changed.ok()) {
    if (archive_error_.ok()) archive_error_ = changed.status();
    return;
  }
  std::map<int64_t, const MediaRow*> by_id;
  for (const auto& row : job->gone) by_id[row.id] = &row;
  for (int64_t id : *changed) rep_.List(id, by_id[id]->filepath);
  w.report.archived += static_cast<int64_t>(changed->size());
  total_archived_ += static_cast<int64_t>(changed->size());
  spdlog::info("Cleaned up batch of {} orphaned entries (total: {})", changed->size(),
               total_archived_);
}

void SweepRun::ArchiveRoot(RootWork& w) {
  const std::vector<MediaRow>& candidates = w.candidates;
  const size_t n = candidates.size();
  if (!opt_.dry_run && lanes_.size() == 1 && n >= kTwoLaneBatches * batch_) OpenSecondLane();
  // Each batch is checked again just before it is archived, and the next
  // batch's check runs while this one is archived.
  TaskThread rechecker;
  std::optional<BoundedTask<std::vector<PathCheck>>> next;
  if (n > 0) {
    next = StartRecheck(disk_, candidates, 0, std::min(batch_, n), opt_.probe_timeout, rechecker);
  }
  size_t k = 0;  // batch number
  for (size_t begin = 0; begin < n && archive_error_.ok(); begin += batch_, ++k) {
    if (Cancelled()) {
      archive_error_ = cancelled_;
      break;
    }
    const size_t end = std::min(begin + batch_, n);
    auto again = next->Wait();
    next.reset();
    if (!again) {
      MarkUnresponsive(w, opt_.probe_timeout);
      break;
    }
    // The storage must look exactly as it did when the sweep began: an
    // unmount during the sweep makes every later file look deleted. Asked
    // after the files were, so an unmount before the check is caught too.
    if (auto changed = LayoutChange(w); !changed.empty()) {
      w.report.state = RootState::kOffline;
      w.report.reason = changed;
      spdlog::warn("storage {} {}; nothing more under it is archived", w.report.path, changed);
      break;
    }
    if (end < n) {
      next = StartRecheck(disk_, candidates, end, std::min(end + batch_, n), opt_.probe_timeout,
                          rechecker);
    }
    auto job = std::make_unique<ArchiveJob>();
    for (size_t i = begin; i < end; ++i) {
      const Presence now = (*again)[i - begin].presence;
      if (now == Presence::kUnknown) {
        // A folder's listing lacked it, but lstat cannot see it: unknown, as
        // lstat says (one listed whole may lack a file lstat fails on).
        --w.report.missing;
        ++w.report.unknown;
      }
      if (now != Presence::kMissing) continue;  // it came back, or is unknown
      job->gone.push_back(candidates[i]);
    }
    if (job->gone.empty()) continue;
    if (opt_.dry_run) {
      for (const auto& row : job->gone) rep_.List(row.id, row.filepath);
      rep_.would_archive += static_cast<int64_t>(job->gone.size());
      continue;
    }
    const int64_t now = clock_.NowMs();
    for (const auto& row : job->gone) {
      job->actions[row.id] = {0, row.id, row.filepath, now, "archive", "sweep", rep_.sweep_id, ""};
    }
    Lane& lane = lanes_[k % lanes_.size()];
    Collect(lane, w);  // the batch before on this lane
    if (!archive_error_.ok()) break;
    ArchiveJob* j = job.get();
    j->result = std::async(std::launch::async, [&catalog = *lane.catalog,
                                                 &journal = *lane.journal, &clock = clock_, j] {
      return ArchiveAudited(catalog, journal, clock, j->gone, j->actions);
    });
    lane.job = std::move(job);
  }
  // In batch order: the older of the two in flight first.
  for (size_t i = 0; i < lanes_.size(); ++i) Collect(lanes_[(k + i) % lanes_.size()], w);
}

}  // namespace recsync::sweep_internal
