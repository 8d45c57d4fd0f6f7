#include "reconcile/path_resolver.h"

#include <algorithm>

namespace recsync {
namespace {
constexpr size_t kLoadPage = 20000;
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
  by_hash_.clear();
  rows_ = 0;
  watermark_ = 0;
  prepared_ = true;
  return uses_index_ ? Status::Ok() : Refresh();
}

Status PathResolver::Refresh() {
  for (;;) {
    auto page = catalog_.ActiveRowsAfter(watermark_, kLoadPage);
    if (!page.ok()) return page.status();
    if (page->empty()) return Status::Ok();
    for (const auto& row : *page) {
      by_hash_[Hash(row.filepath)].push_back(row.id);
      watermark_ = row.id;
      ++rows_;
    }
  }
}

std::vector<int64_t>* PathResolver::Candidates(const std::string& path) {
  auto it = by_hash_.find(Hash(path));
  return it == by_hash_.end() ? nullptr : &it->second;
}

Result<std::vector<MediaRow>> PathResolver::Resolve(const std::string& path) {
  if (!prepared_) RECSYNC_RETURN_IF_ERROR(Prepare());
  if (uses_index_) return catalog_.ActiveRowsByPath(path);

  auto* ids = Candidates(path);
  if (!ids) {
    // Perhaps a recording newer than the map: fetch what was added since.
    RECSYNC_RETURN_IF_ERROR(Refresh());
    ids = Candidates(path);
    if (!ids) return std::vector<MediaRow>{};
  }
  auto rows = catalog_.ActiveRowsByIds(*ids);
  if (!rows.ok()) return rows.status();
  std::vector<MediaRow> exact;
  for (auto& row : *rows) {
    if (row.filepath == path) exact.push_back(std::move(row));
  }
  return exact;
}

void PathResolver::Forget(const std::string& path, const std::vector<int64_t>& forgotten) {
  if (uses_index_) return;
  auto it = by_hash_.find(Hash(path));
  if (it == by_hash_.end()) return;
  auto& ids = it->second;
  const size_t before = ids.size();
  ids.erase(std::remove_if(ids.begin(), ids.end(),
                           [&](int64_t id) {
                             return std::find(forgotten.begin(), forgotten.end(), id) !=
                                    forgotten.end();
                           }),
            ids.end());
  rows_ -= before - ids.size();
  if (ids.empty()) by_hash_.erase(it);
}

void PathResolver::Remember(const std::string& path, const std::vector<int64_t>& remembered) {
  if (uses_index_ || !prepared_) return;
  for (int64_t id : remembered) {
    if (id > watermark_) continue;  // Refresh() will load it where it is
    auto& ids = by_hash_[Hash(path)];
    if (std::find(ids.begin(), ids.end(), id) != ids.end()) continue;
    ids.push_back(id);
    ++rows_;
  }
}

}  // namespace recsync
