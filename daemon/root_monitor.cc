#include "daemon/root_monitor.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/bounded_task.h"
#include "common/path.h"
#include "common/text.h"
#include "daemon/storage_probe.h"
#include "reconcile/root_assessor.h"

namespace recsync {
namespace {

constexpr uint64_t kDownCheckMs = 5000;
constexpr uint64_t kFullCheckMs = 60 * 1000;
// A storage under pressure is swept at most this often.
constexpr int64_t kPressureSweepEveryMs = 10 * 60 * 1000;
// Sweep once used% exceeds Storage.max_thresh by this much: Bluecherry's
// cleaner should have freed space by then, so it is finding nothing to delete.
constexpr double kPressureMargin = 5.0;

using SteadyClock = std::chrono::steady_clock;

template <typename Handle>
uv_handle_t* AsHandle(Handle* h) {
  return reinterpret_cast<uv_handle_t*>(h);
}

// Whether two sets of views differ in anything the daemon acts on.
bool SameViews(const std::map<std::string, RootView>& a, const std::map<std::string, RootView>& b) {
  if (a.size() != b.size()) return false;
  for (auto ia = a.begin(), ib = b.begin(); ia != a.end(); ++ia, ++ib) {
    const RootView& x = ia->second;
    const RootView& y = ib->second;
    if (ia->first != ib->first || x.status.state != y.status.state ||
        x.status.reason != y.status.reason || x.armed != y.armed || x.arming != y.arming ||
        x.spellings != y.spellings) {
      return false;
    }
  }
  return true;
}

int Rank(RootState state) {
  switch (state) {
    case RootState::kOnline: return 0;
    case RootState::kSuspect: return 1;
    case RootState::kOffline: return 2;
  }
  return 2;
}

}  // namespace

struct RootMonitor::Spelling {
  std::string path;       // normalized
  int64_t max_thresh = 0;
  int64_t min_thresh = 0;
  std::string real_path;  // the canonical path it last resolved to (sticky)
  bool in_flight = false;
  bool timed_out = false;  // the probe in flight was judged unresponsive
  uint64_t round = 0;
  SteadyClock::time_point deadline{};
  std::optional<RootStatus> status;  // the latest judgement
  SpaceUsage space;
};

struct RootMonitor::ProbeResult {
  std::string refused;  // the lane would not take the probe (stuck, no thread)
  Status tables_error;
  MountTables tables;
  SpellingProbe probe;
  SpaceUsage space;
};

RootMonitor::RootMonitor(uv_loop_t* loop, LoopMailbox::Ref mailbox,
                         std::shared_ptr<StorageLanes> lanes, std::shared_ptr<DiskInterface> disk,
                         Options options, Callbacks callbacks)
    : loop_(loop),
      mailbox_(std::move(mailbox)),
      lanes_(std::move(lanes)),
      disk_(std::move(disk)),
      options_(options),
      callbacks_(std::move(callbacks)) {
  for (uv_timer_t* t : {&deadline_timer_, &down_timer_, &full_timer_}) {
    uv_timer_init(loop_, t);
    t->data = this;
  }
  // Started now, so that the watcher can share it; listened to from the
  // first Configure().
  auto mounts = MountWatcher::Start(loop_);
  if (mounts.ok()) mounts_ = std::move(*mounts);
  else spdlog::debug("{}", mounts.status().message());
}

RootMonitor::~RootMonitor() {
  for (uv_timer_t* t : {&deadline_timer_, &down_timer_, &full_timer_}) {
    uv_close(AsHandle(t), nullptr);
  }
}

void RootMonitor::StartMountWatch() {
  // An unmount the watches cannot see (a bind mount, a lazily detached NFS
  // share) is noticed at once.
  if (mounts_) {
    mounts_changed_ = mounts_->Subscribe([this] {
      spdlog::debug("the mount table changed; checking the storage roots");
      Check(/*all=*/true);
    });
  } else {
    spdlog::warn("cannot watch /proc/self/mountinfo; unmounts are noticed by the periodic "
                 "root check instead");
  }
  uv_timer_start(
      &down_timer_, [](uv_timer_t* t) { static_cast<RootMonitor*>(t->data)->Check(false); },
      kDownCheckMs, kDownCheckMs);
  uv_timer_start(
      &full_timer_, [](uv_timer_t* t) { static_cast<RootMonitor*>(t->data)->Check(true); },
      kFullCheckMs, kFullCheckMs);
}

void RootMonitor::Configure(std::vector<ConfiguredRoot> roots,
                            std::map<std::string, RootRecord> records) {
  records_ = std::move(records);
  std::vector<std::unique_ptr<Spelling>> next;
  for (auto& r : roots) {
    const std::string path = NormalizeRoot(r.spelling);
    auto same = [&](const auto& s) { return s && s->path == path; };
    if (std::any_of(next.begin(), next.end(), same)) continue;  // listed twice, spelled alike
    auto old = std::find_if(spellings_.begin(), spellings_.end(), same);
    if (old != spellings_.end()) {
      next.push_back(std::move(*old));  // keeps its identity and a probe in flight
    } else {
      next.push_back(std::make_unique<Spelling>());
      next.back()->path = path;
    }
    next.back()->max_thresh = r.max_thresh;
    next.back()->min_thresh = r.min_thresh;
  }
  spellings_ = std::move(next);
  if (!configured_) StartMountWatch();
  configured_ = true;
  Regroup();  // releases the roots no longer configured
  Check(/*all=*/true);
}

void RootMonitor::Check(bool all) {
  for (auto& s : spellings_) {
    const std::string id = s->real_path.empty() ? s->path : s->real_path;
    auto it = roots_.find(id);
    // A spelling that is not its own canonical path (a symlink) is checked
    // every time too: its link may have been pointed elsewhere.
    if (all || it == roots_.end() || !it->second.up() || s->path != id) Probe(*s, all);
  }
  ArmDeadline();
  Regroup();
}

void RootMonitor::Probe(Spelling& s, bool measure) {
  if (s.in_flight) return;  // at most one probe per spelling: a hung one is not asked again
  s.in_flight = true;
  s.timed_out = false;
  s.round = ++next_round_;
  s.deadline = SteadyClock::now() + options_.probe_timeout;
  Status posted = lanes_->Post(
      s.path, LanePurpose::kProbe, options_.probe_timeout,
      [mailbox = mailbox_, disk = disk_, path = s.path, known = s.real_path, round = s.round,
       measure, this] {
        ProbeResult r;
        auto tables = ReadMountTables(*disk);
        if (tables.ok()) r.tables = std::move(*tables);
        else r.tables_error = tables.status();
        r.probe = RootAssessor::ProbeHere(*disk, path, known);
        if (measure && r.probe.probe->err == 0) {
          auto space = MeasureSpace(r.probe.identity);
          if (space.ok()) r.space = *space;
        }
        mailbox.Post([this, path, round, r = std::move(r)]() mutable {
          OnProbed(path, round, std::move(r));
        });
      });
  if (!posted.ok()) {
    // The lane is stuck in an earlier call, or has no thread: no new probe,
    // no new thread; the root stays (or becomes) unresponsive.
    s.in_flight = false;
    s.status = UnresponsiveRoot(s.path, posted.message());
  }
}

void RootMonitor::OnProbed(const std::string& path, uint64_t round, ProbeResult r) {
  auto it = std::find_if(spellings_.begin(), spellings_.end(),
                         [&](const auto& s) { return s->path == path; });
  if (it == spellings_.end() || (*it)->round != round) return;  // no longer configured
  Spelling& s = **it;
  s.in_flight = false;
  s.timed_out = false;
  if (!r.tables_error.ok()) {
    RootStatus unknown;  // offline: without the mount tables it cannot be judged
    unknown.path = path;
    unknown.reason = r.tables_error.message();
    s.status = unknown;
  } else {
    // A probe that fails (a link whose target is not mounted, EIO, EACCES)
    // keeps the identity last resolved: the same root, offline.
    s.real_path = r.probe.identity;
    auto judged = RootAssessor::Judge(r.probe, r.tables, RecordsIn(records_));
    if (judged.ok()) s.status = std::move(*judged);  // records in memory: always
  }
  if (r.space.used_percent >= 0) s.space = r.space;
  Regroup();
  if (r.space.used_percent >= 0) {
    auto view = roots_.find(s.real_path.empty() ? path : s.real_path);
    if (view != roots_.end()) CheckPressure(view->second);
  }
}

void RootMonitor::ArmDeadline() {
  auto earliest = SteadyClock::time_point::max();
  for (const auto& s : spellings_) {
    if (s->in_flight && !s->timed_out) earliest = std::min(earliest, s->deadline);
  }
  if (earliest == SteadyClock::time_point::max()) return;
  const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
      earliest - SteadyClock::now());
  uv_timer_start(
      &deadline_timer_, [](uv_timer_t* t) { static_cast<RootMonitor*>(t->data)->OnDeadline(); },
      static_cast<uint64_t>(std::max<int64_t>(0, wait.count()) + 1), 0);
}

