// RootMonitor's answers about the roots: their ids and spellings, and what
// `status` shows of them. Loop thread only, like the rest of the monitor.
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

nlohmann::json RootMonitor::StatusJson() const {
  nlohmann::json roots = nlohmann::json::array();
  for (const auto& [id, v] : roots_) {
    nlohmann::json r = {{"path", id},
                        {"state", RootStateName(v.status.state)},
                        {"reason", v.status.reason},
                        {"fs_type", v.status.fs_type},
                        {"mount_point", v.status.mount_point},
                        {"watched", v.armed},
                        {"max_thresh", v.max_thresh}};
    nlohmann::json also = nlohmann::json::array();
    for (const auto& s : v.spellings) {
      if (s != id) also.push_back(s);
    }
    if (!also.empty()) r["also_configured_as"] = std::move(also);
    if (v.used_percent >= 0) r["used_percent"] = v.used_percent;
    if (!v.arm_error.empty()) r["watch_error"] = v.arm_error;
    roots.push_back(std::move(r));
  }
  return roots;
}

std::vector<std::string> RootMonitor::Degraded() const {
  std::vector<std::string> out;
  for (const auto& [id, v] : roots_) {
    if (!v.online()) {
      out.push_back("storage " + PrintableText(id) + " is offline: " + v.status.reason);
    } else if (!v.armed && !v.arming && !v.arm_error.empty()) {
      out.push_back("storage " + PrintableText(id) + " is not watched: " + v.arm_error);
    }
  }
  return out;
}

}  // namespace recsync
