#include "daemon/reconciler.h"

#include "common/threads.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/path.h"
#include "reconcile/audited_change.h"
#include "reconcile/root_assessor.h"
#include "reconcile/storage_root.h"

namespace recsync {
namespace {
constexpr std::chrono::milliseconds kFirstBackoff{250};

void AddCounts(ApplyStats& sum, const ApplyStats& pass) {
  sum.applied += pass.applied;
  sum.ignored += pass.ignored;
  sum.failed += pass.failed;
  sum.retried += pass.retried;
  sum.held += pass.held;
  sum.archived += pass.archived;
  sum.repathed += pass.repathed;
  sum.restored += pass.restored;
  for (const auto& [key, n] : pass.settled) sum.settled[key] += n;
  sum.delete_to_archive_ms.insert(sum.delete_to_archive_ms.end(),
                                  pass.delete_to_archive_ms.begin(),
                                  pass.delete_to_archive_ms.end());
}
}  // namespace

Reconciler::Reconciler(ReconcilerOptions options, std::unique_ptr<Journal> journal,
                       std::shared_ptr<DiskInterface> disk, const Clock& clock,
                       Callbacks callbacks)
    : options_(std::move(options)),
      journal_(std::move(journal)),
      disk_(std::move(disk)),
      clock_(clock),
      callbacks_(std::move(callbacks)) {
  if (!options_.lanes) options_.lanes = std::make_shared<StorageLanes>();
}

Result<std::unique_ptr<Reconciler>> Reconciler::Start(ReconcilerOptions options,
                                                      std::unique_ptr<Journal> journal,
                                                      std::shared_ptr<DiskInterface> disk,
                                                      const Clock& clock, Callbacks callbacks) {
  std::unique_ptr<Reconciler> r(new Reconciler(std::move(options), std::move(journal),
                                               std::move(disk), clock, std::move(callbacks)));
  auto thread = StartThread("recsync-apply", [p = r.get()] { p->Run(); });
  if (!thread.ok()) return thread.status();
  r->thread_ = std::move(*thread);
  return r;
}

Reconciler::~Reconciler() { Shutdown(); }

void Reconciler::Notify(int64_t seq) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    known_seq_ = std::max(known_seq_, seq);
    news_ = true;
  }
  cv_.notify_one();
}

void Reconciler::SetRoots(std::vector<std::string> roots, std::set<std::string> offline,
                          std::map<std::string, std::vector<std::string>> aliases) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    roots_ = std::move(roots);
    offline_ = std::move(offline);
    aliases_ = std::move(aliases);
    news_ = true;  // held events may be free now
  }
  cv_.notify_one();
}

void Reconciler::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

std::string Reconciler::RootOf(const std::string& path) const {
  const std::string* root = InnermostRoot(path, roots_);
  return root ? *root : std::string();
}

std::vector<std::string> Reconciler::AliasesOf(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string root = RootOf(path);
  std::vector<std::string> out;
  auto it = aliases_.find(root);
  if (root.empty() || it == aliases_.end()) return out;
  for (const auto& spelling : it->second) out.push_back(spelling + path.substr(root.size()));
  return out;
}

bool Reconciler::Held(const std::string& path, RootVerdicts& verdicts) {
  std::string root;
  {
    std::lock_guard<std::mutex> lock(mu_);
    root = RootOf(path);
    if (!root.empty() && offline_.count(root)) return true;
  }
  if (root.empty()) {
    // Not under a managed root any more (removed by a reload): judge it by
    // the root its path implies, with the same checks.
    root = InferRoot(path).value_or("");
    if (root.empty()) return false;
  }
  return !verdicts.MayTouch(root);
}

void Reconciler::Run() {
  auto backoff = kFirstBackoff;
  auto wake_at = SteadyClock::time_point::max();
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_until(lock, wake_at, [&] { return stopping_ || news_; });
      if (stopping_) return;
      news_ = false;
    }
    wake_at = SteadyClock::time_point::max();
    bool retry = !ConnectCatalog();
    if (!retry) {
      const Round round = RunRound();
      if (round.wake_at) wake_at = *round.wake_at;
      retry = round.retry;
    }
    if (retry) {
      wake_at = std::min(wake_at, SteadyClock::now() + backoff);
      backoff = std::min(backoff * 2, options_.max_backoff);
    } else {
      backoff = kFirstBackoff;
    }
  }
}

