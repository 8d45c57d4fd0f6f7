#include "reconcile/sweep.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <string_view>
#include <unordered_set>

#include "catalog/row_stream.h"
#include "common/json.h"
#include "common/path.h"
#include "reconcile/audited_change.h"
#include "reconcile/sweep_report.h"
#include "reconcile/sweep_run.h"

namespace recsync {

Result<SweepReport> Sweeper::Run(const SweepOptions& opt) {
  sweep_internal::SweepRun run(catalog_, journal_, disk_, clock_, opt);
  return run.Run();
}

namespace sweep_internal {

SweepRun::SweepRun(Catalog& catalog, Journal& journal, std::shared_ptr<DiskInterface> disk,
                   const Clock& clock, const SweepOptions& options)
    : catalog_(catalog),
      journal_(journal),
      disk_(std::move(disk)),
      clock_(clock),
      opt_(options),
      started_(std::chrono::steady_clock::now()),
      cancelled_(Code::kUnavailable, "sweep cancelled: recsync is stopping"),
      operator_stop_(Code::kUnavailable, "sweep cancelled by an operator"),
      batch_(static_cast<size_t>(std::max<int64_t>(1, options.batch_size))),
      assessor_(options.lanes ? options.lanes : std::make_shared<StorageLanes>(), disk_,
                options.probe_timeout),
      lanes_(catalog, journal, clock, rep_) {}

Result<SweepReport> SweepRun::Run() {
  rep_.trigger = opt_.trigger;
  rep_.dry_run = opt_.dry_run;
  rep_.force = opt_.force;
  rep_.started_ms = clock_.NowMs();
  spdlog::info("Starting database/filesystem synchronization");
  auto sweep_id = journal_.BeginSweep(opt_.trigger, opt_.dry_run, rep_.started_ms);
  if (!sweep_id.ok()) return sweep_id.status();
  rep_.sweep_id = *sweep_id;
  progress_.sweep_id = rep_.sweep_id;
  Publish(SweepPhase::kStarting);
  if (opt_.on_begun) opt_.on_begun(rep_.sweep_id);

  if (!opt_.dry_run && opt_.settle_intents_before_ms > 0) {
    // A crash may have left catalog changes without their audit record.
    auto settled = SettleIntents(catalog_, journal_, opt_.settle_intents_before_ms);
    if (!settled.ok()) return Fail(settled.status());
  }
  if (opt_.reuse_listings) {
    auto listings = ListingCache::Load(journal_, clock_.NowMs());
    if (!listings.ok()) return Fail(listings.status());
    listings_ = std::move(*listings);
  } else {
    listings_ = std::make_shared<const ListingCache>();  // all listed again
  }
  if (Status st = AddConfiguredRoots(); !st.ok()) return Fail(st);
  if (Status st = LoadDeletions(); !st.ok()) return Fail(st);
  if (Status st = CheckAll(); !st.ok()) return End(st);
  RememberListings();
  if (Status st = ArchiveAll(); !st.ok()) return End(st);
  if (Status st = Finish(); !st.ok()) return st;  // Finish records the sweep itself
  return std::move(rep_);
}

namespace {

int64_t MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start)
      .count();
}

}  // namespace

Status SweepRun::StopReason() const {
  if (opt_.operator_cancel && opt_.operator_cancel->load()) return operator_stop_;
  if (opt_.cancel && opt_.cancel->load()) return cancelled_;
  return Status::Ok();
}

Result<SweepReport> SweepRun::End(const Status& status) {
  if (IsOperatorStop(status)) return EndCancelled();
  return Fail(status);
}

