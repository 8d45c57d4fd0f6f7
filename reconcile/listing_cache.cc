#include "reconcile/listing_cache.h"

#include <algorithm>
#include <cstring>

namespace recsync {

bool RemembersListings(std::string_view fs_type) {
  static constexpr std::string_view kLocal[] = {"ext2",  "ext3",  "ext4",   "xfs",      "btrfs",
                                                "f2fs",  "jfs",   "tmpfs",  "vfat",     "exfat",
                                                "zfs",   "nilfs2", "reiserfs", "bcachefs"};
  return std::find(std::begin(kLocal), std::end(kLocal), fs_type) != std::end(kLocal);
}

bool Rememberable(const DirListing& listing, std::chrono::nanoseconds margin) {
  if (listing.err != 0 || !listing.stamp) return false;
  const int64_t newest = std::max(listing.stamp->mtime_ns, listing.stamp->ctime_ns);
  return newest <= listing.opened_ns - margin.count();
}

Result<std::shared_ptr<const ListingCache>> ListingCache::Load(Journal& journal, int64_t now_ms) {
  auto cache = std::make_shared<ListingCache>();
  const int64_t oldest_ms =
      now_ms - std::chrono::duration_cast<std::chrono::milliseconds>(kListingMaxAge).count();
  Status st = journal.EachListing([&](ListingRecord&& record) {
    // A listing from the future (the clock was stepped back) is as
    // untrustworthy as an old one.
    if (record.listed_ms < oldest_ms || record.listed_ms > now_ms) return;
    RememberedListing listing;
    if (!FromRecord(record, listing)) return;
    cache->entries_.emplace(std::move(record.dir), std::move(listing));
  });
  if (!st.ok()) return st;
  return std::shared_ptr<const ListingCache>(std::move(cache));
}

const RememberedListing* ListingCache::Find(std::string_view dir) const {
  auto it = entries_.find(dir);
  return it == entries_.end() ? nullptr : &it->second;
}

void ListingCache::ForEach(
    const std::function<void(const std::string&, const RememberedListing&)>& fn) const {
  for (const auto& [dir, listing] : entries_) fn(dir, listing);
}

// Digests are packed as 4 bytes each in the host's order: the journal is a
// local file, never moved between machines of different byte order.
ListingRecord ListingCache::ToRecord(const std::string& dir, const RememberedListing& listing) {
  ListingRecord r;
  r.dir = dir;
  r.st_dev = listing.stamp.dev;
  r.st_ino = listing.stamp.ino;
  r.mtime_ns = listing.stamp.mtime_ns;
  r.ctime_ns = listing.stamp.ctime_ns;
  r.listed_ms = listing.listed_ms;
  r.format = kNameDigestFormat;
  r.names.resize(listing.digests.size() * sizeof(uint32_t));
  if (!listing.digests.empty()) {
    std::memcpy(r.names.data(), listing.digests.data(), r.names.size());
  }
  return r;
}

bool ListingCache::FromRecord(const ListingRecord& record, RememberedListing& out) {
  if (record.format != kNameDigestFormat || record.names.size() % sizeof(uint32_t) != 0) {
    return false;
  }
  out.stamp = {record.st_dev, record.st_ino, record.mtime_ns, record.ctime_ns};
  out.listed_ms = record.listed_ms;
  out.digests.resize(record.names.size() / sizeof(uint32_t));
  if (!out.digests.empty()) {
    std::memcpy(out.digests.data(), record.names.data(), record.names.size());
  }
  // Sorted as stored; a damaged entry must not break the binary search.
  return std::is_sorted(out.digests.begin(), out.digests.end());
}

}  // namespace recsync
