#include "reconcile/presence_check.h"

#include <algorithm>
#include <cerrno>

namespace recsync {

PresenceCheck::PresenceCheck(std::shared_ptr<DiskInterface> disk, size_t cached_dirs)
    : disk_(std::move(disk)), capacity_(std::max<size_t>(1, cached_dirs)) {}

const DirListing& PresenceCheck::Listing(const std::string& dir) {
  if (auto it = index_.find(dir); it != index_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->second;
  }
  ++listings_;
  lru_.emplace_front(dir, disk_->ListDir(dir));
  index_[dir] = lru_.begin();
  if (lru_.size() > capacity_) {
    index_.erase(lru_.back().first);
    lru_.pop_back();
  }
  return lru_.front().second;
}

PathCheck PresenceCheck::CheckOne(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == path.size()) {
    ++lstats_;
    return disk_->Check(path);
  }
  dir_.assign(path, 0, slash);
  const DirListing& listing = Listing(dir_);
  if (listing.err == 0) {
    const std::string_view name(path.data() + slash + 1, path.size() - slash - 1);
    if (std::binary_search(listing.names.begin(), listing.names.end(), name,
                           [](const auto& a, const auto& b) {
                             return std::string_view(a) < std::string_view(b);
                           })) {
      return {Presence::kPresent, 0};
    }
  }
  // Absent from its listing, or the directory could not be listed: only
  // lstat may call it missing.
  ++lstats_;
  return disk_->Check(path);
}

std::vector<PathCheck> PresenceCheck::Check(const std::vector<std::string>& paths) {
  std::vector<PathCheck> out;
  out.reserve(paths.size());
  for (const auto& path : paths) out.push_back(CheckOne(path));
  return out;
}

std::vector<PathCheck> PresenceCheck::Check(const std::vector<MediaRow>& rows) {
  std::vector<PathCheck> out;
  out.reserve(rows.size());
  for (const auto& row : rows) out.push_back(CheckOne(row.filepath));
  return out;
}

}  // namespace recsync
