// DirHandles: which directory each file handle stands for, for the fanotify
// backend, which names a directory by its handle (fsid + file_handle), never
// by a path.
//
// Pure bookkeeping, no system calls, so it can be tested alone. Not
// thread-safe: FanotifyWatcher guards it with its mutex. Keys are opaque byte
// strings (see FanotifyWatcher's HandleKey); paths are exact bytes.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <unordered_map>

namespace recsync {

class DirHandles {
 public:
  // Records that `key` is the directory at `path`. A key already known takes
  // the new path; a path already known under another key (a directory
  // replaced behind our back) loses its old key. Returns true when `key` was
  // not known before.
  bool Put(const std::string& key, const std::string& path);
  // The path of `key`, or nullptr.
  const std::string* Find(const std::string& key) const;
  // Forgets the directory at `path` and everything below it, except what
  // `keep(path)` says to keep (another root's subtree).
  void EraseUnder(const std::string& path,
                  const std::function<bool(const std::string&)>& keep = nullptr);
  // A directory was renamed: every entry at or below `from` moves below `to`
  // (entries already below `to` are replaced).
  void Rename(const std::string& from, const std::string& to);

  size_t size() const { return by_key_.size(); }

 private:
  std::unordered_map<std::string, std::string> by_key_;
  std::map<std::string, std::string> by_path_;  // ordered: subtrees are ranges
};

}  // namespace recsync
