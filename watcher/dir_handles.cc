#include "watcher/dir_handles.h"

#include <utility>
#include <vector>

#include "common/path.h"

namespace recsync {
namespace {

// The entries of `by_path` at or below `dir`: `dir` itself, then the range
// of keys starting with `dir/` (contiguous in byte order).
std::vector<std::string> PathsUnder(const std::map<std::string, std::string>& by_path,
                                    const std::string& dir) {
  std::vector<std::string> out;
  if (by_path.count(dir) != 0) out.push_back(dir);
  const std::string prefix = dir == "/" ? dir : dir + "/";
  for (auto it = by_path.lower_bound(prefix);
       it != by_path.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    out.push_back(it->first);
  }
  return out;
}

}  // namespace

bool DirHandles::Put(const std::string& key, const std::string& path) {
  auto by_path = by_path_.find(path);
  if (by_path != by_path_.end() && by_path->second != key) {
    by_key_.erase(by_path->second);
    by_path_.erase(by_path);
  }
  auto it = by_key_.find(key);
  if (it != by_key_.end()) {
    if (it->second == path) return false;
    by_path_.erase(it->second);
    it->second = path;
    by_path_[path] = key;
    return false;
  }
  by_key_.emplace(key, path);
  by_path_[path] = key;
  return true;
}

const std::string* DirHandles::Find(const std::string& key) const {
  auto it = by_key_.find(key);
  return it == by_key_.end() ? nullptr : &it->second;
}

void DirHandles::EraseUnder(const std::string& path,
                            const std::function<bool(const std::string&)>& keep) {
  for (const std::string& p : PathsUnder(by_path_, path)) {
    if (keep && keep(p)) continue;
    auto it = by_path_.find(p);
    by_key_.erase(it->second);
    by_path_.erase(it);
  }
}

void DirHandles::Rename(const std::string& from, const std::string& to) {
  if (from == to) return;
  std::vector<std::pair<std::string, std::string>> moved;  // new path, key
  for (const std::string& p : PathsUnder(by_path_, from)) {
    auto it = by_path_.find(p);
    moved.emplace_back(to + p.substr(from.size()), it->second);
    by_path_.erase(it);
  }
  EraseUnder(to);  // what the rename replaced (an empty directory) is gone
  for (auto& [path, key] : moved) {
    by_key_[key] = path;
    by_path_[path] = key;
  }
}

}  // namespace recsync
