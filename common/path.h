// Path helpers shared by the sweep and the watcher. Paths are bytes and are
// compared component-wise, never as string prefixes.
#pragma once

#include <string>

namespace recsync {

// True when `path` equals `dir` or lies below it (/a/bc is not below /a/b).
bool IsUnder(const std::string& path, const std::string& dir);

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
