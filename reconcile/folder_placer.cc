#include "reconcile/folder_placer.h"

#include "common/path.h"
#include "reconcile/storage_root.h"

namespace recsync::sweep_internal {

FolderPlacer::FolderPlacer(const std::vector<std::unique_ptr<RootWork>>& works,
                           size_t configured_count, const std::vector<std::string>& other_roots,
                           AddRoot add_root)
    : works_(works),
      configured_count_(configured_count),
      other_roots_(other_roots),
      add_root_(std::move(add_root)) {}

// A path equal to a root is under no root, and neither is its folder: where
// a row goes is its folder's. A path without a file name ("/", "", "x",
// "/a/b/") is placed alone.
bool FolderPlacer::PlaceSeen(std::string_view path, RowPlace& out) const {
  const size_t slash = path.rfind('/');
  if (slash == std::string_view::npos || slash + 1 >= path.size()) return false;
  auto it = folders_.find(path.substr(0, slash));
  if (it == folders_.end()) return false;
  const Folder& f = it->second;
  out = RowPlace{f.where, f.root, f.plain, f.key, path.substr(slash + 1), f.reused};
  out.plain = f.plain && out.name != "." && out.name != "..";
  return true;
}

Result<RowPlace> FolderPlacer::Place(std::string_view path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string_view::npos || slash + 1 >= path.size()) {
    const std::string whole(path);
    auto place = PlacePath(whole);
    if (place.ok()) place->plain = whole != "/" && HasPlainComponents(whole);
    return place;
  }
  auto folder = FolderOf(path.substr(0, slash), path);
  if (!folder.ok()) return folder.status();
  const Folder& f = **folder;
  RowPlace place{f.where, f.root, f.plain, f.key, path.substr(slash + 1), f.reused};
  place.plain = f.plain && place.name != "." && place.name != "..";
  return place;
}

Result<const FolderPlacer::Folder*> FolderPlacer::FolderOf(std::string_view dir,
                                                           std::string_view path) {
  constexpr size_t kFoldersKept = 16384;
  auto it = folders_.find(dir);
  if (it != folders_.end()) return &it->second;
  if (folders_.size() >= kFoldersKept) folders_.clear();
  auto placed = PlacePath(std::string(path));
  if (!placed.ok()) return placed.status();
  const bool plain = dir.empty() || HasPlainComponents(std::string(dir));
  Folder f{placed->where, placed->root, plain, next_key_++, nullptr};
  if (f.where == RowPlace::Where::kRoot) {
    if (auto v = f.root->verified.find(dir); v != f.root->verified.end()) {
      f.reused = v->second;
      if (reused_.insert(v->second).second) ++f.root->report.folders_reused;
    }
  }
  return &folders_.emplace(std::string(dir), f).first->second;
}

Result<RowPlace> FolderPlacer::PlacePath(const std::string& path) {
  RowPlace place;
  auto [best, best_prefix] =
      InnermostWork({works_.data(), configured_count_}, path, RootHolds::kOnlyBelow);
  auto root = InferRootView(path);
  if (best && (!root || *root == *best_prefix || !IsUnder(std::string(*root), *best_prefix))) {
    place.where = RowPlace::Where::kRoot;
    place.root = best;
    return place;
  }
  const std::string* other = InnermostRoot(path, other_roots_, RootHolds::kOnlyBelow);
  if (other && (!best_prefix || other->size() > best_prefix->size())) {
    place.where = RowPlace::Where::kOtherRoots;
    return place;
  }
  if (!root) return place;  // nowhere
  auto it = inferred_.find(*root);
  if (it == inferred_.end()) {
    const std::string root_path(*root);
    auto added = add_root_(root_path);
    if (!added.ok()) return added.status();
    it = inferred_.emplace(root_path, *added).first;
  }
  place.where = RowPlace::Where::kRoot;
  place.root = it->second;
  return place;
}

}  // namespace recsync::sweep_internal
