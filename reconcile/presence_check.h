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
#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "catalog/catalog.h"
#include "reconcile/disk.h"

namespace recsync {

// Catalog rows packed for checking: the sweep streams a million of them, so
// a batch holds all its paths in one buffer instead of a string per row.
class RowBatch {
 public:
  // `folder` names the row's directory with a number (equal numbers, equal
  // directories): the check takes each folder's rows together.
  void Add(int64_t id, int64_t start, std::string_view filepath, uint32_t folder);
  size_t size() const { return ids_.size(); }
  bool empty() const { return ids_.empty(); }
  int64_t id(size_t i) const { return ids_[i]; }
  std::string_view filepath(size_t i) const {
    const size_t begin = i == 0 ? 0 : ends_[i - 1];
    return std::string_view(paths_).substr(begin, ends_[i] - begin);
  }
  uint32_t folder(size_t i) const { return folders_[i]; }
  MediaRow Row(size_t i) const { return {ids_[i], starts_[i], std::string(filepath(i))}; }
  void Clear();

 private:
  std::vector<int64_t> ids_;
  std::vector<int64_t> starts_;
  std::vector<uint32_t> folders_;
  std::vector<size_t> ends_;  // where each path ends in paths_
  std::string paths_;
};

class PresenceCheck {
 public:
  // Keeps up to `cached_dirs` listings (the most recently used).
  PresenceCheck(std::shared_ptr<DiskInterface> disk, size_t cached_dirs = 512);

  // One answer per path, in order. Paths are absolute with plain components.
  std::vector<PathCheck> Check(const std::vector<std::string>& paths);
  // The same for the rows' filepaths, taken folder by folder (see RowBatch),
  // so that rows of many cameras interleaved in id order need one cache
  // lookup per folder rather than one per row.
  std::vector<PathCheck> Check(const RowBatch& rows);

  // Directory listings done so far, and lstat calls made to confirm.
  size_t listings() const { return listings_; }
  size_t lstats() const { return lstats_; }

 private:
  const DirListing& Listing(std::string_view dir);
  // `folder`, when given, numbers path's directory (see RowBatch).
  PathCheck CheckOne(std::string_view path, std::optional<uint32_t> folder);

  std::shared_ptr<DiskInterface> disk_;
  size_t capacity_;
  // LRU: most recent first; the map points into the list.
  std::list<std::pair<std::string, DirListing>> lru_;
  std::unordered_map<std::string, decltype(lru_)::iterator> index_;
  std::string dir_;  // scratch
  // The listing of the folder numbered last_folder_ (taken folder by folder,
  // most rows need no lookup). It is the LRU's front entry, so no eviction
  // drops it before Listing() replaces it.
  std::optional<uint32_t> last_folder_;
  const DirListing* last_listing_ = nullptr;
  std::string path_;  // scratch, for lstat
  size_t listings_ = 0;
  size_t lstats_ = 0;
};

}  // namespace recsync