// What was archived stays, and is reported; the rows the sweep did not reach
// are left for the next one. Not the roots' baselines nor the failed events:
// a cancelled sweep has not looked at everything.
Result<SweepReport> SweepRun::EndCancelled() {
  // The batches in flight commit or roll back whole; those that committed count.
  if (Status collected = lanes_.CollectAll(); !collected.ok()) return Fail(collected);
  Publish(progress_.phase);
  rep_.cancelled = true;
  rep_.duration_ms = MsSince(started_);
  for (auto& w : works_) rep_.roots.push_back(std::move(w->report));
  rep_.SortListed();
  spdlog::warn("sweep {} cancelled by an operator after {} ms: {} rows archived, {} missing found",
               rep_.sweep_id, rep_.duration_ms, rep_.archived(), rep_.missing());
  SweepRecord rec{rep_.sweep_id, opt_.trigger, rep_.started_ms, clock_.NowMs(), "cancelled",
                  opt_.dry_run, rep_.checked(), rep_.missing(), rep_.unknown(), rep_.archived(),
                  DumpJson(SweepReportToJson(rep_))};
  if (Status recorded = journal_.FinishSweep(rec); !recorded.ok()) return recorded;
  return std::move(rep_);
}

void SweepRun::Publish(SweepPhase phase) {
  progress_.phase = phase;
  if (!opt_.progress) return;
  progress_.rows_seen = total_rows_;
  progress_.folders_listed = progress_.missing = progress_.archived = 0;
  for (const auto& w : works_) {
    for (size_t listed : w->listed) progress_.folders_listed += static_cast<int64_t>(listed);
    progress_.missing += w->report.missing;
    progress_.archived += w->report.archived;
  }
  progress_.would_archive = rep_.would_archive;
  opt_.progress->Publish(progress_);
}

// Active rows per id over the ids read so far (those of archived rows are
// gaps), times the ids left: the ids of a recorder's catalog are spent
// evenly enough for a progress bar.
void SweepRun::EstimateRows(const MediaRowView& row) {
  const double span = static_cast<double>(std::max<int64_t>(1, row.id - first_id_ + 1));
  const double left = static_cast<double>(std::max<int64_t>(0, row.last_id - row.id));
  progress_.rows_expected =
      total_rows_ + static_cast<int64_t>(left * static_cast<double>(total_rows_) / span);
}

Status SweepRun::Fail(const Status& status) {
  // Batches archived during the check are counted before it is recorded.
  (void)lanes_.CollectAll();
  rep_.SortListed();
  for (const auto& w : works_) rep_.roots.push_back(w->report);
  SweepRecord rec{rep_.sweep_id, opt_.trigger, rep_.started_ms, clock_.NowMs(), "error",
                  opt_.dry_run, rep_.checked(), rep_.missing(), rep_.unknown(), rep_.archived(),
                  DumpJson(SweepReportToJson(rep_))};
  spdlog::error("sweep {} failed: {}", rep_.sweep_id, status.message());
  if (auto recorded = journal_.FinishSweep(rec); !recorded.ok()) {
    spdlog::error("sweep {} could not be recorded as failed: {}", rep_.sweep_id,
                  recorded.message());
  }
  return status;
}

// ---- 1. roots: sweep_roots.cc; the daemon's events: sweep_events.cc ----

// ---- 2. check ----

// The folders under each configured root whose listing an earlier sweep
// remembered are stat-ed on the root's lister threads while the SELECT
// starts; the rows of those still unchanged need no lister at all.
void SweepRun::VerifyRemembered() {
  if (!opt_.reuse_listings || listings_->size() == 0) return;
  std::map<RootWork*, RootWork::Verified> per_root;
  listings_->ForEach([&](const std::string& dir, const RememberedListing& listing) {
    RootWork* own = InnermostWork(Configured(), dir, RootHolds::kItselfAndBelow).first;
    if (own && own->memory) per_root[own].emplace_back(&dir, &listing);
  });
  for (const auto& w : Configured()) {
    StartVerify(*w, listings_, std::move(per_root[w.get()]), disk_, opt_.probe_timeout);
  }
  verify_pending_ = true;
}

void SweepRun::FinishVerifying() {
  if (!verify_pending_) return;
  for (size_t i = 0; i < configured_count_; ++i) FinishVerify(*works_[i], opt_.probe_timeout);
  verify_pending_ = false;
}

