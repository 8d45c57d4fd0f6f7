#include "fs/mount_table.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/path.h"

namespace recsync {
namespace {

Result<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return ErrnoStatus(errno, "cannot read " + path);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::vector<std::string> SplitFields(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream ss(line);
  std::string field;
  while (ss >> field) out.push_back(field);
  return out;
}

}  // namespace

Result<std::vector<MountEntry>> ReadMountTable(const std::string& file) {
  auto text = ReadWholeFile(file);
  if (!text.ok()) return text.status();
  return ParseMountInfo(*text);
}

Result<std::vector<std::string>> ReadDeclaredMountPoints(const std::string& fstab) {
  struct stat st;
  if (::stat(fstab.c_str(), &st) != 0 && errno == ENOENT) return std::vector<std::string>{};
  auto text = ReadWholeFile(fstab);
  if (!text.ok()) return text.status();
  return ParseFstab(*text);
}

std::string UnescapeMountField(const std::string& field) {
  std::string out;
  out.reserve(field.size());
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      const char a = field[i + 1], b = field[i + 2], c = field[i + 3];
      if (a >= '0' && a <= '3' && b >= '0' && b <= '7' && c >= '0' && c <= '7') {
        out.push_back(static_cast<char>((a - '0') * 64 + (b - '0') * 8 + (c - '0')));
        i += 3;
        continue;
      }
    }
    out.push_back(field[i]);
  }
  return out;
}

std::vector<MountEntry> ParseMountInfo(const std::string& text) {
  // Fields: id parent major:minor root mount-point options [optional...] - fstype source super-options
  std::vector<MountEntry> mounts;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    auto f = SplitFields(line);
    if (f.size() < 7) continue;
    size_t dash = 6;
    while (dash < f.size() && f[dash] != "-") ++dash;
    if (dash + 1 >= f.size()) continue;
    MountEntry& m = mounts.emplace_back();
    m.mount_point = UnescapeMountField(f[4]);
    m.fs_type = f[dash + 1];
    m.mount_id = std::atoi(f[0].c_str());
  }
  return mounts;
}

std::vector<std::string> ParseFstab(const std::string& text) {
  std::vector<std::string> points;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    auto f = SplitFields(line);
    if (f.size() < 2 || f[0][0] == '#') continue;
    // "/mnt//nas/" and "/mnt/nas" are the same mount point.
    std::string point;
    for (char c : UnescapeMountField(f[1])) {
      if (c == '/' && !point.empty() && point.back() == '/') continue;
      point.push_back(c);
    }
    while (point.size() > 1 && point.back() == '/') point.pop_back();
    if (point.empty() || point[0] != '/') continue;  // "none", "swap"
    if (f.size() >= 3 && f[2] == "swap") continue;
    points.push_back(point);
  }
  return points;
}

std::optional<MountEntry> MountContaining(const std::vector<MountEntry>& mounts,
                                          const std::string& path) {
  std::optional<MountEntry> best;
  // Later entries shadow earlier ones at the same mount point, so ties go to
  // the last one.
  for (const auto& m : mounts) {
    if (!IsUnder(path, m.mount_point)) continue;
    if (!best || m.mount_point.size() >= best->mount_point.size()) best = m;
  }
  return best;
}

}  // namespace recsync
