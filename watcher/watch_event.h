// WatchEvent: one thing the kernel told us happened under a storage root.
//
// The watcher only reports; what an event means (which catalog rows to check
// or archive) is decided by its caller. Overflow and lost watches are events
// too, never errors: they tell the caller that some events were lost and a
// sweep of the affected roots is due.
#pragma once

#include <cstdint>
#include <string>

#include "common/event_kind.h"

namespace recsync {

struct WatchEvent {
  // The same kinds the journal keeps (common/event_kind.h), and a few more:
  //   kOverflow: the kernel queue overflowed: events were lost (path and root empty)
  //   kRootGone: a root itself was deleted, moved away or unmounted; it is no
  //     longer watched
  //   kDirCreated: a directory appeared and is now watched
  //   kDirDeleted: a directory below a root was removed
  //   kUnknownWatch: an event for a watch descriptor we do not know: treat like kOverflow
  //   kCookie: a sync cookie file (see CookiePath) appeared in a root
  using Kind = EventKind;

  Kind kind = Kind::kOverflow;
  // The full path of the file or directory concerned, exact bytes (no UTF-8
  // assumptions). For kRootGone the root itself; empty for kOverflow; for
  // kUnknownWatch only the entry name the kernel gave, if any.
  std::string path;
  // The storage root `path` lies under (the innermost one, if roots nest);
  // empty for kOverflow and kUnknownWatch.
  std::string root;
  // The kernel's rename cookie for kMovedFrom/kMovedTo (equal for the two
  // halves of one rename); 0 otherwise. A kMovedFrom with no matching
  // kMovedTo means the path left the watched roots.
  uint32_t move_cookie = 0;
  // For kMovedFrom/kMovedTo: whether a directory (a whole subtree) moved.
  bool is_dir = false;
  // When the event was read from the kernel, in milliseconds since the epoch.
  int64_t time_ms = 0;
};

}  // namespace recsync