// The rows streamed in id order; each root's files are checked by its
// listers in chunks while the rows keep coming.
Status SweepRun::CheckAll() {
  young_after_ = clock_.NowSeconds() - opt_.min_age_s;
  // A start further ahead than min_age is a clock that was wrong, not a
  // recording still being written: such a row is checked like any other.
  young_until_ = clock_.NowSeconds() + opt_.min_age_s;
  Publish(SweepPhase::kChecking);
  if (Status stop = StopReason(); !stop.ok()) return stop;
  VerifyRemembered();
  // A second connection reads every other span of rows, so the server sends
  // them on two cores (catalog/row_stream.h); without one, a single stream.
  std::vector<Catalog*> readers{&catalog_};
  auto second = catalog_.Another(/*retry_connect=*/false);
  if (second.ok()) {
    readers.push_back(second->get());
  } else {
    spdlog::info("reading Media on one connection: {}", second.status().message());
  }
  placer_.emplace(works_, configured_count_, opt_.other_roots,
                  [this](const std::string& root) { return AddRoot(root, false); });
  RowStreamOptions stream;
  stream.one_reader = &one_reader_;
  Status streamed = StreamActiveRowsOn(readers, 0, stream,
                                       [this](const MediaRowView& row) { return Take(row); });
  FinishVerifying();  // no rows at all
  if (!row_error_.ok()) return row_error_;
  if (!streamed.ok()) return streamed;
  for (auto& w : works_) {
    FinishAllChecks(*w, disk_, opt_.probe_timeout);
    ApplyGuards(*w, opt_);
  }
  progress_.rows_expected = total_rows_;
  Publish(SweepPhase::kChecking);
  int64_t total_missing = 0;
  for (const auto& w : works_) total_missing += w->report.missing;
  spdlog::info("Found {} orphaned database entries out of {} total files", total_missing,
               total_rows_);
  return Status::Ok();
}

// Each row is placed (folder_placer.h), counted, and sent to its root's
// listers unless a remembered listing or the rules below settle it here.
bool SweepRun::Take(const MediaRowView& row) {
  FinishVerifying();
  if (++total_rows_ == 1) first_id_ = row.id;
  if ((total_rows_ & 0xfff) == 0) {
    // A batch sent early may have failed, or been the last before a cancel.
    row_error_ = archive_error_.ok() ? StopReason() : archive_error_;
    if (!row_error_.ok()) return false;
    EstimateRows(row);
    Publish(SweepPhase::kChecking);
  }
  RowPlace place;
  if (!placer_->PlaceSeen(row.filepath, place)) {
    auto placed = placer_->Place(row.filepath);
    if (!placed.ok()) {
      row_error_ = placed.status();
      return false;
    }
    place = *placed;
  }
  switch (place.where) {
    case RowPlace::Where::kNowhere: ++rep_.unplaceable; return true;
    case RowPlace::Where::kOtherRoots: ++rep_.other_roots_rows; return true;
    case RowPlace::Where::kRoot: break;
  }
  RootWork& w = *place.root;
  ++w.report.rows;
  if (w.report.state == RootState::kOffline) return true;
  if (row.start > young_after_ && row.start <= young_until_) {
    ++w.report.young;
    return true;
  }
  // Only plain components, so that "under this root" means what it says.
  if (!place.plain) {
    ++w.report.checked;
    ++w.report.unknown;
    return true;
  }
  // In an unchanged folder's remembered listing: present. Anything else,
  // including a name absent from it, goes to a lister.
  if (place.reused && place.reused->Contains(place.name)) {
    ++w.report.checked;
    return true;
  }
  const size_t slot = place.key % kListers;
  w.pending[slot].Add(row.id, row.start, row.filepath, place.key);
  if (w.pending[slot].size() >= kCheckChunk) {
    StartCheck(w, slot, disk_, opt_.probe_timeout);
    ArchiveEarly(w, row.last_id - row.id);
  } else if (w.archiving.early && (total_rows_ & 0x3ff) == 0) {
    Archive(w, false);  // a lane may have come free
  }
  return true;
}

