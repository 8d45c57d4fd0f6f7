#include "watcher/watch_table.h"

#include <fmt/format.h>

namespace recsync {

void WatchTable::AddRoot(const std::string& root, dev_t dev) { roots_[root] = dev; }

void WatchTable::RemoveRoot(const std::string& root) { roots_.erase(root); }

bool WatchTable::IsRoot(const std::string& path) const { return roots_.count(path) > 0; }

std::string WatchTable::RootOf(const std::string& path) const {
  auto* root = InnermostRoot(path, roots_, RootHolds::kItselfAndBelow,
                             [](const auto& entry) -> const std::string& { return entry.first; });
  return root ? root->first : std::string();
}

bool WatchTable::RootDevice(const std::string& root, dev_t* dev) const {
  auto it = roots_.find(root);
  if (it == roots_.end()) return false;
  *dev = it->second;
  return true;
}

bool WatchTable::Put(int wd, const std::string& path) {
  auto [it, inserted] = wds_.try_emplace(wd);
  bool was_live = !inserted && !it->second.removing;
  it->second.path = path;
  it->second.removing = false;
  if (!was_live) ++live_;
  return !was_live;
}

const WatchTable::Entry* WatchTable::Find(int wd) const {
  auto it = wds_.find(wd);
  return it == wds_.end() ? nullptr : &it->second;
}

void WatchTable::MarkRemoving(int wd) {
  auto it = wds_.find(wd);
  if (it == wds_.end() || it->second.removing) return;
  it->second.removing = true;
  --live_;
}

void WatchTable::Erase(int wd) {
  auto it = wds_.find(wd);
  if (it == wds_.end()) return;
  if (!it->second.removing) --live_;
  wds_.erase(it);
}

size_t WatchTable::Retain(const std::set<int>& live) {
  size_t erased = 0;
  for (auto it = wds_.begin(); it != wds_.end();) {
    if (live.count(it->first)) {
      ++it;
      continue;
    }
    if (!it->second.removing) --live_;
    it = wds_.erase(it);
    ++erased;
  }
  return erased;
}

void WatchTable::Rename(const std::string& from, const std::string& to) {
  for (auto& [wd, e] : wds_) {
    if (!e.removing && IsUnder(e.path, from)) e.path = to + e.path.substr(from.size());
  }
}

std::vector<int> WatchTable::WdsUnder(const std::string& dir) const {
  std::vector<int> out;
  for (const auto& [wd, e] : wds_) {
    if (!e.removing && IsUnder(e.path, dir)) out.push_back(wd);
  }
  return out;
}

std::vector<int> WatchTable::WdsOwnedBy(const std::string& root) const {
  std::vector<int> out;
  for (const auto& [other, dev] : roots_) {
    if (other != root && IsUnder(root, other)) return out;  // an outer root still covers it
  }
  for (const auto& [wd, e] : wds_) {
    if (e.removing || !IsUnder(e.path, root)) continue;
    std::string owner = RootOf(e.path);
    if (owner.empty() || owner == root) out.push_back(wd);
  }
  return out;
}

}  // namespace recsync
