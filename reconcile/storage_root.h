// StorageRoot: whether a recording root may be swept right now.
//
// A root is offline (never swept, whatever the flags) when it does not exist
// or is not a readable directory; when it lies below a mount point that
// /etc/fstab declares and that is not mounted; when it was a mount point at an
// earlier sweep and is not one now, or its filesystem type changed; or when
// probing it does not finish within the probe timeout (hung network storage).
// An online root that is empty while the catalog holds rows under it is
// suspect; the sweep decides that, since only it knows the rows.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "journal/journal.h"
#include "reconcile/disk.h"

namespace recsync {

enum class RootState { kOnline, kOffline, kSuspect };
const char* RootStateName(RootState state);

struct RootStatus {
  std::string path;
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

// Applies the rules above. `last` is the journal's record of the root from an
// earlier sweep, if any.
RootStatus AssessRoot(const std::shared_ptr<DiskInterface>& disk, const std::string& root, const MountTables& tables,
                      const std::optional<RootRecord>& last, std::chrono::milliseconds timeout);

// Why `root` cannot be a storage root ("" when it can): it must be absolute,
// not "/", and have no empty, "." or ".." components.
std::string CheckRootPath(const std::string& root);

// For a path in Bluecherry's layout, <root>/YYYY/MM/DD/<device>/<file>, the
// <root> part; nullopt when the path is not in that layout.
std::optional<std::string> InferRoot(const std::string& filepath);
// The same, as a view into `filepath` (no allocation).
std::optional<std::string_view> InferRootView(std::string_view filepath);

}  // namespace recsync