// ---- 4. finish ----

Status SweepRun::Finish() {
  Publish(SweepPhase::kFinishing);
  if (!opt_.dry_run) {
    if (Status cleared = ClearSettledFailures(); !cleared.ok()) return Fail(cleared);
    // Remember what each online root looked like, so a later unmount shows.
    for (const auto& w : works_) {
      if (w->report.state != RootState::kOnline || w->report.refused) continue;
      auto put = journal_.PutRoot(w->status.ToRecord(clock_.NowMs()));
      if (!put.ok()) return Fail(put);
    }
  }
  rep_.duration_ms = MsSince(started_);
  for (auto& w : works_) rep_.roots.push_back(std::move(w->report));
  rep_.SortListed();
  spdlog::info("Database/filesystem sync complete: {} orphaned entries cleaned up",
               rep_.archived());
  SweepRecord rec{rep_.sweep_id, opt_.trigger, rep_.started_ms, clock_.NowMs(),
                  rep_.incomplete() ? "partial" : "done", opt_.dry_run, rep_.checked(),
                  rep_.missing(), rep_.unknown(), rep_.archived(),
                  DumpJson(SweepReportToJson(rep_))};
  return journal_.FinishSweep(rec);
}

// Right after the check: keeps the listings this sweep took (and may be
// reused) and those it reused; drops the others under the roots it checked
// whole, which are of folders that no longer have active rows. Listings
// under roots it did not check (offline, or not asked for) stay for a later
// sweep. A cache: a failure to write it costs the next sweep time, not
// correctness, so it is logged, not fatal. Then lets go of every listing:
// the archive phase needs none, and so holds only its own memory.
void SweepRun::RememberListings() {
  if (!opt_.dry_run) SaveListings();
  placer_.reset();
  for (auto& w : works_) {
    w->verified.clear();
    for (auto& p : w->presence) p.reset();
  }
  listings_.reset();
}

void SweepRun::SaveListings() {
  // Written in parts, so that a first sweep of a large storage does not
  // hold every listing twice.
  constexpr size_t kPart = 2048;
  std::vector<ListingRecord> put;
  Status saved;
  std::unordered_set<std::string_view> kept;
  for (const auto& w : works_) {
    for (const auto& [dir, listing] : w->verified) kept.insert(dir);
    for (const auto& p : w->presence) {
      if (!p) continue;
      for (auto& [dir, listing] : p->remembered()) {
        put.push_back(ListingCache::ToRecord(dir, listing));
        listing.digests = {};
        kept.insert(dir);
        if (put.size() == kPart && saved.ok()) {
          saved = journal_.UpdateListings(put, {});
          put.clear();
        }
      }
      for (const auto& dir : p->reused_folders()) kept.insert(dir);
    }
  }
  // A remembered folder whose own root (the most specific one holding it)
  // was checked, and which that check neither reused nor took again, is gone
  // or changed, or its listing was too old to load: it is dropped. Folders of
  // an offline root, or under no root of this sweep, are left for a later one.
  auto checked_root_of = [&](const std::string& dir) {
    const RootWork* own = InnermostWork(works_, dir, RootHolds::kItselfAndBelow).first;
    return own && own->report.state != RootState::kOffline;
  };
  std::vector<std::string> drop;
  auto remembered = journal_.ListingDirs();
  if (!remembered.ok()) {
    if (saved.ok()) saved = remembered.status();
    remembered = std::vector<std::string>{};
  }
  for (auto& dir : *remembered) {
    if (!kept.count(dir) && checked_root_of(dir)) drop.push_back(std::move(dir));
  }
  if (saved.ok()) saved = journal_.UpdateListings(put, drop);
  if (!saved.ok()) spdlog::warn("the next sweep will list every folder again: {}", saved.message());
}

}  // namespace sweep_internal
}  // namespace recsync
