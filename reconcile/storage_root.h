// StorageRoot: whether a recording root may be swept right now.
//
// A root is offline (never swept, whatever the flags) when it does not exist
// or is not a readable directory; when it lies below a mount point that
// /etc/fstab declares and that is not mounted; when it was a mount point at an
// earlier sweep and is not one now, or its filesystem type changed; or when
// probing it does not finish within the probe timeout (hung network storage).
// An online root that is an empty mount point is suspect (a share mounted
// empty, or the wrong one); an online root that is empty while the catalog
// holds rows under it is suspect too, which only the sweep, knowing the rows,
// can tell.
//
// Identity: a root may be configured under several spellings (a symlink to a
// mount point, the mount point itself, a trailing slash, "//" or "/./"
// components). Its identity is the path realpath() gives, which is also how
// bc-server spells Media.filepath; RootStatus::real_path carries it, and
// every comparison of roots is on it.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "journal/journal.h"
#include "fs/disk.h"
#include "reconcile/storage_lanes.h"

namespace recsync {

enum class RootState { kOnline, kOffline, kSuspect };
const char* RootStateName(RootState state);

struct RootStatus {
  std::string path;       // as configured (one spelling)
  std::string real_path;  // its canonical path (realpath); "" when it cannot be resolved
  RootState state = RootState::kOffline;
  std::string reason;  // why it is offline or suspect; empty when online
  bool empty = false;
  uint64_t st_dev = 0;
  bool mount_point = false;
  std::string fs_type;
  std::string mount_path;  // mount point of the filesystem it lies on

  // What the journal should remember of an online root.
  RootRecord ToRecord(int64_t now_ms) const;
};

// The mount tables, read once per sweep.
struct MountTables {
  std::vector<MountEntry> mounted;
  std::vector<std::string> declared;  // from fstab
};

// Reads both tables; an unreadable fstab is an error (we cannot prove safety).
Result<MountTables> ReadMountTables(DiskInterface& disk);

// Applies the rules above to a probe of `root` already taken. `last` is the
// journal's record of the root (by its canonical path) from an earlier sweep,
// if any. Callers go through RootAssessor (root_assessor.h), which probes,
// finds the identity and the record, and judges.
RootStatus JudgeRoot(const std::string& root, const DirProbe& probe, const MountTables& tables,
                     const std::optional<RootRecord>& last);

// The offline status of `root` whose probe did not answer (a probe that
// did not answer in time, or a lane still stuck): `why` says how.
RootStatus UnresponsiveRoot(const std::string& root, const std::string& why);

// Why `root` cannot be a storage root ("" when it can): it must be absolute
// and not "/". Other spellings ("//", "/./", a trailing "/", symlinks) are
// resolved by realpath() when the root is probed.
std::string CheckRootPath(const std::string& root);

// The one-line reason for a root that cannot be read: for a permission
// problem it names the directory that refuses access, its mode and owner,
// and the user recsync runs as.
std::string UnreadableReason(const DirProbe& probe);

// For a path in Bluecherry's layout, <root>/YYYY/MM/DD/<device>/<file>, the
// <root> part; nullopt when the path is not in that layout.
std::optional<std::string> InferRoot(const std::string& filepath);
// The same, as a view into `filepath` (no allocation).
std::optional<std::string_view> InferRootView(std::string_view filepath);

}  // namespace recsync
