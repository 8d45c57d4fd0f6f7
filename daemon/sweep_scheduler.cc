#include "daemon/sweep_scheduler.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>

#include "common/text.h"
#include "app/sweep_options.h"
#include "reconcile/sweep.h"
#include "reconcile/sweep_coverage.h"

namespace recsync {
namespace {

// A sweep that failed for want of the database (unreachable, read-only,
// out of disk, a grant missing) is tried again after this, doubled after
// each failure up to the cap, as the reconciler backs off.
constexpr uint64_t kFirstRetryMs = 5 * 1000;
constexpr uint64_t kMaxRetryMs = 60 * 1000;
constexpr uint64_t kFirstPruneMs = 60 * 1000;
constexpr uint64_t kPruneEveryMs = 6ull * 3600 * 1000;

// One sweep on the sweep worker. `everything`: all roots were asked for, so
// the sweep accounts for events an overflow lost.
SweepOutcome RunSweep(Connections& c, const SweepOptions& options, bool everything,
                      const std::shared_ptr<DiskInterface>& disk, const Clock& clock) {
  SweepOutcome out;
  auto catalog = c.catalog();
  if (!catalog.ok()) {
    out.status = catalog.status();
    return out;
  }
  // Events up to here are covered by this sweep once it has seen every root.
  auto seq_before = c.journal().LastSeq();
  const int64_t started_ms = clock.NowMs();
  Sweeper sweeper(**catalog, c.journal(), disk, clock);
  auto report = sweeper.Run(options);
  if (!report.ok()) {
    out.status = report.status();
    return out;
  }
  out.report = std::move(*report);
  if (seq_before.ok()) {
    Status settled = SettleCoveredEvents(c.journal(), out.report,
                                         {*seq_before, started_ms, everything}, clock.NowMs());
    if (!settled.ok()) spdlog::warn("{}", settled.message());
  }
  return out;
}

// The journal's records of the roots by path; none when it cannot say.
std::optional<std::map<std::string, RootRecord>> RootRecords(Journal& journal) {
  auto records = journal.Roots();
  if (!records.ok()) return std::nullopt;
  std::map<std::string, RootRecord> by_path;
  for (auto& r : *records) by_path[r.path] = std::move(r);
  return by_path;
}

}  // namespace

SweepScheduler::SweepScheduler(Environment env, const Settings& settings, Callbacks callbacks)
    : env_(std::move(env)),
      settings_(settings),
      callbacks_(std::move(callbacks)),
      periodic_timer_(env_.loop, [this] {
        Request(SweepRequest::Internal(SweepTrigger::kPeriodic));
        SchedulePeriodic();
      }),
      retry_timer_(env_.loop, [this] { Request(SweepRequest::Internal(retry_trigger_)); }),
      prune_timer_(env_.loop, [this] { Prune(); }) {}

Result<std::unique_ptr<SweepScheduler>> SweepScheduler::Start(
    Environment env, std::unique_ptr<Connections> connections, const Settings& settings,
    Callbacks callbacks) {
  std::unique_ptr<SweepScheduler> s(new SweepScheduler(std::move(env), settings,
                                                       std::move(callbacks)));
  auto worker = ConnectionWorker::Start("recsync-sweep", std::move(connections));
  if (!worker.ok()) return worker.status();
  s->worker_ = std::move(*worker);
  return s;
}

SweepScheduler::~SweepScheduler() { Stop(); }

void SweepScheduler::Stop() {
  stopping_ = true;
  cancel_ = true;
  if (worker_) worker_->Stop();
}

void SweepScheduler::Request(SweepRequest request) {
  if (stopping_) {
    SweepOutcome refused{Status(Code::kUnavailable, "recsync is stopping"), {}};
    for (auto& w : request.waiters) w(refused);
    return;
  }
  queue_.Add(std::move(request));
  MaybeStart();
}

void SweepScheduler::StartTimers() {
  SchedulePeriodic();
  prune_timer_.Start(kFirstPruneMs, kPruneEveryMs);
}

void SweepScheduler::Reconfigure(const Settings& settings) {
  const bool interval_changed = settings.sweep_interval != settings_.sweep_interval;
  settings_ = settings;
  if (interval_changed) SchedulePeriodic();
}

SweepStatus SweepScheduler::status() const {
  SweepStatus s;
  s.running = queue_.running();
  if (s.running) s.running_trigger = std::string(ToText(running_trigger_));
  s.queued = queue_.queued();
  s.last = last_;
  s.refused = refused_;
  s.current = running();
  return s;
}

std::optional<RunningSweep> SweepScheduler::running() const {
  if (!running_shared_) return std::nullopt;
  RunningSweep r;
  r.id = running_id_;
  r.trigger = running_trigger_;
  r.dry_run = running_dry_run_;
  r.cancelling = running_shared_->cancel.load();
  r.progress = running_shared_->progress.Snapshot();
  return r;
}

Status SweepScheduler::Cancel(int64_t sweep_id) {
  if (!running_shared_ || running_id_ == 0 || sweep_id != running_id_) {
    return Status(Code::kNotFound, "no sweep " + std::to_string(sweep_id) +
                                       " is running; recsync journal sweeps lists the others");
  }
  if (!running_shared_->cancel.exchange(true)) {
    spdlog::info("sweep {}: an operator asked to cancel it; it stops before its next batch",
                 sweep_id);
  }
  return Status::Ok();
}

SweepOptions SweepScheduler::OptionsFor(const SweepRequest& request) const {
  SweepOptions options = SweepOptionsFor(settings_, request.trigger);
  ApplySweepSpec(request.spec, options);
  // At start-up files may have vanished in ways that leave no trace in a
  // folder's times (a crash, a repaired filesystem): list everything.
  if (request.trigger == SweepTrigger::kStartup) options.reuse_listings = false;
  // With no roots known yet (the Storage table was unreadable), the sweep
  // reads them itself.
  const auto all = callbacks_.spellings_of({});
  options.roots = request.roots.empty() ? all : request.roots;
  if (!request.roots.empty()) {
    // The daemon's other roots are not this sweep's: their rows are skipped,
    // not swept as roots inferred from the paths.
    for (const auto& spelling : all) {
      if (std::find(options.roots.begin(), options.roots.end(), spelling) == options.roots.end()) {
        options.other_roots.push_back(spelling);
      }
    }
  }
  options.lanes = env_.lanes;
  options.cancel = &cancel_;
  options.settle_intents_before_ms = env_.started_ms;
  return options;
}

void SweepScheduler::MaybeStart() {
  auto next = queue_.StartNext();
  if (!next) return;
  running_waiters_ = std::move(next->waiters);
  running_trigger_ = next->trigger;
  running_started_ = std::move(next->on_started);
  running_id_ = 0;
  running_dry_run_ = next->spec.dry_run;
  auto shared = std::make_shared<Shared>();
  running_shared_ = shared;
  // Fixed here, on the loop: a reload may change the settings meanwhile.
  SweepOptions options = OptionsFor(*next);
  options.progress = &shared->progress;
  options.operator_cancel = &shared->cancel;
  options.on_begun = [this, mailbox = env_.mailbox](int64_t id) {
    mailbox.Post([this, id] { OnBegun(id); });
  };
  const bool everything = next->roots.empty();
  spdlog::info("{} sweep starting{}", ToText(next->trigger), DescribeSweepSpec(next->spec));
  // `shared` lives as long as the task: the options point into it.
  worker_->Post([this, options, everything, shared, mailbox = env_.mailbox, disk = env_.disk,
                 clock = env_.clock](Connections& c) {
    auto outcome = std::make_shared<SweepOutcome>(RunSweep(c, options, everything, disk, *clock));
    if (auto records = outcome->status.ok() ? RootRecords(c.journal()) : std::nullopt) {
      // The roots' baselines this sweep recorded, for the monitor's judgements.
      mailbox.Post([this, records = std::move(*records)]() mutable {
        callbacks_.on_records(std::move(records));
      });
    }
    mailbox.Post([this, outcome] {
      running_shared_.reset();
      running_started_.clear();
      OnDone(*outcome);
    });
  });
}

void SweepScheduler::OnBegun(int64_t sweep_id) {
  running_id_ = sweep_id;
  auto started = std::move(running_started_);
  running_started_.clear();
  for (auto& s : started) s(sweep_id);
}

void SweepScheduler::OnDone(const SweepOutcome& outcome) {
  queue_.Finished();
  if (callbacks_.on_outcome) callbacks_.on_outcome(running_trigger_, outcome);
  auto waiters = std::move(running_waiters_);
  running_waiters_.clear();
  for (auto& w : waiters) w(outcome);
  last_ = outcome;
  if (outcome.status.ok()) {
    const auto& r = outcome.report;
    spdlog::info("{} sweep {} {} in {} ms: {} checked, {} missing, {} unknown, {} archived",
                 r.trigger, r.sweep_id, r.cancelled ? "cancelled" : "done", r.duration_ms,
                 r.checked(), r.missing(), r.unknown(), r.archived());
    // A dry run's would-be list can be long; status needs only the figures.
    last_->report.archived_rows.clear();
    retry_ms_ = 0;
    if (!r.dry_run) {
      NoteRefusals(r);
      callbacks_.on_swept();
    }
  } else {
    spdlog::error("{} sweep failed: {}", ToText(running_trigger_), outcome.status.message());
    last_->report.trigger = std::string(ToText(running_trigger_));
    // The database is away or refuses writes; the sweep still has to happen.
    if (outcome.status.code() == Code::kUnavailable &&
        running_trigger_ != SweepTrigger::kManual && !stopping_) {
      RetryLater(running_trigger_);
    }
  }
  if (!stopping_) MaybeStart();
}

void SweepScheduler::RetryLater(SweepTrigger trigger) {
  retry_trigger_ = trigger;
  retry_ms_ = retry_ms_ == 0 ? kFirstRetryMs : std::min(retry_ms_ * 2, kMaxRetryMs);
  spdlog::info("the {} sweep is tried again in {} s", ToText(trigger), retry_ms_ / 1000);
  retry_timer_.Start(retry_ms_);
}

void SweepScheduler::NoteRefusals(const SweepReport& report) {
  if (report.cancelled) return;  // its guards may not have judged every root
  for (const auto& root : report.roots) {
    if (root.state == RootState::kOffline) continue;  // not judged by this sweep
    if (!root.refused) {
      refused_.erase(root.path);
      continue;
    }
    std::string& line = refused_[root.path];
    line = "storage " + PrintableText(root.path) + ": the " + report.trigger +
           " sweep archived nothing: " + root.refused_reason +
           "; after checking the storage, run: recsync sweep --force --storage " +
           PrintableText(root.path);
    spdlog::warn("{}", line);
  }
}

void SweepScheduler::SchedulePeriodic() {
  // +-10% jitter, so servers restarted together do not sweep a shared NAS together.
  static std::mt19937_64 rng{std::random_device{}()};
  const double base = static_cast<double>(settings_.sweep_interval) * 1000.0;
  std::uniform_real_distribution<double> jitter(0.9, 1.1);
  periodic_timer_.Start(static_cast<uint64_t>(base * jitter(rng)));
}

void SweepScheduler::Prune() {
  const int64_t days = settings_.journal_retention_days;
  worker_->Post([days, clock = env_.clock](Connections& c) {
    auto pruned = c.journal().Prune(days, clock->NowMs());
    if (!pruned.ok()) {
      spdlog::warn("journal prune: {}", pruned.status().message());
    } else if (*pruned > 0) {
      spdlog::info("pruned {} settled events older than {} days", *pruned, days);
    }
  });
}

}  // namespace recsync
