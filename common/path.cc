#include "common/path.h"

#include <string_view>

namespace recsync {

bool IsUnder(const std::string& path, const std::string& dir) {
  if (dir == "/") return !path.empty() && path[0] == '/';
  if (path.size() < dir.size() || path.compare(0, dir.size(), dir) != 0) return false;
  return path.size() == dir.size() || path[dir.size()] == '/';
}

bool RootHoldsPath(const std::string& root, const std::string& path, RootHolds holds) {
  return IsUnder(path, root) && (holds == RootHolds::kItselfAndBelow || path != root);
}

std::string NormalizeRoot(std::string root) {
  std::string out;
  out.reserve(root.size());
  const bool absolute = !root.empty() && root[0] == '/';
  for (size_t start = 0; start <= root.size();) {
    size_t end = root.find('/', start);
    if (end == std::string::npos) end = root.size();
    std::string_view part(root.data() + start, end - start);
    if (!part.empty() && part != ".") {
      if (!out.empty() || absolute) out += '/';
      out.append(part);
    }
    start = end + 1;
  }
  if (out.empty()) return absolute ? "/" : (root.empty() ? "" : ".");
  return out;
}

std::string JoinPath(const std::string& dir, const std::string& name) {
  std::string out = dir;
  if (out.empty() || out.back() != '/') out += '/';
  out += name;
  return out;
}

bool HasPlainComponents(const std::string& path) {
  if (path.empty() || path[0] != '/') return false;
  if (path == "/") return true;
  for (size_t start = 1; start <= path.size();) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string_view part(path.data() + start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

}  // namespace recsync
