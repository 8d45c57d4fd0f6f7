#include "reconcile/path_resolver.h"

#include <algorithm>
#include <map>
#include <climits>

namespace recsync {
namespace {
constexpr size_t kLoadPage = 20000;
// Additions kept unsorted before they are merged into the sorted array; a
// lookup scans them, so they stay few.
constexpr size_t kRecentMax = 4096;
}  // namespace

uint64_t PathResolver::Hash(const std::string& path) {
  // FNV-1a: stable across runs and cheap; collisions are harmless (see header).
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : path) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

Status PathResolver::Prepare() {
  auto has_index = catalog_.HasFilepathIndex();
  if (!has_index.ok()) return has_index.status();
  uses_index_ = *has_index;
  sorted_.clear();
  sorted_.shrink_to_fit();
  recent_.clear();
  rows_ = tombstones_ = 0;
  watermark_ = 0;
  prepared_ = true;
  if (uses_index_) return Status::Ok();
  // The first load goes straight into the sorted array, sorted once.
  for (;;) {
    auto page = catalog_.ActiveRowsAfter(watermark_, kLoadPage);
    if (!page.ok()) return page.status();
    if (page->empty()) break;
    for (const auto& row : *page) {
      sorted_.push_back({Hash(row.filepath), row.id});
      watermark_ = row.id;
      ++rows_;
    }
  }
  std::sort(sorted_.begin(), sorted_.end());
  // No shrink_to_fit: the unused capacity was never written, so it costs no
  // memory, while the copy would briefly double the map (16 MB per million
  // rows) at the daemon's peak.
  return Status::Ok();
}

Status PathResolver::Refresh() {
  for (;;) {
    auto page = catalog_.ActiveRowsAfter(watermark_, kLoadPage);
    if (!page.ok()) return page.status();
    if (page->empty()) return Status::Ok();
    for (const auto& row : *page) {
      Add(Hash(row.filepath), row.id);
      watermark_ = row.id;
    }
  }
}

void PathResolver::Add(uint64_t hash, int64_t id) {
  recent_.push_back({hash, id});
  ++rows_;
  if (recent_.size() >= kRecentMax) Compact();
}

void PathResolver::Compact() {
  std::sort(recent_.begin(), recent_.end());
  const auto middle = static_cast<std::ptrdiff_t>(sorted_.size());
  sorted_.insert(sorted_.end(), recent_.begin(), recent_.end());
  std::inplace_merge(sorted_.begin(), sorted_.begin() + middle, sorted_.end());
  recent_.clear();
  if (tombstones_ > 0) {
    sorted_.erase(std::remove_if(sorted_.begin(), sorted_.end(),
                                 [](const Entry& e) { return e.id == 0; }),
                  sorted_.end());
    tombstones_ = 0;
  }
}

std::vector<int64_t> PathResolver::Candidates(const std::string& path) const {
  const uint64_t h = Hash(path);
  std::vector<int64_t> ids;
  auto it = std::lower_bound(sorted_.begin(), sorted_.end(), Entry{h, INT64_MIN});
  for (; it != sorted_.end() && it->hash == h; ++it) {
    if (it->id != 0) ids.push_back(it->id);
  }
  for (const auto& e : recent_) {
    if (e.hash == h && e.id != 0) ids.push_back(e.id);
  }
  return ids;
}

Result<std::vector<MediaRow>> PathResolver::Resolve(const std::string& path) {
  if (!prepared_) RECSYNC_RETURN_IF_ERROR(Prepare());
  if (uses_index_) return catalog_.ActiveRowsByPath(path);

  auto ids = Candidates(path);
  if (ids.empty()) {
    // Perhaps a recording newer than the map: fetch what was added since.
    RECSYNC_RETURN_IF_ERROR(Refresh());
    ids = Candidates(path);
    if (ids.empty()) return std::vector<MediaRow>{};
  }
  auto rows = catalog_.ActiveRowsByIds(ids);
  if (!rows.ok()) return rows.status();
  std::vector<MediaRow> exact;
  for (auto& row : *rows) {
    if (row.filepath == path) exact.push_back(std::move(row));
  }
  return exact;
}

Result<std::vector<std::vector<MediaRow>>> PathResolver::ResolveMany(
    const std::vector<std::string>& paths) {
  std::vector<std::vector<MediaRow>> out(paths.size());
  if (!prepared_) RECSYNC_RETURN_IF_ERROR(Prepare());
  if (uses_index_) {
    for (size_t i = 0; i < paths.size(); ++i) {
      auto rows = catalog_.ActiveRowsByPath(paths[i]);
      if (!rows.ok()) return rows.status();
      out[i] = std::move(*rows);
    }
    return out;
  }
  std::vector<std::vector<int64_t>> candidates(paths.size());
  bool refreshed = false;
  for (size_t i = 0; i < paths.size(); ++i) {
    candidates[i] = Candidates(paths[i]);
    if (candidates[i].empty() && !refreshed) {
      // Perhaps recordings newer than the map: fetch what was added, once.
      RECSYNC_RETURN_IF_ERROR(Refresh());
      refreshed = true;
      candidates[i] = Candidates(paths[i]);
    }
  }
  std::vector<int64_t> ids;
  for (const auto& c : candidates) ids.insert(ids.end(), c.begin(), c.end());
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::map<int64_t, MediaRow> active;
  constexpr size_t kIdsPerQuery = 5000;  // the IN list goes into the SQL text
  for (size_t begin = 0; begin < ids.size(); begin += kIdsPerQuery) {
    const std::vector<int64_t> part(
        ids.begin() + static_cast<std::ptrdiff_t>(begin),
        ids.begin() + static_cast<std::ptrdiff_t>(std::min(begin + kIdsPerQuery, ids.size())));
    auto rows = catalog_.ActiveRowsByIds(part);
    if (!rows.ok()) return rows.status();
    for (auto& row : *rows) active.emplace(row.id, std::move(row));
  }
  // Each path keeps the rows whose exact bytes are its own (a hash is a hint).
  for (size_t i = 0; i < paths.size(); ++i) {
    for (int64_t id : candidates[i]) {
      auto it = active.find(id);
      if (it != active.end() && it->second.filepath == paths[i]) out[i].push_back(it->second);
    }
    std::sort(out[i].begin(), out[i].end(),
              [](const MediaRow& a, const MediaRow& b) { return a.id < b.id; });
  }
  return out;
}

void PathResolver::Forget(const std::string& path, const std::vector<int64_t>& forgotten) {
  if (uses_index_) return;
  const uint64_t h = Hash(path);
  auto drop = [&](Entry& e) {
    if (e.hash != h || e.id == 0) return;
    if (std::find(forgotten.begin(), forgotten.end(), e.id) == forgotten.end()) return;
    e.id = 0;
    --rows_;
    ++tombstones_;
  };
  auto it = std::lower_bound(sorted_.begin(), sorted_.end(), Entry{h, INT64_MIN});
  for (; it != sorted_.end() && it->hash == h; ++it) drop(*it);
  for (auto& e : recent_) drop(e);
  if (tombstones_ > sorted_.size() / 4 + kRecentMax) Compact();
}

void PathResolver::Remember(const std::string& path, const std::vector<int64_t>& remembered) {
  if (uses_index_ || !prepared_) return;
  const auto known = Candidates(path);
  for (int64_t id : remembered) {
    if (id > watermark_) continue;  // Refresh() will load it where it is
    if (std::find(known.begin(), known.end(), id) != known.end()) continue;
    Add(Hash(path), id);
  }
}

}  // namespace recsync
