// The sweep's third phase: the rows found missing under each root are
// checked again, batch by batch, and archived with their audit records.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/bounded_task.h"
#include "reconcile/sweep_run.h"

namespace recsync::sweep_internal {
namespace {

// From this many batches of missing rows on, a root is archived on two
// connections: the server's row updates are most of a recovery sweep and use
// one core per connection. Below it a second connection costs more than it
// saves.
constexpr size_t kTwoLaneBatches = 4;
// Lanes opened to archive during the check, when the main connection is busy
// streaming rows: two, for the reason above.
constexpr size_t kEarlyLanes = 2;

// Starts checking the next batch of `w`'s candidates again, on the root's
// rechecker thread: a full batch, or with `all` whatever is left. False when
// there is none.
bool StartRecheck(RootWork& w, size_t batch, bool all, const std::shared_ptr<DiskInterface>& disk,
                  std::chrono::milliseconds timeout) {
  auto& a = w.archiving;
  const size_t n = w.candidates.size();
  if (a.dispatched >= n || (!all && n - a.dispatched < batch)) return false;
  const size_t begin = a.dispatched;
  const size_t end = std::min(begin + batch, n);
  std::vector<std::string> paths;
  paths.reserve(end - begin);
  for (size_t i = begin; i < end; ++i) paths.push_back(w.candidates[i].filepath);
  if (!a.rechecker) a.rechecker = std::make_unique<TaskThread>();
  a.recheck.emplace(RootWork::Recheck{
      begin, end,
      BoundedTask<std::vector<PathCheck>>::Start(
          [disk, paths = std::move(paths)] { return CheckEach(*disk, paths); }, timeout,
          a.rechecker.get())});
  a.dispatched = end;
  return true;
}

}  // namespace

// Once the guards can no longer refuse a root, waiting for the end of its
// check only leaves a core idle: the check is the listers' and the stream's
// work, archiving the server's. The safety rules do not change: each batch
// is still checked again, and the layout compared, right before it goes.
void SweepRun::ArchiveEarly(RootWork& w, int64_t rows_left) {
  auto& a = w.archiving;
  if (!a.early) {
    // A dry run has no server work to overlap.
    if (opt_.dry_run || !early_lanes_ok_ || w.candidates.size() < batch_) return;
    if (!MayArchiveEarly(w, rows_left, opt_)) return;
    if (lanes_.empty()) {
      while (lanes_.size() < kEarlyLanes && lanes_.Open()) {
      }
      if (lanes_.empty()) {
        early_lanes_ok_ = false;
        return;
      }
    }
    a.early = true;
    one_reader_ = true;  // the server's second core now archives
    spdlog::debug("archiving under {} begins while its files are still checked", w.report.path);
  }
  Archive(w, false);
}

Status SweepRun::ArchiveAll() {
  Publish(SweepPhase::kArchiving);
  if (lanes_.empty()) lanes_.AddMain();
  for (auto& w : works_) {
    const size_t left = w->candidates.size() - std::min(w->archiving.dispatched,
                                                        w->candidates.size());
    if (!opt_.dry_run && lanes_.size() == 1 && left >= kTwoLaneBatches * batch_) lanes_.Open();
    Archive(*w, true);
    if (!archive_error_.ok()) break;
  }
  Status collected = lanes_.CollectAll();
  // A batch that failed is an error even when an operator cancelled after it.
  if (!collected.ok() && (archive_error_.ok() || IsOperatorStop(archive_error_))) {
    archive_error_ = collected;
  }
  Publish(SweepPhase::kArchiving);
  return archive_error_;
}

void SweepRun::Archive(RootWork& w, bool wait) {
  // Nothing more goes once the root is offline (which the re-check below may
  // find) or refused.
  while (archive_error_.ok() && w.report.state != RootState::kOffline && !w.report.refused) {
    if (Status stop = StopReason(); !stop.ok()) {
      archive_error_ = stop;
      break;
    }
    // During the check the stream never waits for the server: a batch goes
    // only to a free lane, and is checked again only then (a few
    // milliseconds of lstat, waited for, bounded), so that the check is as
    // fresh as when the batches go one after another.
    ArchiveLanes::Lane* lane = opt_.dry_run ? nullptr : lanes_.Next(wait);
    if (!opt_.dry_run && !lane) break;
    auto gone = RecheckedBatch(w, wait);
    if (!gone) break;
    if (gone->empty()) continue;
    // Asked again once the batch was checked again (which may have taken a
    // while): a cancel seen by then stops before the batch goes.
    if (Status stop = StopReason(); !stop.ok()) {
      archive_error_ = stop;
      break;
    }
    if (opt_.dry_run) {
      for (const auto& row : *gone) rep_.List(row.id, row.filepath);
      rep_.would_archive += static_cast<int64_t>(gone->size());
      Publish(progress_.phase);
      continue;
    }
    auto job = std::make_unique<ArchiveJob>();
    job->root = &w;
    job->early = !wait;
    job->gone = std::move(*gone);
    const int64_t now = clock_.NowMs();
    for (const auto& row : job->gone) {
      job->actions[row.id] =
          ActionRecord::Archive(row.id, row.filepath, now, Cause::kSweep, rep_.sweep_id);
    }
    if (Status sent = lanes_.Send(*lane, std::move(job)); !sent.ok()) {
      archive_error_ = sent;  // the batch before on this lane failed
      break;
    }
    Publish(progress_.phase);  // the batch before on this lane was collected
  }
}

std::optional<std::vector<MediaRow>> SweepRun::RecheckedBatch(RootWork& w, bool wait) {
  auto& a = w.archiving;
  if (!a.recheck && !StartRecheck(w, batch_, wait, disk_, opt_.probe_timeout)) return std::nullopt;
  const size_t begin = a.recheck->begin, end = a.recheck->end;
  auto again = a.recheck->task.Wait();
  a.recheck.reset();
  if (!again) {
    MarkUnresponsive(w, opt_.probe_timeout);
    return std::nullopt;
  }
  // The storage must look exactly as it did when the sweep began: an
  // unmount during the sweep makes every later file look deleted. Asked
  // after the files were, so an unmount before the check is caught too.
  if (auto changed = LayoutChange(w); !changed.empty()) {
    w.report.state = RootState::kOffline;
    w.report.reason = changed;
    spdlog::warn("storage {} {}; nothing more under it is archived", w.report.path, changed);
    return std::nullopt;
  }
  // After the check, the next batch is checked again while this one is
  // archived.
  if (wait) StartRecheck(w, batch_, true, disk_, opt_.probe_timeout);
  std::vector<MediaRow> gone;
  for (size_t i = begin; i < end; ++i) {
    const Presence now = (*again)[i - begin].presence;
    if (now == Presence::kUnknown) {
      // A folder's listing lacked it, but lstat cannot see it: unknown, as
      // lstat says (one listed whole may lack a file lstat fails on).
      --w.report.missing;
      ++w.report.unknown;
    }
    if (now != Presence::kMissing) continue;  // it came back, or is unknown
    gone.push_back(std::move(w.candidates[i]));  // not read here again
  }
  if (!wait) {
    // During the check, the rows sent on leave the list (no recheck is
    // ahead of them then), so that it holds only those waiting for a lane.
    w.candidates.erase(w.candidates.begin(),
                       w.candidates.begin() + static_cast<std::ptrdiff_t>(end));
    a.dispatched = 0;
  }
  return gone;
}

}  // namespace recsync::sweep_internal
