// RootMonitor: what the daemon knows of its storage roots, and how it finds
// out, kept on the loop thread.
//
// Identity. Each configured root (a `storage` setting or a Storage.path row)
// is a *spelling*. Spellings that realpath() resolves to the same directory
// are one root, named by that canonical path: it is how bc-server spells
// Media.filepath, what the watcher is armed on (so event paths are canonical)
// and what the journal remembers the root by. A symlinked root, a mount point
// and a symlink to it, "//", "/./" and trailing slashes all name one root; the
// status lists the other spellings. A spelling keeps the canonical path it
// last resolved to while it cannot be resolved (hung, unreadable, a link
// whose target is not mounted), so the root keeps its identity, offline, and
// its events stay held. When a link is pointed elsewhere, the old target is
// released and the new one armed and swept.
//
// Probes. Every spelling is probed on its own storage lane (StorageLanes), at
// most one probe in flight per spelling: checking again while a probe is out
// costs nothing, and a hung root never costs a thread per attempt. A probe
// not back within probe_timeout makes its root offline ("unresponsive"); when
// it finally answers, the root is judged again. Offline and unarmed roots,
// and spellings that are symlinks (whose target may change), are checked
// every 5 s, all roots every minute and whenever the mount table
// changes (its MountWatcher, which the watcher shares), which also measures
// how full each root is. A root's state is the worst of its spellings'.
//
// Arming. An online root is armed (Watcher::AddRoot) on its arming lane, so
// a large tree or a hung root holds up nothing else; a root that comes online
// or back is reported (on_online) once armed, for the daemon to sweep it.
//
// Threads: loop thread only. Probes and arms run on lanes and report through
// the mailbox; a lane stuck in a hung mount may report after the monitor is
// gone (the mailbox drops it).
#pragma once

#include <uv.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "daemon/loop_mailbox.h"
#include "daemon/storage_probe.h"
#include "fs/disk.h"
#include "reconcile/storage_lanes.h"
#include "reconcile/storage_root.h"
#include "watcher/mount_watcher.h"
#include "watcher/watcher.h"

namespace recsync {

// One configured spelling of a root and its Storage thresholds (0: unknown).
struct ConfiguredRoot {
  std::string spelling;
  int64_t max_thresh = 0;
  int64_t min_thresh = 0;
};

// What the daemon knows of one root.
struct RootView {
  std::string id;                      // canonical path (or the spelling, never resolved)
  std::vector<std::string> spellings;  // as configured, in configuration order
  RootStatus status;                   // the worst of its spellings' judgements
  bool armed = false;                  // watched by the watcher
  bool arming = false;                 // Watcher::AddRoot under way
  std::string arm_error;               // why arming failed, if it did
  int64_t max_thresh = 0;
  int64_t min_thresh = 0;
  double used_percent = -1;            // the last statvfs, -1 when not measured
  SpaceUsage space;                    // the same statvfs, in bytes
  int64_t last_pressure_sweep_ms = 0;

  bool online() const { return status.state != RootState::kOffline; }
  bool up() const { return online() && armed; }
};

class RootMonitor {
 public:
  struct Options {
    std::chrono::milliseconds probe_timeout{10000};
    // How long arming one root (a walk of its tree) may take before the root
    // counts as unresponsive.
    std::chrono::milliseconds arm_timeout{300000};
    const Clock* clock = nullptr;  // required
  };
  struct Callbacks {
    // A root came online (not at the first check) or back, and is armed.
    std::function<void(const std::string& id)> on_online;
    // A root is fuller than its max_thresh + 5 % (at most every 10 min each).
    std::function<void(const std::string& id, double used_percent)> on_pressure;
    // Root states, identities or armed flags changed.
    std::function<void()> on_change;
    // The first check after Configure() is complete: every probe answered or
    // timed out, and every online root is armed or failed to be.
    std::function<void()> on_settled;
  };

  RootMonitor(uv_loop_t* loop, LoopMailbox::Ref mailbox, std::shared_ptr<StorageLanes> lanes,
              std::shared_ptr<DiskInterface> disk, Options options, Callbacks callbacks);
  ~RootMonitor();  // closes its handles (the loop must run once more)
  RootMonitor(const RootMonitor&) = delete;
  RootMonitor& operator=(const RootMonitor&) = delete;

  // The watcher roots are armed on; set once, before Configure().
  void SetWatcher(Watcher* watcher) { watcher_ = watcher; }
  // The mount table's changes, for the watcher to share (CreateWatcher);
  // nullptr when /proc/self/mountinfo cannot be polled. Owned by the monitor.
  MountWatcher* mount_watcher() const { return mounts_.get(); }
  // The configured spellings (at start and on reload) and the journal's
  // records of the roots (by canonical path); checks every spelling. Roots no
  // longer configured are released.
  void Configure(std::vector<ConfiguredRoot> roots, std::map<std::string, RootRecord> records);
  // The journal's records, after a sweep wrote new ones.
  void SetRecords(std::map<std::string, RootRecord> records) { records_ = std::move(records); }
  // Probes every spelling (`all`, measuring fullness too) or only those of
  // roots that are offline or not armed.
  void Check(bool all);
  // The watcher says root `id` was deleted, moved or unmounted.
  void MarkGone(const std::string& id, const std::string& reason);
  // Arms every armed root again (after a kernel queue overflow: directories
  // made meanwhile may be unwatched); `done` runs once all have answered.
  void RearmAll(std::function<void()> done);

  const std::map<std::string, RootView>& roots() const { return roots_; }
  // Canonical ids, and those that are offline.
  std::vector<std::string> Ids() const;
  std::set<std::string> OfflineIds() const;
  // Every configured spelling of each root that differs from its id.
  std::map<std::string, std::vector<std::string>> Aliases() const;
  // The root a configured spelling (or a canonical path) names, if any.
  std::optional<std::string> IdOf(const std::string& spelling) const;
  bool configured() const { return configured_; }
  // Arming calls still out: a stuck one may still use the watcher.
  size_t arms_in_flight() const { return arms_in_flight_; }

  // Every root as it stands, for DaemonStatus.
  std::vector<RootView> Views() const;

 private:
  struct Spelling;
  struct ProbeResult;

  void Probe(Spelling& s, bool measure);
  void OnProbed(const std::string& spelling, uint64_t round, ProbeResult result);
  void OnDeadline();
  void ArmDeadline();
  // Rebuilds roots_ from the spellings' latest judgements and acts on what
  // changed: arming, releasing, reporting.
  void Regroup();
  void Arm(RootView& view);
  void OnArmed(const std::string& id, Status armed);
  void Release(const std::string& id);
  void CheckPressure(RootView& view);
  void MaybeSettled();
  void StartMountWatch();

  uv_loop_t* loop_;
  LoopMailbox::Ref mailbox_;
  std::shared_ptr<StorageLanes> lanes_;
  std::shared_ptr<DiskInterface> disk_;
  Options options_;
  Callbacks callbacks_;
  Watcher* watcher_ = nullptr;

  std::vector<std::unique_ptr<Spelling>> spellings_;
  std::map<std::string, RootRecord> records_;
  std::map<std::string, RootView> roots_;
  bool configured_ = false;
  bool settled_ = false;
  uint64_t next_round_ = 0;
  size_t arms_in_flight_ = 0;
  std::vector<std::function<void()>> rearm_waiters_;
  size_t rearms_left_ = 0;

  uv_timer_t deadline_timer_{}, down_timer_{}, full_timer_{};
  std::unique_ptr<MountWatcher> mounts_;
  MountWatcher::Subscription mounts_changed_;
};

}  // namespace recsync
