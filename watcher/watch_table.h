// WatchTable: which directory each inotify watch descriptor (wd) stands for,
// and which storage root a path belongs to.
//
// Pure bookkeeping, no system calls, so it can be tested alone. Not
// thread-safe: InotifyWatcher guards it with its mutex.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/path.h"
#include "common/text.h"

namespace recsync {

class WatchTable {
 public:
  struct Entry {
    std::string path;
    // inotify_rm_watch was called; the entry lives until the kernel's
    // IN_IGNORED for it is read, and events for it are dropped quietly.
    bool removing = false;
  };

  // Roots and the device (st_dev) each lives on.
  void AddRoot(const std::string& root, dev_t dev);
  void RemoveRoot(const std::string& root);
  bool IsRoot(const std::string& path) const;
  // The innermost root containing `path`, or "" when none does.
  std::string RootOf(const std::string& path) const;
  // The device of `root`; false when it is not a root.
  bool RootDevice(const std::string& root, dev_t* dev) const;

  // Records that `wd` watches `path`. Returns true when `wd` was not a live
  // entry before (a directory newly armed); an existing entry takes the new
  // path (the same inode reached under another name).
  bool Put(int wd, const std::string& path);
  // The entry for `wd`, or nullptr.
  const Entry* Find(int wd) const;
  void MarkRemoving(int wd);
  void Erase(int wd);
  // Erases every entry whose wd is not in `live` (the kernel dropped it, and
  // its IN_IGNORED was lost in a queue overflow). Returns how many.
  size_t Retain(const std::set<int>& live);

  // A directory was renamed: every live entry at or below `from` moves below `to`.
  void Rename(const std::string& from, const std::string& to);
  // Live wds whose path is at or below `dir`.
  std::vector<int> WdsUnder(const std::string& dir) const;
  // Live wds at or below `root` that no other root needs: none when an outer
  // root contains `root`; nested inner roots keep theirs.
  std::vector<int> WdsOwnedBy(const std::string& root) const;

  size_t live_count() const { return live_; }

 private:
  std::map<std::string, dev_t> roots_;
  std::unordered_map<int, Entry> wds_;
  size_t live_ = 0;
};

}  // namespace recsync
