// The daemon's sweeps: one at a time, requests coalesced (SweepQueue), run
// on the sweep worker with its own catalog connection and journal.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>

#include "common/text.h"
#include "daemon/daemon.h"

namespace recsync {
namespace {
// A sweep that failed for want of the database (unreachable, read-only,
// out of disk, a grant missing) is tried again after this, doubled after
// each failure up to the cap, as the reconciler backs off.
constexpr uint64_t kFirstSweepRetryMs = 5 * 1000;
constexpr uint64_t kMaxSweepRetryMs = 60 * 1000;
}  // namespace

void Daemon::RequestSweep(SweepRequest request) {
  if (stopping_) {
    SweepOutcome refused{Status(Code::kUnavailable, "recsync is stopping"), {}};
    for (auto& w : request.waiters) w(refused);
    return;
  }
  sweeps_.Add(std::move(request));
  MaybeStartSweep();
}

void Daemon::MaybeStartSweep() {
  auto next = sweeps_.StartNext();
  if (!next) return;
  running_waiters_ = std::move(next->waiters);
  next->waiters.clear();
  running_trigger_ = next->trigger;
  // With no roots known yet (the Storage table was unreadable), the sweep
  // reads them itself.
  // The options are fixed here, on the loop: a reload may change settings_
  // while the sweep runs.
  SweepOptions options = SweepOptionsFor(settings_, next->trigger);
  ApplySweepSpec(next->spec, options);
  // At start-up files may have vanished in ways that leave no trace in a
  // folder's times (a crash, a repaired filesystem): list everything.
  if (next->trigger == "startup") options.reuse_listings = false;
  options.roots = next->roots.empty() ? SpellingsOf({}) : next->roots;
  if (!next->roots.empty()) {
    // The daemon's other roots are not this sweep's: their rows are skipped,
    // not swept as roots inferred from the paths.
    for (const auto& spelling : SpellingsOf({})) {
      if (std::find(options.roots.begin(), options.roots.end(), spelling) == options.roots.end()) {
        options.other_roots.push_back(spelling);
      }
    }
  }
  options.lanes = lanes_;
  options.cancel = &cancel_;
  options.settle_intents_before_ms = started_ms_;
  const bool everything = next->roots.empty();
  spdlog::info("{} sweep starting{}", next->trigger, DescribeSweepSpec(next->spec));
  sweep_worker_->Post([this, options, everything] {
    auto outcome = std::make_shared<SweepOutcome>(RunSweepJob(options, everything));
    mailbox_->Post([this, outcome] { OnSweepDone(*outcome); });
  });
}

SweepOutcome Daemon::RunSweepJob(const SweepOptions& options, bool everything) {
  SweepOutcome out;
  if (!sweep_catalog_) {
    auto connected = Catalog::Connect(db_, CatalogOptions{});
    if (!connected.ok()) {
      out.status = connected.status();
      return out;
    }
    sweep_catalog_ = std::move(*connected);
  }
  // Events up to here are covered by this sweep once it has seen every root.
  auto seq_before = sweep_journal_->LastSeq();
  const int64_t started_ms = clock_.NowMs();
  Sweeper sweeper(*sweep_catalog_, *sweep_journal_, disk_, clock_);
  auto report = sweeper.Run(options);
  if (!report.ok()) {
    out.status = report.status();
    return out;
  }
  out.report = std::move(*report);
  if (!options.dry_run && seq_before.ok()) {
    const int64_t now = clock_.NowMs();
    for (const auto& root : out.report.roots) {
      if (root.state == RootState::kOffline) continue;
      auto settled = sweep_journal_->SettlePending(EventKind::kRootGone, root.path, *seq_before,
                                                   EventState::kApplied, now);
      if (!settled.ok()) spdlog::warn("{}", settled.status().message());
    }
    // Lost events anywhere are accounted for by a sweep of everything: every
    // root it could check was checked, a root it refused is reported as
    // degraded, and an offline one is swept when it is back. By when it was
    // seen, not by seq: the overflow that started this sweep may be
    // committed only after the sweep began.
    if (everything) {
      auto settled = sweep_journal_->SettlePendingSeenBy(EventKind::kOverflow, started_ms,
                                                         EventState::kApplied, now);
      if (!settled.ok()) spdlog::warn("{}", settled.status().message());
    }
  }
  // The roots' baselines this sweep recorded, for the monitor's judgements.
  if (auto records = sweep_journal_->Roots(); records.ok()) {
    std::map<std::string, RootRecord> by_path;
    for (auto& r : *records) by_path[r.path] = std::move(r);
    mailbox_->Post([this, by_path = std::move(by_path)]() mutable {
      if (monitor_) monitor_->SetRecords(std::move(by_path));
    });
  }
  return out;
}

void Daemon::OnSweepDone(const SweepOutcome& outcome) {
  sweeps_.Finished();
  auto waiters = std::move(running_waiters_);
  running_waiters_.clear();
  for (auto& w : waiters) w(outcome);
  if (outcome.status.ok()) {
    const auto& r = outcome.report;
    spdlog::info("{} sweep {} done in {} ms: {} checked, {} missing, {} unknown, {} archived",
                 r.trigger, r.sweep_id, r.duration_ms, r.checked(), r.missing(), r.unknown(),
                 r.archived());
    // A dry run's would-be list can be long; status needs only the figures.
    last_sweep_ = outcome;
    last_sweep_->report.archived_rows.clear();
    if (!r.dry_run) NoteRefusals(r);
    sweep_retry_ms_ = 0;
    // The sweep may have cleared failed events: the counts come from a round.
    if (reconciler_ && !r.dry_run) reconciler_->Notify(0);
  } else {
    spdlog::error("{} sweep failed: {}", running_trigger_, outcome.status.message());
    last_sweep_ = outcome;
    last_sweep_->report.trigger = running_trigger_;
    if (outcome.status.code() == Code::kUnavailable && running_trigger_ != "manual" &&
        !stopping_) {
      // The database is away or refuses writes; the sweep still has to happen.
      retry_trigger_ = running_trigger_;
      sweep_retry_ms_ = sweep_retry_ms_ == 0 ? kFirstSweepRetryMs
                                             : std::min(sweep_retry_ms_ * 2, kMaxSweepRetryMs);
      spdlog::info("the {} sweep is tried again in {} s", retry_trigger_, sweep_retry_ms_ / 1000);
      uv_timer_start(
          &retry_timer_,
          [](uv_timer_t* t) {
            auto* self = static_cast<Daemon*>(t->data);
            self->RequestSweep(SweepRequest::Internal(self->retry_trigger_));
          },
          sweep_retry_ms_, 0);
    }
  }
  if (!stopping_) MaybeStartSweep();
}

void Daemon::NoteRefusals(const SweepReport& report) {
  for (const auto& root : report.roots) {
    if (root.state == RootState::kOffline) continue;  // not judged by this sweep
    if (!root.refused) {
      refused_roots_.erase(root.path);
      continue;
    }
    std::string& line = refused_roots_[root.path];
    line = "storage " + PrintableText(root.path) + ": the " + report.trigger +
           " sweep archived nothing: " + root.refused_reason +
           "; after checking the storage, run: recsync sweep --force --storage " +
           PrintableText(root.path);
    spdlog::warn("{}", line);
  }
}

void Daemon::SchedulePeriodicSweep() {
  // +-10% jitter, so servers restarted together do not sweep a shared NAS together.
  static std::mt19937_64 rng{std::random_device{}()};
  const double base = static_cast<double>(settings_.sweep_interval) * 1000.0;
  std::uniform_real_distribution<double> jitter(0.9, 1.1);
  const auto ms = static_cast<uint64_t>(base * jitter(rng));
  uv_timer_start(
      &periodic_timer_,
      [](uv_timer_t* t) {
        auto* self = static_cast<Daemon*>(t->data);
        self->RequestSweep(SweepRequest::Internal("periodic"));
        self->SchedulePeriodicSweep();
      },
      ms, 0);
}

}  // namespace recsync
