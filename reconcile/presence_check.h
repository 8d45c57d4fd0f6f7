// PresenceCheck: whether the files of many catalog rows exist, found by
// listing their directories instead of stat-ing each file.
//
// One readdir of a day/camera folder answers for every recording in it (on
// NFS one READDIR replaces a GETATTR per file), and rows come in id order,
// which is recording order, so a small cache of recent listings turns a sweep
// into a merge of the catalog with the tree.
//
// Contract: the answer for each path is the one lstat(2) would give, as far
// as a sweep acts on it:
// - a name present in its directory's listing is kPresent;
// - a name absent from a listed directory, or whose directory is ENOENT or
//   ENOTDIR, is confirmed with lstat: only ENOENT makes it kMissing;
// - a directory that cannot be listed (EACCES, EIO, ...) falls back to lstat
//   for each of its files.
// So only lstat ever says "missing". The one case where the answers differ
// is a directory that may be read but not searched (mode r-- for us): lstat
// would say unknown where the listing says present; neither archives.
//
// Not thread-safe: one task at a time uses a PresenceCheck.
#pragma once

#include <cstddef>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "catalog/catalog.h"
#include "reconcile/disk.h"

namespace recsync {

class PresenceCheck {
 public:
  // Keeps up to `cached_dirs` listings (the most recently used).
  PresenceCheck(std::shared_ptr<DiskInterface> disk, size_t cached_dirs = 512);

  // One answer per path, in order. Paths are absolute with plain components.
  std::vector<PathCheck> Check(const std::vector<std::string>& paths);
  // The same for the rows' filepaths (saves copying them).
  std::vector<PathCheck> Check(const std::vector<MediaRow>& rows);

  // Directory listings done so far, and lstat calls made to confirm.
  size_t listings() const { return listings_; }
  size_t lstats() const { return lstats_; }

 private:
  const DirListing& Listing(const std::string& dir);
  PathCheck CheckOne(const std::string& path);

  std::shared_ptr<DiskInterface> disk_;
  size_t capacity_;
  // LRU: most recent first; the map points into the list.
  std::list<std::pair<std::string, DirListing>> lru_;
  std::unordered_map<std::string, decltype(lru_)::iterator> index_;
  std::string dir_;  // scratch
  size_t listings_ = 0;
  size_t lstats_ = 0;
};

}  // namespace recsync