bool Reconciler::ConnectCatalog() {
  if (catalog_) return true;
  auto connected = Catalog::Connect(options_.db, options_.catalog);
  if (!connected.ok()) {
    if (callbacks_.on_db) callbacks_.on_db(false, connected.status().message());
    spdlog::warn("events wait for the database: {}", connected.status().message());
    return false;
  }
  catalog_ = std::move(*connected);
  resolver_ = std::make_unique<PathResolver>(*catalog_);
  // A crash may have left catalog changes without their audit record.
  if (auto settled = SettleIntents(*catalog_, *journal_, options_.settle_intents_before_ms);
      !settled.ok()) {
    spdlog::warn("settling unfinished changes: {}", settled.status().message());
  }
  return true;
}

ApplierOptions Reconciler::ApplierOptionsFor(RootVerdicts& verdicts) {
  ApplierOptions opts;
  opts.probe_timeout = options_.probe_timeout;
  opts.settle = options_.settle;
  opts.restore_window = options_.restore_window;
  opts.lanes = options_.lanes;
  opts.held = [this, &verdicts](const std::string& path) {
    return !verdicts.tables_ok() || Held(path, verdicts);
  };
  opts.root_of = [this](const std::string& path) {
    std::lock_guard<std::mutex> lock(mu_);
    std::string root = RootOf(path);
    return root.empty() ? InferRoot(path).value_or("/") : root;
  };
  opts.aliases = [this](const std::string& path) { return AliasesOf(path); };
  return opts;
}

Reconciler::Round Reconciler::RunRound() {
  int64_t target;
  {
    std::lock_guard<std::mutex> lock(mu_);
    target = known_seq_;
  }
  Round round;
  ReconcilerReport report;
  bool caught_up = false;
  int64_t after = 0;
  for (;;) {
    RootAssessor assessor(options_.lanes, disk_, options_.probe_timeout);
    RootVerdicts verdicts(assessor, assessor.ReadTables(), RecordsIn(*journal_));
    if (!verdicts.tables_ok()) {
      spdlog::warn("holding every event: {}", verdicts.tables_status().message());
    }
    EventApplier applier(*catalog_, *journal_, *resolver_, disk_, clock_,
                         ApplierOptionsFor(verdicts));
    auto stats = applier.ApplyPending(after);
    if (!stats.ok()) {
      round.retry = true;
      if (stats.status().code() == Code::kUnavailable) {
        if (callbacks_.on_db) callbacks_.on_db(false, stats.status().message());
      } else {
        spdlog::error("applying events: {}", stats.status().message());
      }
      break;
    }
    if (callbacks_.on_db) callbacks_.on_db(true, "");
    AddCounts(report.last, *stats);
    if (!stats->retry_error.empty()) report.retry_error = stats->retry_error;
    round.retry |= stats->retried > 0;
    if (stats->wait_until_ms > 0) {
      // A rename's other half may still come; look again when it is due.
      const int64_t ms = std::max<int64_t>(1, stats->wait_until_ms - clock_.NowMs());
      round.wake_at = SteadyClock::now() + std::chrono::milliseconds(ms);
      break;
    }
    if (stats->caught_up || stats->last_seq <= after) {
      caught_up = stats->caught_up && !round.retry;
      break;
    }
    after = stats->last_seq;
  }
  if (caught_up && !round.wake_at) report.caught_up_seq = target;
  Report(report);
  return round;
}

void Reconciler::Report(ReconcilerReport& report) {
  if (auto n = journal_->CountEvents(EventState::kPending); n.ok()) report.pending = *n;
  if (auto n = journal_->CountEvents(EventState::kFailed); n.ok()) report.failed = *n;
  if (callbacks_.on_round) callbacks_.on_round(report);
}

}  // namespace recsync
