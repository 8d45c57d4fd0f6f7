// DiskInterface: the filesystem as the sweep and the daemon see it, behind a
// small interface so the safety rules can be tested with a virtual disk (hung
// mounts, EIO, unmounted roots) and proven on the real one.
//
// The one rule that matters: only ENOENT means missing. Every other failure
// (EACCES, EIO, ESTALE, ENOTCONN, ENOTDIR, a timeout) means "unknown", and an
// unknown file is never archived.
//
// Thread rules: the real disk keeps no state (besides the fstab path) and may
// be called from any thread; every call may block on a hung mount, so none
// belongs on the loop thread: callers bound them (common/bounded_task.h,
// reconcile/storage_lanes.h). Test disks say their own rules.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "fs/dir_listing.h"
#include "fs/mount_table.h"

namespace recsync {

enum class Presence { kPresent, kMissing, kUnknown };

struct PathCheck {
  Presence presence = Presence::kUnknown;
  int err = 0;  // errno for kUnknown (0 for a timeout)
};

// What a storage root directory looks like right now.
struct DirProbe {
  int err = 0;           // errno of stat/opendir; 0 when it is a readable directory
  bool is_dir = false;
  bool empty = false;    // no entries besides . and ..
  uint64_t st_dev = 0;
  std::string real_path; // realpath() of the root: its identity, and for the mount table lookup
  // When the root is a symlink: where it points (readlink), so that a link to
  // a storage that is not mounted can say so.
  std::string link_target;
  // For EACCES: the directory that refused us (the root or the first of its
  // parents we may not search), its mode and owner, and who we are.
  std::string denied_dir;
  uint32_t denied_mode = 0;
  uint32_t denied_uid = 0, denied_gid = 0;
};

class DiskInterface {
 public:
  virtual ~DiskInterface() = default;
  // lstat(path): success is kPresent, ENOENT is kMissing, anything else kUnknown.
  virtual PathCheck Check(const std::string& path) = 0;
  // stat + opendir + the first directory entry of `path`.
  virtual DirProbe ProbeDir(const std::string& path) = 0;
  // Lists `dir` (opendir + readdir, following a symlink to a directory as a
  // path walk would). One listing answers for every file in the directory,
  // which is what makes a sweep cheap (see presence_check.h).
  virtual DirListing ListDir(const std::string& dir) = 0;
  // stat(dir)'s stamp; nullopt on any error. A disk that cannot tell (the
  // default) never has a listing reused.
  virtual std::optional<FolderStamp> StampDir(const std::string& dir) {
    (void)dir;
    return std::nullopt;
  }
  // The mounted filesystems now (/proc/self/mountinfo), in mount order.
  virtual Result<std::vector<MountEntry>> Mounts() = 0;
  // Mount points declared in fstab (second field; swap and "none" skipped).
  virtual Result<std::vector<std::string>> DeclaredMountPoints() = 0;
};

// disk.Check() of each path, in order.
std::vector<PathCheck> CheckEach(DiskInterface& disk, const std::vector<std::string>& paths);

// The real filesystem. `fstab` is the file DeclaredMountPoints() reads.
std::unique_ptr<DiskInterface> MakeRealDisk(std::string fstab = "/etc/fstab");

}  // namespace recsync
