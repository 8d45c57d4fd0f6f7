// FolderPlacer: where the sweep's rows go, internal to reconcile/sweep*.cc.
//
// A row belongs to the innermost configured root holding its path
// (InnermostRoot, strictly below it). A storage nested below that root in
// Bluecherry's layout (an old root, a mount of its own) is a root in its
// own right, added on first sight, so that its being unmounted is noticed
// instead of its rows looking missing; so is the root the layout implies
// for a row under no configured root. A row under a root this sweep was not
// asked to check (SweepOptions::other_roots) is left to that root's sweeps.
// A row whose path is in no root and not in the layout is unplaceable.
//
// Where a row goes depends on its folder only, so it is worked out once per
// folder: rows of all cameras interleave in id order, so folders are kept
// in a map, dropped whole when it grows large (old folders do not come
// back). Each folder is numbered (its key: key % kListers picks its lister)
// and, when its remembered listing still holds (RootWork::verified), carries
// it, counted once per root as reused.
//
// Threads: the sweep's thread only (the row stream's callback). Place()
// allocates only for a folder not seen before.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/hash.h"
#include "common/status.h"
#include "reconcile/sweep_check.h"

namespace recsync::sweep_internal {

// Where one row goes.
struct RowPlace {
  enum class Where { kRoot, kOtherRoots, kNowhere };
  Where where = Where::kNowhere;
  RootWork* root = nullptr;  // for kRoot
  bool plain = false;        // every component of the path is plain
  uint32_t key = 0;          // its folder's number
  std::string_view name;     // the file name ("" when the path has none)
  const RememberedListing* reused = nullptr;  // its folder's remembered listing
};

class FolderPlacer {
 public:
  // Assesses and adds the root at `path` (one the layout implies), the
  // first time a row under it is seen.
  using AddRoot = std::function<Result<RootWork*>(const std::string& path)>;

  // The configured roots are the first `configured_count` of `works`, to
  // which `add_root` appends; `works` and `other_roots` outlive the placer.
  FolderPlacer(const std::vector<std::unique_ptr<RootWork>>& works, size_t configured_count,
               const std::vector<std::string>& other_roots, AddRoot add_root);

  // Where the row at `path` goes. Fails only when adding a root fails
  // (a journal error).
  Result<RowPlace> Place(std::string_view path);
  // The same for a row whose folder was placed before, without a Status or
  // an allocation (the per-row path of a sweep of a million rows): false
  // when the folder is new (or the path has no file name), for Place().
  bool PlaceSeen(std::string_view path, RowPlace& out) const;

 private:
  struct Folder {
    RowPlace::Where where;
    RootWork* root;
    bool plain;    // every component of the folder is plain
    uint32_t key;
    const RememberedListing* reused;
  };
  // Where a path goes, whatever its folder (see above).
  Result<RowPlace> PlacePath(const std::string& path);
  Result<const Folder*> FolderOf(std::string_view dir, std::string_view path);

  const std::vector<std::unique_ptr<RootWork>>& works_;
  const size_t configured_count_;
  const std::vector<std::string>& other_roots_;
  AddRoot add_root_;
  std::map<std::string, RootWork*, std::less<>> inferred_;  // found by string_view
  std::unordered_map<std::string, Folder, ShortHasher, std::equal_to<>> folders_;
  uint32_t next_key_ = 0;
  // Remembered listings reused so far (each counted once per root).
  std::unordered_set<const RememberedListing*> reused_;
};

}  // namespace recsync::sweep_internal
