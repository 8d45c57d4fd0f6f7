// Why this process may not use a path: for the one-line messages that must
// say "permission denied" with the mode and owner in the way, rather than
// guess ("check that the directory exists").
//
// Thread-safety: any thread; it stats the path and its parents, so not for
// the event loop, and only on storage that answers (storage lanes otherwise).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace recsync {

struct AccessDenial {
  std::string dir;  // the directory (or file) that refuses access
  uint32_t mode = 0;
  uint32_t uid = 0, gid = 0;
};

// The first directory on the way to `path` this process may not search, or
// `path` itself when it may not read it (and write it, with `write`); when
// `path` does not exist, its parent directory when it may not create files
// there. nullopt when access() finds nothing in the way (or a component is
// missing).
std::optional<AccessDenial> FindAccessDenial(const std::string& path, bool write);

// "permission denied: /x is mode 0750, owner root:bluecherry, and recsync
// runs as recsync; <fix>".
std::string DescribeDenial(const AccessDenial& denial, const std::string& fix);

}  // namespace recsync
