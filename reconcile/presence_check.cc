#include "reconcile/presence_check.h"

#include <algorithm>
#include <cerrno>

namespace recsync {

PresenceCheck::PresenceCheck(std::shared_ptr<DiskInterface> disk, size_t cached_dirs)
    : disk_(std::move(disk)), capacity_(std::max<size_t>(1, cached_dirs)) {}

void RowBatch::Add(int64_t id, int64_t start, std::string_view filepath, uint32_t folder) {
  ids_.push_back(id);
  folders_.push_back(folder);
  starts_.push_back(start);
  paths_.append(filepath);
  ends_.push_back(paths_.size());
}

void RowBatch::Clear() {
  ids_.clear();
  folders_.clear();
  starts_.clear();
  ends_.clear();
  paths_.clear();
}

const DirListing& PresenceCheck::Listing(std::string_view dir) {
  dir_.assign(dir);
  if (auto it = index_.find(dir_); it != index_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->second;
  }
  lru_.emplace_front(dir_, Take(dir_));
  index_[dir_] = lru_.begin();
  if (lru_.size() > capacity_) {
    index_.erase(lru_.back().first);
    lru_.pop_back();
  }
  return lru_.front().second;
}

// The listing of `dir`: a remembered one while the folder's stamp is
// unchanged, else a new one (remembered if it may be reused later).
DirListing PresenceCheck::Take(const std::string& dir) {
  if (!memory_) {
    ++listings_;
    return disk_->ListDir(dir);
  }
  if (memory_->cache) {
    if (const RememberedListing* old = memory_->cache->Find(dir)) {
      const auto stamp = disk_->StampDir(dir);
      if (stamp && *stamp == old->stamp) {
        // A folder the LRU let go is taken again: one reused folder still.
        if (reused_set_.insert(dir).second) reused_folders_.push_back(dir);
        return DirListing::FromDigests(old->digests);
      }
    }
  }
  ++listings_;
  DirListing listing = disk_->ListDir(dir);
  const bool same_device = listing.stamp && listing.stamp->dev == memory_->root_dev;
  if (same_device && Rememberable(listing, memory_->settle_margin)) {
    remembered_.emplace_back(dir,
                             RememberedListing{*listing.stamp, memory_->now_ms, listing.Digests()});
  }
  return listing;
}

PathCheck PresenceCheck::CheckOne(std::string_view path, std::optional<uint32_t> folder) {
  const size_t slash = path.rfind('/');
  if (slash != std::string_view::npos && slash != 0 && slash + 1 != path.size()) {
    if (!folder || folder != last_folder_) {
      last_listing_ = &Listing(path.substr(0, slash));
      last_folder_ = folder;
    }
    const std::string_view name = path.substr(slash + 1);
    if (last_listing_->err == 0) {
      if (last_listing_->Contains(name)) return {Presence::kPresent, 0};
      // Absent from a folder listed whole: missing. Not "." or "..", which
      // no listing holds and lstat finds.
      if (name != "." && name != "..") return {Presence::kMissing, ENOENT};
    }
  }
  // The directory could not be listed (gone, not a folder, unreadable): lstat
  // tells a missing file from one it cannot see.
  ++lstats_;
  path_.assign(path);
  return disk_->Check(path_);
}

std::vector<PathCheck> PresenceCheck::Check(const std::vector<std::string>& paths) {
  std::vector<PathCheck> out;
  out.reserve(paths.size());
  for (const auto& path : paths) out.push_back(CheckOne(path, std::nullopt));
  return out;
}

std::vector<PathCheck> PresenceCheck::Check(const RowBatch& rows) {
  const size_t n = rows.size();
  std::vector<PathCheck> out(n);
  if (n == 0) return out;
  // Row indices grouped by folder, each folder's rows in their order: a
  // counting sort, as a chunk's folder numbers span a narrow range.
  uint32_t low = rows.folder(0), high = low;
  for (size_t i = 1; i < n; ++i) {
    low = std::min(low, rows.folder(i));
    high = std::max(high, rows.folder(i));
  }
  std::vector<uint32_t> order(n);
  if (high - low <= 4 * n) {
    std::vector<uint32_t> start(high - low + 2, 0);
    for (size_t i = 0; i < n; ++i) ++start[rows.folder(i) - low + 1];
    for (size_t k = 1; k < start.size(); ++k) start[k] += start[k - 1];
    for (size_t i = 0; i < n; ++i) order[start[rows.folder(i) - low]++] = static_cast<uint32_t>(i);
  } else {
    for (size_t i = 0; i < n; ++i) order[i] = static_cast<uint32_t>(i);
    std::stable_sort(order.begin(), order.end(),
                     [&](uint32_t a, uint32_t b) { return rows.folder(a) < rows.folder(b); });
  }
  for (uint32_t i : order) out[i] = CheckOne(rows.filepath(i), rows.folder(i));
  return out;
}

}  // namespace recsync
