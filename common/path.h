// Path helpers shared by the sweep and the watcher. Paths are bytes and are
// compared component-wise, never as string prefixes.
#pragma once

#include <functional>
#include <string>
#include <utility>

namespace recsync {

// True when `path` equals `dir` or lies below it (/a/bc is not below /a/b).
bool IsUnder(const std::string& path, const std::string& dir);

// Whether a root counts its own path among those it holds. A file's row is
// held only by a root it lies strictly below; a folder may be the root
// itself.
enum class RootHolds { kItselfAndBelow, kOnlyBelow };
bool RootHoldsPath(const std::string& root, const std::string& path, RootHolds holds);

// The innermost root holding `path`: of `roots` (any range; `spelling`
// gives each element's path, a NormalizeRoot() spelling without a trailing
// slash), the longest that `path` lies under component-wise (/ab is not
// under /a). Where roots nest, a path belongs to the inner one. Returns a
// pointer to that element; nullptr when no root holds `path`. Every "which
// root is this path under" in recsync is this function.
template <typename Roots, typename Spelling = std::identity>
auto InnermostRoot(const std::string& path, Roots& roots,
                   RootHolds holds = RootHolds::kItselfAndBelow, Spelling spelling = {})
    -> decltype(&*std::begin(roots)) {
  decltype(&*std::begin(roots)) best = nullptr;
  size_t best_size = 0;
  for (auto& root : roots) {
    const std::string& p = std::invoke(spelling, root);
    if (RootHoldsPath(p, path, holds) && (!best || p.size() > best_size)) {
      best = &root;
      best_size = p.size();
    }
  }
  return best;
}

// The same for roots that have several spellings each (`spellings` gives an
// element's list): the element holding `path` under its innermost spelling,
// and that spelling; {nullptr, nullptr} when none holds it.
template <typename Roots, typename Spellings>
auto InnermostRootOfMany(const std::string& path, Roots& roots, RootHolds holds,
                         Spellings spellings)
    -> std::pair<decltype(&*std::begin(roots)), const std::string*> {
  decltype(&*std::begin(roots)) best = nullptr;
  const std::string* best_spelling = nullptr;
  for (auto& root : roots) {
    const std::string* p = InnermostRoot(path, std::invoke(spellings, root), holds);
    if (p && (!best_spelling || p->size() > best_spelling->size())) {
      best = &root;
      best_spelling = p;
    }
  }
  return {best, best_spelling};
}

// A root's spelling made lexically tidy: repeated slashes and "." components
// dropped, trailing slashes stripped ("/srv//./rec/" -> "/srv/rec"); "/"
// stays "/". ".." is kept: only realpath() can resolve it (a symlink may
// precede it). A relative path stays relative.
std::string NormalizeRoot(std::string root);

// dir + "/" + name, without doubling a trailing slash of dir.
std::string JoinPath(const std::string& dir, const std::string& name);

// Whether `path` is absolute with only plain components: no empty ("//" or
// a trailing "/"), "." or ".." ones. "/" itself has none and passes.
bool HasPlainComponents(const std::string& path);

}  // namespace recsync
