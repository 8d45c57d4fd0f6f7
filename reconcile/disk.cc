#include "reconcile/disk.h"

#include <spdlog/spdlog.h>

#include "common/access.h"
#include "common/hash.h"
#include "common/unique_fd.h"

#include <algorithm>

#include <dirent.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <system_error>
#include <thread>
#include <cstdlib>
#include <fstream>
#include <functional>
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

FolderStamp StampOf(const struct stat& st) {
  auto ns = [](const struct timespec& t) {
    return static_cast<int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
  };
  return {static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino), ns(st.st_mtim),
          ns(st.st_ctim)};
}

std::vector<std::string> SplitFields(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream ss(line);
  std::string field;
  while (ss >> field) out.push_back(field);
  return out;
}

}  // namespace

uint32_t NameDigest(std::string_view name) { return static_cast<uint32_t>(ShortHash(name) >> 32); }

std::vector<uint32_t> DirListing::Digests() const {
  std::vector<uint32_t> out;
  if (from_digests_) {
    if (has_zero_) out.push_back(0);
    for (uint32_t d : digest_slots_) {
      if (d != 0) out.push_back(d);
    }
  } else {
    out.reserve(starts_.size());
    for (uint32_t i = 0; i < starts_.size(); ++i) out.push_back(NameDigest(At(i)));
  }
  std::sort(out.begin(), out.end());
  return out;
}

DirListing DirListing::FromDigests(const std::vector<uint32_t>& digests) {
  DirListing listing;
  listing.from_digests_ = true;
  listing.digest_count_ = digests.size();
  size_t slots = 16;
  while (slots < digests.size() * 2) slots *= 2;
  listing.digest_slots_.assign(slots, 0);
  const size_t mask = slots - 1;
  for (uint32_t d : digests) {
    if (d == 0) {
      listing.has_zero_ = true;
      continue;
    }
    size_t slot = d & mask;
    while (listing.digest_slots_[slot] != 0 && listing.digest_slots_[slot] != d) {
      slot = (slot + 1) & mask;
    }
    listing.digest_slots_[slot] = d;
  }
  return listing;
}

void DirListing::Add(std::string_view name) {
  // 256 slots hold a day of one camera's recordings without a rehash.
  if ((starts_.size() + 1) * 2 > slots_.size()) Rehash(std::max<size_t>(256, slots_.size() * 2));
  starts_.push_back(static_cast<uint32_t>(bytes_.size()));
  bytes_.append(name);
  bytes_.push_back('\0');
  const size_t mask = slots_.size() - 1;
  size_t slot = ShortHash(name) & mask;
  while (slots_[slot] != 0) slot = (slot + 1) & mask;
  slots_[slot] = static_cast<uint32_t>(starts_.size());
}

bool DirListing::Contains(std::string_view name) const {
  if (from_digests_) {
    const uint32_t d = NameDigest(name);
    if (d == 0) return has_zero_;
    const size_t mask = digest_slots_.size() - 1;
    for (size_t slot = d & mask; digest_slots_[slot] != 0; slot = (slot + 1) & mask) {
      if (digest_slots_[slot] == d) return true;
    }
    return false;
  }
  if (slots_.empty()) return false;
  const size_t mask = slots_.size() - 1;
  for (size_t slot = ShortHash(name) & mask; slots_[slot] != 0;
       slot = (slot + 1) & mask) {
    if (At(slots_[slot] - 1) == name) return true;
  }
  return false;
}

void DirListing::Clear() {
  bytes_.clear();
  starts_.clear();
  slots_.clear();
  from_digests_ = false;
  has_zero_ = false;
  digest_count_ = 0;
  digest_slots_.clear();
}

std::string_view DirListing::At(uint32_t i) const {
  const char* begin = bytes_.data() + starts_[i];
  const size_t end = i + 1 < starts_.size() ? starts_[i + 1] : bytes_.size();
  return std::string_view(begin, end - starts_[i] - 1);  // without its NUL
}

