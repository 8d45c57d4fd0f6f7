// The sweep's first phase: which roots to sweep, what each one is (its
// canonical path and spellings, its state), and which root a row belongs to.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/path.h"
#include "reconcile/sweep_run.h"

namespace recsync::sweep_internal {

Status SweepRun::AddConfiguredRoots() {
  std::vector<std::string> roots = opt_.roots;
  if (roots.empty()) {
    auto from_catalog = catalog_.StorageRoots();
    if (!from_catalog.ok()) return from_catalog.status();
    roots = std::move(*from_catalog);
  }
  auto tables = ReadMountTables(*disk_);
  if (!tables.ok()) return tables.status();
  tables_ = std::move(*tables);
  for (auto& root : roots) {
    root = NormalizeRoot(root);
    if (auto bad = CheckRootPath(root); !bad.empty()) {
      auto w = std::make_unique<RootWork>();
      w->report.path = root;
      w->report.reason = bad;
      w->prefixes = {root};
      spdlog::warn("storage {} is not swept: {}", root, bad);
      works_.push_back(std::move(w));
      continue;
    }
    auto added = AddRoot(root, true);
    if (!added.ok()) return added.status();
  }
  configured_count_ = works_.size();
  return Status::Ok();
}

// A root is known by its canonical path: spellings that resolve to one
// directory (a symlink and its target, "//", a trailing slash) are one root,
// whose rows are placed under any of them.
Result<RootWork*> SweepRun::AddRoot(const std::string& path, bool configured) {
  auto probe = storage_lanes_->Call<DirProbe>(path, LanePurpose::kProbe, opt_.probe_timeout,
                                      [disk = disk_, path] { return disk->ProbeDir(path); });
  const std::string key = probe.ok() && probe->err == 0 ? probe->real_path : path;
  for (auto& w : works_) {
    if (w->report.path != key) continue;
    if (std::find(w->prefixes.begin(), w->prefixes.end(), path) == w->prefixes.end()) {
      w->prefixes.push_back(path);
      if (configured) w->report.spellings.push_back(path);
    }
    return w.get();
  }
  auto last = journal_.GetRoot(key);
  if (!last.ok()) return last.status();
  if (!*last && key != path) {
    last = journal_.GetRoot(path);  // recorded by a version that kept the spelling
    if (!last.ok()) return last.status();
  }
  auto w = std::make_unique<RootWork>();
  w->status = probe.ok() ? JudgeRoot(path, *probe, *tables_, *last)
                         : UnresponsiveRoot(path, probe.status().message());
  w->status.path = key;
  w->prefixes = {key};
  if (path != key) w->prefixes.push_back(path);
  w->deletions = &deletions_;
  w->report.path = key;
  if (configured && path != key) w->report.spellings.push_back(path);
  w->report.configured = configured;
  w->report.state = w->status.state;
  w->report.reason = w->status.reason;
  w->report.fs_type = w->status.fs_type;
  w->report.mount_point = w->status.mount_point;
  if (w->report.state == RootState::kOffline) {
    spdlog::warn("storage {} is offline: {}; it is not swept", key, w->report.reason);
  }
  if (RemembersListings(w->status.fs_type)) {
    w->memory = ListingMemory{opt_.reuse_listings ? listings_ : nullptr, kSettleMargin,
                              w->status.st_dev, clock_.NowMs()};
  }
  works_.push_back(std::move(w));
  return works_.back().get();
}

Result<RootWork*> SweepRun::Place(const std::string& path) {
  RootWork* best = nullptr;
  const std::string* best_prefix = nullptr;
  for (size_t i = 0; i < configured_count_; ++i) {
    RootWork* w = works_[i].get();
    const std::string* prefix = w->Holds(path);
    if (prefix && (!best_prefix || prefix->size() > best_prefix->size())) {
      best = w;
      best_prefix = prefix;
    }
  }
  // A storage nested below a configured root (an old root, a mount of its
  // own) is assessed as a root in its own right, so that it being
  // unmounted is noticed instead of its rows looking missing.
  auto root = InferRootView(path);
  if (best && (!root || *root == *best_prefix || !IsUnder(std::string(*root), *best_prefix))) {
    return best;
  }
  // Under a root this sweep was not asked to check: its own sweeps do.
  for (const auto& other : opt_.other_roots) {
    if (path != other && IsUnder(path, other) && (!best_prefix || other.size() > best_prefix->size())) {
      return &other_roots_;
    }
  }
  if (!root) return static_cast<RootWork*>(nullptr);
  if (auto it = inferred_.find(*root); it != inferred_.end()) return it->second;
  const std::string root_path(*root);
  auto added = AddRoot(root_path, false);
  if (!added.ok()) return added.status();
  inferred_[root_path] = *added;
  return *added;
}

std::string SweepRun::LayoutChange(const RootWork& w) const {
  auto now_tables = ReadMountTables(*disk_);
  if (!now_tables.ok()) return "cannot be re-checked: " + now_tables.status().message();
  RootRecord then = w.status.ToRecord(0);
  RootStatus now =
      AssessRoot(*storage_lanes_, disk_, w.report.path, *now_tables, then, opt_.probe_timeout);
  if (now.state == RootState::kOffline) return "changed during the sweep: " + now.reason;
  if (now.st_dev != then.st_dev || now.mount_point != then.mount_point ||
      now.fs_type != then.fs_type) {
    return "changed during the sweep: its device or mount is not the one it was on";
  }
  return "";
}

}  // namespace recsync::sweep_internal
