// RootMonitor's answers about the roots: their ids, spellings and views.
// Loop thread only, like the rest of the monitor.
#include <algorithm>

#include "common/path.h"
#include "common/text.h"
#include "daemon/root_monitor.h"

namespace recsync {

std::vector<std::string> RootMonitor::Ids() const {
  std::vector<std::string> out;
  for (const auto& [id, v] : roots_) out.push_back(id);
  return out;
}

std::set<std::string> RootMonitor::OfflineIds() const {
  std::set<std::string> out;
  for (const auto& [id, v] : roots_) {
    if (!v.online()) out.insert(id);
  }
  return out;
}

std::map<std::string, std::vector<std::string>> RootMonitor::Aliases() const {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& [id, v] : roots_) {
    for (const auto& s : v.spellings) {
      if (s != id) out[id].push_back(s);
    }
  }
  return out;
}

std::optional<std::string> RootMonitor::IdOf(const std::string& spelling) const {
  const std::string path = NormalizeRoot(spelling);
  for (const auto& [id, v] : roots_) {
    if (id == path || std::find(v.spellings.begin(), v.spellings.end(), path) != v.spellings.end()) {
      return id;
    }
  }
  return std::nullopt;
}

std::vector<RootView> RootMonitor::Views() const {
  std::vector<RootView> out;
  out.reserve(roots_.size());
  for (const auto& [id, v] : roots_) out.push_back(v);
  return out;
}

}  // namespace recsync