// Slots stay at least twice the names, so probes are short; `slots` is a
// power of two so a mask picks the slot.
void DirListing::Rehash(size_t slots) {
  slots_.assign(slots, 0);
  const size_t mask = slots - 1;
  for (uint32_t i = 0; i < starts_.size(); ++i) {
    size_t slot = ShortHash(At(i)) & mask;
    while (slots_[slot] != 0) slot = (slot + 1) & mask;
    slots_[slot] = i + 1;
  }
}

namespace {

// Where the symlink at `path` points ("" when it is not one).
std::string LinkTarget(const std::string& path) {
  char target[PATH_MAX];
  const ssize_t n = ::readlink(path.c_str(), target, sizeof(target) - 1);
  return n > 0 ? std::string(target, static_cast<size_t>(n)) : std::string();
}

// For EACCES on `path`: the first directory on the way to it (or it) that we
// may not search or read, with its mode and owner; failing that (the server
// decides, not the mode bits: NFS with root_squash), the path itself.
void NoteDenied(const std::string& path, DirProbe* probe) {
  auto denial = FindAccessDenial(path, /*write=*/false);
  struct stat st;
  if (!denial && ::stat(path.c_str(), &st) == 0) {
    denial = AccessDenial{path, static_cast<uint32_t>(st.st_mode), st.st_uid, st.st_gid};
  }
  if (!denial) return;
  probe->denied_dir = denial->dir;
  probe->denied_mode = denial->mode;
  probe->denied_uid = denial->uid;
  probe->denied_gid = denial->gid;
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

  // getdents64 straight into a buffer: opendir would add an fstat per
  // folder and copy every entry once more, and a sweep lists thousands.
  DirListing ListDir(const std::string& path) override {
    DirListing listing;
    struct timespec now;
    ::clock_gettime(CLOCK_REALTIME, &now);
    const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd.valid()) {
      listing.err = errno;
      return listing;
    }
    // The stamp comes before the entries: a change made while they are read
    // gives the folder a later stamp, so this listing is not reused after it.
    struct stat st;
    if (::fstat(fd.get(), &st) == 0) {
      listing.stamp = StampOf(st);
      listing.opened_ns = static_cast<int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
    }
    alignas(8) static thread_local char buf[32768];
    for (;;) {
      const long got = ::syscall(SYS_getdents64, fd.get(), buf, sizeof buf);
      if (got < 0) {
        listing.err = errno;  // an error mid-way makes the listing unusable
        listing.Clear();
        break;
      }
      if (got == 0) break;
      for (long at = 0; at < got;) {
        // struct linux_dirent64: d_ino, d_off, d_reclen, d_type, d_name.
        const char* entry = buf + at;
        unsigned short reclen;
        std::memcpy(&reclen, entry + 16, sizeof reclen);
        const std::string_view name(entry + 19);
        if (name != "." && name != "..") listing.Add(name);
        at += reclen;
      }
    }
    return listing;
  }

  std::optional<FolderStamp> StampDir(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return std::nullopt;
    return StampOf(st);
  }

  DirProbe ProbeDir(const std::string& path) override {
    DirProbe probe;
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
      probe.err = errno;
      if (probe.err == ENOENT) probe.link_target = LinkTarget(path);
      if (probe.err == EACCES) NoteDenied(path, &probe);
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
      if (probe.err == EACCES) NoteDenied(path, &probe);
      return probe;
    }
    probe.real_path = resolved;
    DirHandle dir(::opendir(path.c_str()));
    if (!dir) {
      probe.err = errno;
      if (probe.err == EACCES) NoteDenied(path, &probe);
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

std::vector<PathCheck> CheckEach(DiskInterface& disk, const std::vector<std::string>& paths) {
  std::vector<PathCheck> out;
  out.reserve(paths.size());
  for (const auto& p : paths) out.push_back(disk.Check(p));
  return out;
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
