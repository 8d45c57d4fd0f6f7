// The sweep's first phase: which roots to sweep, what each one is (its
// canonical path and spellings, its state); where rows go is folder_placer.h's.
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
  auto tables = assessor_.ReadTables();
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
  const SpellingProbe probe = assessor_.Probe(path);
  const std::string& key = probe.identity;
  for (auto& w : works_) {
    if (w->report.path != key) continue;
    if (std::find(w->prefixes.begin(), w->prefixes.end(), path) == w->prefixes.end()) {
      w->prefixes.push_back(path);
      if (configured) w->report.spellings.push_back(path);
    }
    return w.get();
  }
  auto status = RootAssessor::Judge(probe, *tables_, RecordsIn(journal_));
  if (!status.ok()) return status.status();
  auto w = std::make_unique<RootWork>();
  w->status = std::move(*status);
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

std::string SweepRun::LayoutChange(const RootWork& w) const {
  auto changed = assessor_.ChangedSince(w.status);
  if (!changed.ok()) return "cannot be re-checked: " + changed.status().message();
  return changed->empty() ? "" : "changed during the sweep: " + *changed;
}

}  // namespace recsync::sweep_internal
