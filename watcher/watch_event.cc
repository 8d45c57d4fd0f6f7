#include "watcher/watch_event.h"

namespace recsync {

const char* KindName(WatchEvent::Kind kind) {
  using K = WatchEvent::Kind;
  switch (kind) {
    case K::kDeleted: return "deleted";
    case K::kMovedFrom: return "moved_from";
    case K::kMovedTo: return "moved_to";
    case K::kCreated: return "created";
    case K::kDirCreated: return "dir_created";
    case K::kDirDeleted: return "dir_deleted";
    case K::kOverflow: return "overflow";
    case K::kRootGone: return "unmounted";
    case K::kUnknownWatch: return "unknown_watch";
    case K::kCookie: return "cookie";
  }
  return "unknown";
}

}  // namespace recsync
