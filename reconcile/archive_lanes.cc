#include "reconcile/archive_lanes.h"

#include <spdlog/spdlog.h>

#include "common/threads.h"
#include "reconcile/audited_change.h"

namespace recsync::sweep_internal {
namespace {

bool Finished(const ArchiveJob& job) {
  return job.result.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
}

}  // namespace

ArchiveLanes::ArchiveLanes(Catalog& catalog, Journal& journal, const Clock& clock,
                           SweepReport& report)
    : catalog_(catalog), journal_(journal), clock_(clock), report_(report) {}

void ArchiveLanes::AddMain() { lanes_.push_back(Lane{&catalog_, &journal_, nullptr}); }

bool ArchiveLanes::Open() {
  auto other = catalog_.Another();
  auto other_journal = other.ok() ? Journal::Open(journal_.path(), Journal::Mode::kReadWrite)
                                  : Result<std::unique_ptr<Journal>>(other.status());
  if (!other_journal.ok()) {
    spdlog::debug("no further archive connection: {}", other_journal.status().message());
    return false;
  }
  catalogs_.push_back(std::move(*other));
  journals_.push_back(std::move(*other_journal));
  lanes_.push_back(Lane{catalogs_.back().get(), journals_.back().get(), nullptr});
  return true;
}

ArchiveLanes::Lane* ArchiveLanes::Next(bool wait) {
  for (size_t i = 0; i < lanes_.size(); ++i) {
    Lane& lane = lanes_[(next_ + i) % lanes_.size()];
    if (wait || !lane.job || Finished(*lane.job)) {
      next_ += i;
      return &lane;
    }
  }
  return nullptr;
}

Status ArchiveLanes::Send(Lane& lane, std::unique_ptr<ArchiveJob> job) {
  if (Status before = Collect(lane); !before.ok()) return before;
  ArchiveJob* j = job.get();
  j->result = AsyncOrInline([&catalog = *lane.catalog, &journal = *lane.journal, &clock = clock_,
                             j] { return ArchiveAudited(catalog, journal, clock, j->gone, j->actions); });
  lane.job = std::move(job);
  ++next_;
  return Status::Ok();
}

Status ArchiveLanes::CollectAll() {
  Status first;
  const size_t n = lanes_.size();
  for (size_t i = 0; i < n; ++i) {
    Status collected = Collect(lanes_[(next_ + i) % n]);
    if (first.ok()) first = collected;
  }
  return first;
}

Status ArchiveLanes::Collect(Lane& lane) {
  if (!lane.job) return Status::Ok();
  std::unique_ptr<ArchiveJob> job = std::move(lane.job);
  auto changed = job->result.get();
  if (!changed.ok()) return changed.status();
  std::map<int64_t, const MediaRow*> by_id;
  for (const auto& row : job->gone) by_id[row.id] = &row;
  for (int64_t id : *changed) report_.List(id, by_id[id]->filepath);
  const auto n = static_cast<int64_t>(changed->size());
  job->root->report.archived += n;
  if (job->early) job->root->report.archived_early += n;
  total_archived_ += n;
  spdlog::info("Cleaned up batch of {} orphaned entries (total: {})", changed->size(),
               total_archived_);
  return Status::Ok();
}

}  // namespace recsync::sweep_internal
