// PresenceCheck: whether the files of many catalog rows exist, found by
// listing their directories instead of stat-ing each file.
//
// One readdir of a day/camera folder answers for every recording in it (on
// NFS one READDIR replaces a GETATTR per file), and rows come in id order,
// which is recording order, so a small cache of recent listings turns a sweep
// into a merge of the catalog with the tree.
//
// Contract: a candidate list for the sweep, which lstat(2)s each row it
// would archive just before archiving it (sweep_archive.cc), so only lstat
// ever makes a row archived:
// - a name present in its directory's listing is kPresent (the listing is
//   taken now, or, with UseListingMemory, remembered from an earlier sweep
//   while the folder's stamp is unchanged: see listing_cache.h);
// - a name absent from a directory listed whole is kMissing (ENOENT): one
//   listing answers for its folder's gone files too, without an lstat each;
// - a directory that cannot be listed (ENOENT, ENOTDIR, EACCES, EIO, ...)
//   falls back to lstat for each of its files: only ENOENT is kMissing.
// On a tree that does not change meanwhile, every answer equals lstat's
// (presence and errno). Where they can differ, the listing says missing and
// lstat, asked again before archiving, says otherwise, so nothing is
// archived: a file created after its folder was listed; a name in another
// case on a case-insensitive filesystem; a folder we may read but not
// search (lstat: EACCES). The one difference the other way, a file in such a
// folder that the listing calls present, archives nothing either.
//
// Not thread-safe: one task at a time uses a PresenceCheck.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "catalog/catalog.h"
#include "fs/disk.h"
#include "reconcile/listing_cache.h"

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

// What a PresenceCheck does with listings across sweeps (listing_cache.h).
struct ListingMemory {
  // Listings that may be reused when their folder is unchanged; nullptr to
  // list every folder.
  std::shared_ptr<const ListingCache> cache;
  // Listings taken are remembered when their folder's times are this much
  // older (kSettleMargin), and the folder is on the root's device (a mount
  // below the root is a filesystem of unknown kind).
  std::chrono::nanoseconds settle_margin{0};
  uint64_t root_dev = 0;
  int64_t now_ms = 0;  // dates the listings remembered
};

class PresenceCheck {
 public:
  // Keeps up to `cached_dirs` listings (the most recently used). Rows come
  // in id order, in which every camera's current folder is in use at once:
  // 128 per lister covers 256 cameras on a sweep's two listers, and keeps a
  // recovery sweep's memory for its candidates.
  PresenceCheck(std::shared_ptr<DiskInterface> disk, size_t cached_dirs = 128);

  // One answer per path, in order. Paths are absolute with plain components.
  std::vector<PathCheck> Check(const std::vector<std::string>& paths);
  // The same for the rows' filepaths, taken folder by folder (see RowBatch),
  // so that rows of many cameras interleaved in id order need one cache
  // lookup per folder rather than one per row.
  std::vector<PathCheck> Check(const RowBatch& rows);

  // From now on, reuses and remembers listings as `memory` says.
  void UseListingMemory(ListingMemory memory) { memory_ = std::move(memory); }
  // The listings taken that a later sweep may reuse, and the folders whose
  // remembered listing was reused, each once (both empty without
  // UseListingMemory).
  std::vector<std::pair<std::string, RememberedListing>>& remembered() { return remembered_; }
  const std::vector<std::string>& reused_folders() const { return reused_folders_; }

  // Directory listings done so far, remembered listings reused, and lstat
  // calls made for folders that could not be listed.
  size_t listings() const { return listings_; }
  size_t reused() const { return reused_folders_.size(); }
  size_t lstats() const { return lstats_; }

 private:
  const DirListing& Listing(std::string_view dir);
  DirListing Take(const std::string& dir);
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
  std::optional<ListingMemory> memory_;
  std::vector<std::pair<std::string, RememberedListing>> remembered_;
  std::vector<std::string> reused_folders_;
  std::unordered_set<std::string> reused_set_;
};

}  // namespace recsync