void RootMonitor::OnDeadline() {
  const auto now = SteadyClock::now();
  bool changed = false;
  for (auto& s : spellings_) {
    if (!s->in_flight || s->timed_out || now < s->deadline) continue;
    s->timed_out = true;
    s->status = UnresponsiveRoot(s->path, "no answer within " +
                                              FormatTimeout(options_.probe_timeout) +
                                              " (hung network storage?)");
    changed = true;
  }
  ArmDeadline();
  if (changed) Regroup();
}

void RootMonitor::Regroup() {
  std::map<std::string, RootView> next;
  for (const auto& s : spellings_) {
    const std::string id = s->real_path.empty() ? s->path : s->real_path;
    RootView& v = next[id];
    RootStatus status = s->status.value_or(RootStatus{});
    if (!s->status) status.reason = "being probed";
    if (v.id.empty() || Rank(status.state) > Rank(v.status.state)) {
      const bool first = v.id.empty();
      v.status = std::move(status);
      if (first) v.max_thresh = s->max_thresh, v.min_thresh = s->min_thresh;
    }
    v.id = id;
    v.status.path = id;
    v.spellings.push_back(s->path);
    if (s->space.used_percent >= 0) v.space = s->space, v.used_percent = s->space.used_percent;
  }
  for (auto& [id, old] : roots_) {
    if (next.count(id)) continue;
    if (old.armed || old.arming) Release(id);
  }
  for (auto& [id, v] : next) {
    auto old = roots_.find(id);
    if (old != roots_.end()) {
      v.armed = old->second.armed;
      v.arming = old->second.arming;
      v.arm_error = old->second.arm_error;
      v.last_pressure_sweep_ms = old->second.last_pressure_sweep_ms;
      if (v.used_percent < 0) v.space = old->second.space, v.used_percent = old->second.used_percent;
      if (old->second.online() && !v.online()) {
        spdlog::warn("storage {} went offline: {}; its events are held until it is back",
                     PrintableText(id), v.status.reason);
      }
    }
    if (!v.online()) {
      v.armed = false;  // re-armed when back: its directories may be new inodes then
    } else if (!v.armed && !v.arming) {
      Arm(v);
    }
  }
  const bool changed = !SameViews(roots_, next);
  roots_ = std::move(next);
  if (changed && callbacks_.on_change) callbacks_.on_change();
  MaybeSettled();
}

