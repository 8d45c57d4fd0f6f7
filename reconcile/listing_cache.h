// ListingCache: folder listings remembered from one sweep to the next, so a
// periodic sweep lists only the folders that changed since the last one
// (a recorder writes to today's folders; the other thousands stay as they
// were).
//
// Contract: a remembered listing answers for its folder only while stat(2)
// of the folder gives the stamp it had when listed (device, inode, mtime,
// ctime; see FolderStamp). Adding, removing or renaming a name sets the
// folder's mtime and ctime, so an equal stamp means the same names, except:
// - a change within the timestamp granularity of the one before the
//   listing: a listing is kept only when the folder's times were older than
//   the listing by kSettleMargin;
// - a filesystem whose directory times this kernel does not set itself
//   (network storage: a NAS may lose files without touching them; FUSE):
//   listings are remembered only on local filesystems (RemembersListings),
//   and only of folders on the root's own device;
// - a clock stepped back, or anything else: a listing is reused for at most
//   kListingMaxAge, then taken again.
// A wrongly reused listing could make a gone file look present, which
// delays its archive, or a new file look gone, which the lstat of every
// candidate before its batch is archived catches: nothing present is ever
// archived.
//
// Thread-safety: immutable once loaded; the listers of a sweep share it.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/hash.h"
#include "common/status.h"
#include "journal/journal.h"
#include "fs/disk.h"

namespace recsync {

inline constexpr std::chrono::hours kListingMaxAge{24};

struct RememberedListing {
  FolderStamp stamp;
  int64_t listed_ms = 0;
  std::vector<uint32_t> digests;  // DirListing::Digests(): sorted
  // Whether `name` was listed (as DirListing::FromDigests(digests) says).
  bool Contains(std::string_view name) const {
    return std::binary_search(digests.begin(), digests.end(), NameDigest(name));
  }
};

// How much older than a listing a folder's times must be for the listing to
// be kept: local filesystems stamp times with this kernel's clock, so a few
// seconds cover their granularity (FAT's is 2 s) and its coarse ticks.
inline constexpr std::chrono::seconds kSettleMargin{5};

// Whether listings on a filesystem of this type may be remembered: one on a
// local device or in memory (ext4, xfs, btrfs, tmpfs, ...).
bool RemembersListings(std::string_view fs_type);

// Whether `listing` may be remembered: taken whole, with a stamp, and its
// folder's times older than the listing by `margin`.
bool Rememberable(const DirListing& listing, std::chrono::nanoseconds margin);

class ListingCache {
 public:
  // Reads the journal's listings of the current digest format. Listings
  // taken more than kListingMaxAge before `now_ms` are left out (they will be
  // taken again), as are entries that do not decode.
  static Result<std::shared_ptr<const ListingCache>> Load(Journal& journal, int64_t now_ms);

  // The remembered listing of `dir`, or nullptr.
  const RememberedListing* Find(std::string_view dir) const;
  size_t size() const { return entries_.size(); }
  // Calls fn(dir, listing) for each; the references live as long as the cache.
  void ForEach(const std::function<void(const std::string&, const RememberedListing&)>& fn) const;

  // The journal record of a listing, and back (false when it does not
  // decode).
  static ListingRecord ToRecord(const std::string& dir, const RememberedListing& listing);
  static bool FromRecord(const ListingRecord& record, RememberedListing& out);

 private:
  std::unordered_map<std::string, RememberedListing, ShortHasher, std::equal_to<>> entries_;
};

}  // namespace recsync
