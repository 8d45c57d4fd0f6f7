#include "reconcile/disk.h"

#include <algorithm>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace recsync {
namespace {

// Closes a DIR* on scope exit.
struct DirCloser {
  void operator()(DIR* d) const { ::closedir(d); }
};
using DirHandle = std::unique_ptr<DIR, DirCloser>;

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

class RealDisk final : public DiskInterface {
 public:
  explicit RealDisk(std::string fstab) : fstab_(std::move(fstab)) {}

  PathCheck Check(const std::string& path) override {
    struct stat st;
    if (::lstat(path.c_str(), &st) == 0) return {Presence::kPresent, 0};
    int err = errno;
    return {err == ENOENT ? Presence::kMissing : Presence::kUnknown, err};
  }

  DirListing ListDir(const std::string& path) override {
    DirListing listing;
    DirHandle dir(::opendir(path.c_str()));
    if (!dir) {
      listing.err = errno;
      return listing;
    }
    for (;;) {
      errno = 0;
      dirent* entry = ::readdir(dir.get());
      if (!entry) {
        listing.err = errno;  // 0 at the end; an error mid-way makes it unusable
        break;
      }
      std::string_view name = entry->d_name;
      if (name == "." || name == "..") continue;
      listing.names.emplace_back(name);
    }
    if (listing.err != 0) listing.names.clear();
    std::sort(listing.names.begin(), listing.names.end());
    return listing;
  }

  DirProbe ProbeDir(const std::string& path) override {
    DirProbe probe;
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
      probe.err = errno;
      return probe;
    }
    probe.st_dev = static_cast<uint64_t>(st.st_dev);
    probe.is_dir = S_ISDIR(st.st_mode);
    if (!probe.is_dir) {
      probe.err = ENOTDIR;
      return probe;
    }
    char resolved[PATH_MAX];
    if (::realpath(path.c_str(), resolved) == nullptr) {
      probe.err = errno;
      return probe;
    }
    probe.real_path = resolved;
    DirHandle dir(::opendir(path.c_str()));
    if (!dir) {
      probe.err = errno;
      return probe;
    }
    probe.empty = true;
    errno = 0;
    while (dirent* entry = ::readdir(dir.get())) {
      std::string_view name = entry->d_name;
      if (name == "." || name == "..") continue;
      probe.empty = false;
      break;
    }
    if (errno != 0) probe.err = errno;
    return probe;
  }

  Result<std::vector<MountEntry>> Mounts() override {
    auto text = ReadWholeFile("/proc/self/mountinfo");
    if (!text.ok()) return text.status();
    return ParseMountInfo(*text);
  }

  Result<std::vector<std::string>> DeclaredMountPoints() override {
    struct stat st;
    if (::stat(fstab_.c_str(), &st) != 0 && errno == ENOENT) return std::vector<std::string>{};
    auto text = ReadWholeFile(fstab_);
    if (!text.ok()) return text.status();
    return ParseFstab(*text);
  }

 private:
  std::string fstab_;
};

}  // namespace

std::unique_ptr<DiskInterface> MakeRealDisk(std::string fstab) {
  return std::make_unique<RealDisk>(std::move(fstab));
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
    mounts.push_back({UnescapeMountField(f[4]), f[dash + 1]});
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

std::string FormatTimeout(std::chrono::milliseconds timeout) {
  const auto ms = timeout.count();
  return ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
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