void RootMonitor::Arm(RootView& view) {
  if (watcher_ == nullptr) return;
  view.arming = true;
  ++arms_in_flight_;
  Status posted = lanes_->Post(view.id, LanePurpose::kArm, options_.arm_timeout,
                               [mailbox = mailbox_, watcher = watcher_, id = view.id, this] {
                                 Status armed = watcher->AddRoot(id);
                                 mailbox.Post([this, id, armed] { OnArmed(id, armed); });
                               });
  if (!posted.ok()) {
    --arms_in_flight_;
    view.arming = false;
    view.arm_error = posted.message();
    spdlog::error("{}", posted.message());
  }
}

void RootMonitor::OnArmed(const std::string& id, Status armed) {
  --arms_in_flight_;
  auto it = roots_.find(id);
  if (it == roots_.end()) {
    Release(id);  // released while it was being armed
    return;
  }
  RootView& v = it->second;
  const bool fresh = !v.armed;  // not a re-arm after an overflow
  v.arming = false;
  v.armed = (armed.ok() || watcher_->degraded()) && v.online();
  v.arm_error = armed.ok() ? "" : armed.message();
  if (!armed.ok()) spdlog::error("{}", armed.message());
  if (rearms_left_ > 0 && --rearms_left_ == 0) {
    for (auto& done : std::exchange(rearm_waiters_, {})) done();
  }
  if (fresh && v.armed && settled_ && callbacks_.on_online) {
    spdlog::info("storage {} is online and watched; sweeping it", PrintableText(id));
    callbacks_.on_online(id);
  }
  // Its fullness was measured before it was armed: a root already too full
  // is swept now, not at the next full check a minute later.
  if (fresh && v.armed) CheckPressure(v);
  if (callbacks_.on_change) callbacks_.on_change();
  MaybeSettled();
}

