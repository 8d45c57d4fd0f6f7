// What fanotify_watcher.cc, fanotify_decode.cc, fanotify_events.cc and watcher.cc
// share: the flags and masks the fanotify backend uses, and how a file handle
// becomes a cache key. Not a public interface.
#pragma once

#include <fcntl.h>
#include <sys/fanotify.h>
#include <sys/types.h>

#include <cstdint>
#include <string>

namespace recsync::fanotify_internal {

// FAN_REPORT_DFID_NAME_TARGET: directory handle + entry name, and the
// entry's own handle (a new directory's handle without a second lookup).
// FAN_RENAME needs it (both sides in one event); Linux >= 5.17.
inline constexpr unsigned kInitFlags =
    FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK | FAN_REPORT_DFID_NAME_TARGET;
inline constexpr unsigned kEventFlags = O_RDONLY | O_LARGEFILE | O_CLOEXEC;
// The filesystem mark: entries created, deleted, renamed, directories too.
inline constexpr uint64_t kFsMask = FAN_CREATE | FAN_DELETE | FAN_RENAME | FAN_ONDIR;
// The root directory's own inode mark.
inline constexpr uint64_t kRootMask = FAN_DELETE_SELF | FAN_MOVE_SELF | FAN_ONDIR;

// The key of a handle: the 8 fsid bytes, the handle type, then the handle
// bytes; equal for name_to_handle_at() and for a fanotify event's record.
std::string HandleKey(const void* fsid8, int handle_type, const unsigned char* bytes,
                      unsigned handle_bytes);

// name_to_handle_at(path) (following a final symlink when `follow`) as a
// HandleKey on the filesystem with `fsid8`; sets `mount_id` when non-null.
// Returns 0 or the errno.
int PathHandleKey(const std::string& path, const std::string& fsid8, bool follow,
                  std::string* key, int* mount_id);

// statfs(path).f_fsid as 8 bytes, and f_type. Returns 0 or the errno.
int FsidOf(const std::string& path, std::string* fsid8, int64_t* fs_type);

// "tmpfs", "overlayfs", ... for the common f_type values, else hex.
std::string FsTypeName(int64_t fs_type);

// Why fanotify_init(kInitFlags) or fanotify_mark failed with `err`, in words
// an operator can act on.
std::string InitErrorText(int err);
std::string MarkErrorText(const std::string& root, int err);

// One handle record of an event: a directory (with the entry's name) or the
// object itself.
struct FidRecord {
  bool present = false;
  std::string key;
  std::string name;
};

struct Records {
  FidRecord dir;      // FAN_EVENT_INFO_TYPE_DFID_NAME / DFID
  FidRecord old_dir;  // FAN_RENAME: where it was
  FidRecord new_dir;  // FAN_RENAME: where it went
  FidRecord self;     // FAN_EVENT_INFO_TYPE_FID: the object itself
};

// Parses the info records after an event's metadata. Unknown types are
// skipped (their header says how long they are).
Records ParseRecords(const char* p, size_t len);

}  // namespace recsync::fanotify_internal
