#include "daemon/reconciler.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/path.h"
#include "reconcile/audited_change.h"
#include "reconcile/storage_root.h"

namespace recsync {
namespace {
constexpr std::chrono::milliseconds kFirstBackoff{250};
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
  thread_ = std::thread([this] { Run(); });
  pthread_setname_np(thread_.native_handle(), "recsync-apply");
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
  std::string best;
  for (const auto& r : roots_) {
    if (IsUnder(path, r) && r.size() > best.size()) best = r;
  }
  return best;
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

bool Reconciler::Held(const std::string& path, const MountTables& tables) {
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
  auto cached = pass_online_.find(root);
  if (cached != pass_online_.end()) return !cached->second;
  auto last = journal_->GetRoot(root);
  bool online = false;
  if (last.ok()) {
    auto status = AssessRoot(*options_.lanes, disk_, root, tables, *last, options_.probe_timeout);
    online = status.state != RootState::kOffline;
    if (!online) spdlog::debug("holding events under {}: {}", root, status.reason);
  }
  pass_online_[root] = online;
  return !online;
}

bool Reconciler::WaitFor(std::chrono::steady_clock::time_point until, bool for_news) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_until(lock, until, [&] { return stopping_ || (for_news && news_); });
  return !stopping_;
}

void Reconciler::Run() {
  auto backoff = kFirstBackoff;
  auto wake_at = std::chrono::steady_clock::time_point::max();
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_until(lock, wake_at, [&] { return stopping_ || news_; });
      if (stopping_) return;
      news_ = false;
    }
    wake_at = std::chrono::steady_clock::time_point::max();
    if (!catalog_) {
      auto connected = Catalog::Connect(options_.db, options_.catalog);
      if (!connected.ok()) {
        if (callbacks_.on_db) callbacks_.on_db(false, connected.status().message());
        spdlog::warn("events wait for the database: {}", connected.status().message());
        wake_at = std::chrono::steady_clock::now() + backoff;
        backoff = std::min(backoff * 2, options_.max_backoff);
        continue;
      }
      catalog_ = std::move(*connected);
      resolver_ = std::make_unique<PathResolver>(*catalog_);
      // A crash may have left catalog changes without their audit record.
      if (auto settled = SettleIntents(*catalog_, *journal_, options_.settle_intents_before_ms);
          !settled.ok()) {
        spdlog::warn("settling unfinished changes: {}", settled.status().message());
      }
    }
    int64_t target;
    {
      std::lock_guard<std::mutex> lock(mu_);
      target = known_seq_;
    }

    ReconcilerReport report;
    bool had_retry = false, failed = false, waiting = false, caught_up = false;
    int64_t after = 0;
    for (;;) {
      pass_online_.clear();
      auto tables = ReadMountTables(*disk_);
      if (!tables.ok()) spdlog::warn("holding every event: {}", tables.status().message());
      ApplierOptions opts;
      opts.probe_timeout = options_.probe_timeout;
      opts.settle = options_.settle;
      opts.restore_window = options_.restore_window;
      opts.lanes = options_.lanes;
      opts.held = [&](const std::string& path) {
        return !tables.ok() || Held(path, *tables);
      };
      opts.root_of = [this](const std::string& path) {
        std::lock_guard<std::mutex> lock(mu_);
        std::string root = RootOf(path);
        return root.empty() ? InferRoot(path).value_or("/") : root;
      };
      opts.aliases = [this](const std::string& path) { return AliasesOf(path); };
      EventApplier applier(*catalog_, *journal_, *resolver_, disk_, clock_, opts);
      auto stats = applier.ApplyPending(after);
      if (!stats.ok()) {
        failed = true;
        if (stats.status().code() == Code::kUnavailable) {
          if (callbacks_.on_db) callbacks_.on_db(false, stats.status().message());
        } else {
          spdlog::error("applying events: {}", stats.status().message());
        }
        break;
      }
      if (callbacks_.on_db) callbacks_.on_db(true, "");
      report.last.applied += stats->applied;
      report.last.ignored += stats->ignored;
      report.last.failed += stats->failed;
      report.last.retried += stats->retried;
      report.last.held += stats->held;
      report.last.archived += stats->archived;
      report.last.restored += stats->restored;
      if (!stats->retry_error.empty()) report.retry_error = stats->retry_error;
      had_retry |= stats->retried > 0;
      if (stats->wait_until_ms > 0) {
        // A rename's other half may still come; look again when it is due.
        waiting = true;
        const int64_t ms = std::max<int64_t>(1, stats->wait_until_ms - clock_.NowMs());
        wake_at = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
        break;
      }
      if (stats->caught_up || stats->last_seq <= after) {
        caught_up = stats->caught_up && !had_retry;
        break;
      }
      after = stats->last_seq;
    }
    if (failed || had_retry) {
      wake_at = std::min(wake_at, std::chrono::steady_clock::now() + backoff);
      backoff = std::min(backoff * 2, options_.max_backoff);
    } else {
      backoff = kFirstBackoff;
    }
    if (caught_up && !waiting) report.caught_up_seq = target;
    if (auto n = journal_->CountEvents(EventState::kPending); n.ok()) report.pending = *n;
    if (auto n = journal_->CountEvents(EventState::kFailed); n.ok()) report.failed = *n;
    if (callbacks_.on_round) callbacks_.on_round(report);
  }
}

}  // namespace recsync
