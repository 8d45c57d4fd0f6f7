// VirtualDisk: a DiskInterface whose answers a test sets, for the failure
// modes a real disk cannot be made to show on demand (EIO, ESTALE, a hung
// network mount, an fstab entry that is not mounted).
#pragma once

#include <condition_variable>
#include <map>
#include <mutex>
#include <set>

#include "fs/disk.h"

namespace recsync::testing {

class VirtualDisk : public DiskInterface {
 public:
  // Files that exist; anything else is ENOENT unless given an error.
  std::set<std::string> files;
  // Paths whose lstat fails with this errno.
  std::map<std::string, int> errors;
  // Directory probes by path; a path not here is ENOENT.
  std::map<std::string, DirProbe> dirs;
  std::vector<MountEntry> mounts;
  std::vector<std::string> declared;
  // Paths (or directories) whose every probe blocks until Unblock().
  std::set<std::string> hung;

  // Directories whose listing fails with this errno (lstat of their files
  // still answers from `files` and `errors`).
  std::map<std::string, int> list_errors;

  PathCheck Check(const std::string& path) override;
  // The entries of `files` (and of the directories leading to them) directly
  // in `dir`; ENOENT when nothing is under it and it is not in `dirs`.
  DirListing ListDir(const std::string& dir) override;
  DirProbe ProbeDir(const std::string& path) override;
  Result<std::vector<MountEntry>> Mounts() override { return mounts; }
  Result<std::vector<std::string>> DeclaredMountPoints() override { return declared; }

  // Adds a readable, non-empty directory on device `dev`.
  void AddDir(const std::string& path, uint64_t dev = 1, bool empty = false);
  // Releases every blocked probe; call before the test ends.
  void Unblock();

 private:
  void MaybeHang(const std::string& path);
  std::mutex mu_;
  std::condition_variable cv_;
  bool unblocked_ = false;
};

}  // namespace recsync::testing