void RootMonitor::Release(const std::string& id) {
  spdlog::info("storage {} is no longer a root (not configured, or resolves elsewhere now); "
               "releasing its watches",
               PrintableText(id));
  if (watcher_ == nullptr) return;
  (void)lanes_->Post(id, LanePurpose::kArm, options_.arm_timeout,
                     [watcher = watcher_, id] { (void)watcher->RemoveRoot(id); });
}

void RootMonitor::MarkGone(const std::string& id, const std::string& reason) {
  for (auto& s : spellings_) {
    if ((s->real_path.empty() ? s->path : s->real_path) != id) continue;
    RootStatus gone;
    gone.path = s->path;
    gone.reason = reason;
    s->status = gone;
  }
  auto it = roots_.find(id);
  if (it != roots_.end()) it->second.armed = false;
  Regroup();
  Check(/*all=*/false);  // is it back already (a directory made again)?
}

void RootMonitor::RearmAll(std::function<void()> done) {
  rearm_waiters_.push_back(std::move(done));
  if (rearms_left_ > 0) return;  // the round under way answers for this one too
  for (auto& [id, v] : roots_) {
    if (!v.up() || v.arming) continue;
    v.arming = true;
    ++arms_in_flight_;
    ++rearms_left_;
    Status posted = lanes_->Post(id, LanePurpose::kArm, options_.arm_timeout,
                                 [mailbox = mailbox_, watcher = watcher_, id, this] {
                                   Status armed = watcher->AddRoot(id);
                                   mailbox.Post([this, id, armed] { OnArmed(id, armed); });
                                 });
    if (!posted.ok()) {
      --arms_in_flight_;
      --rearms_left_;
      v.arming = false;
      v.arm_error = posted.message();
    }
  }
  if (rearms_left_ == 0) {
    for (auto& waiter : std::exchange(rearm_waiters_, {})) waiter();
  }
}

void RootMonitor::CheckPressure(RootView& v) {
  const int64_t now = options_.clock->NowMs();
  if (!v.up() || v.max_thresh <= 0 || v.used_percent <= v.max_thresh + kPressureMargin ||
      now - v.last_pressure_sweep_ms < kPressureSweepEveryMs) {
    return;
  }
  spdlog::warn("storage {} is {:.1f}% full, above its max_thresh {} + {}: sweeping it",
               PrintableText(v.id), v.used_percent, v.max_thresh, kPressureMargin);
  v.last_pressure_sweep_ms = now;
  if (callbacks_.on_pressure) callbacks_.on_pressure(v.id, v.used_percent);
}

void RootMonitor::MaybeSettled() {
  if (settled_ || !configured_) return;
  for (const auto& s : spellings_) {
    if (!s->status) return;  // neither answered nor timed out yet
  }
  for (const auto& [id, v] : roots_) {
    if (v.arming) return;
  }
  settled_ = true;
  if (callbacks_.on_settled) callbacks_.on_settled();
}

}  // namespace recsync
