// The mount table: what is mounted now (/proc/self/mountinfo) and what fstab
// declares, read and parsed in one place for the sweep, the daemon's root
// checks and the fanotify watcher.
//
// Reading /proc/self/mountinfo touches only the kernel's memory, never a
// storage, so it is safe on the loop thread; fstab is a local file. To learn
// when the table changes, see watcher/mount_watcher.h.
//
// Thread rules: free functions without shared state; any thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace recsync {

inline constexpr char kMountInfoPath[] = "/proc/self/mountinfo";

struct MountEntry {
  std::string mount_point;  // unescaped
  std::string fs_type;
  int mount_id = -1;        // the table's first field (name_to_handle_at gives it too)
};

// The mounted filesystems, in mount order, from `file` (mountinfo format).
Result<std::vector<MountEntry>> ReadMountTable(const std::string& file = kMountInfoPath);
// The mount points `fstab` declares (see ParseFstab); none when it does not
// exist.
Result<std::vector<std::string>> ReadDeclaredMountPoints(const std::string& fstab);

// Decodes the octal escapes (\040 for a space, ...) used in fstab and mountinfo.
std::string UnescapeMountField(const std::string& field);

// Parses /proc/self/mountinfo text into mount entries.
std::vector<MountEntry> ParseMountInfo(const std::string& text);
// Parses fstab text into declared mount points (second field; swap and
// "none" skipped; "/mnt//nas/" read as "/mnt/nas").
std::vector<std::string> ParseFstab(const std::string& text);

// The entry whose mount point is the longest prefix of `path` (a resolved,
// absolute path); nullopt when the table is empty.
std::optional<MountEntry> MountContaining(const std::vector<MountEntry>& mounts,
                                          const std::string& path);

}  // namespace recsync
