// WalkFolders: the walk both watcher backends make over a root when it is
// added (and over a directory that appears later): every directory below
// `top` on the same filesystem, each handed to the caller before it is
// listed, so that one made meanwhile is either listed or reported by the
// kernel to a watch (or mark) already in place.
//
// Mounts below `top` are not entered: another filesystem is watched only if
// it is a root itself. Symlinks are never followed below `top`.
//
// Thread rules: no state; any thread. It reads the storage, so it may block
// on a hung mount: not for the loop thread, except for the small trees the
// kernel just reported as new.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>

namespace recsync {

// What the walk does with a directory after visiting it.
enum class WalkStep {
  kList,  // list it: its subdirectories on the same device are visited next
  kSkip,  // go on without listing it
  kStop,  // end the walk
};

// Visits `top` and then, depth first, every directory below it on device
// `dev`. `visit(dir, follow)` is called for each before it is listed;
// `follow` is true only for `top`, and only when `follow_top` (a symlink
// there is then followed). A directory that vanished or cannot be opened or
// read meanwhile is not listed, and the walk goes on.
void WalkFolders(const std::string& top, dev_t dev, bool follow_top,
                 const std::function<WalkStep(const std::string& dir, bool follow)>& visit);

}  // namespace recsync
