#include "fs/disk.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <string_view>

#include "common/access.h"
#include "common/unique_fd.h"

namespace recsync {
namespace {

FolderStamp StampOf(const struct stat& st) {
  auto ns = [](const struct timespec& t) {
    return static_cast<int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
  };
  return {static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino), ns(st.st_mtim),
          ns(st.st_ctim)};
}

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
    UniqueDir dir(::opendir(path.c_str()));
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

  Result<std::vector<MountEntry>> Mounts() override { return ReadMountTable(); }

  Result<std::vector<std::string>> DeclaredMountPoints() override {
    return ReadDeclaredMountPoints(fstab_);
  }

 private:
  std::string fstab_;
};

}  // namespace

std::unique_ptr<DiskInterface> MakeRealDisk(std::string fstab) {
  return std::make_unique<RealDisk>(std::move(fstab));
}

std::vector<PathCheck> CheckEach(DiskInterface& disk, const std::vector<std::string>& paths) {
  std::vector<PathCheck> out;
  out.reserve(paths.size());
  for (const auto& p : paths) out.push_back(disk.Check(p));
  return out;
}

}  // namespace recsync
