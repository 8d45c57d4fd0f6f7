// EventKind: what happened under a storage root. The watcher reports it
// (watcher/watch_event.h) and the journal keeps it; both use this one type,
// so no code between them turns kinds into text and back.
//
// The journal keeps only kJournaledKinds (the daemon decides which watcher
// events become journal events); the other kinds pass only from the watcher
// to the daemon. ToText() gives the text stored in the journal's `kind`
// column and printed by the CLI; it never changes for a released kind.
//
// Thread-safety: plain values and constexpr functions.
#pragma once

#include <optional>
#include <string_view>

#include "common/enum_text.h"

namespace recsync {

enum class EventKind {
  kDeleted,       // "deleted": a file (recording, .jpg sidecar, anything) was unlinked
  kMovedFrom,     // "moved_from": a file or directory was renamed away from the path
  kMovedTo,       // "moved_to": a file or directory was renamed to the path
  kCreated,       // "created": a file was created (not a directory, not a sync cookie)
  kOverflow,      // "overflow": the kernel's queue overflowed: events were lost
  kRootGone,      // "unmounted": a root was deleted, moved away or unmounted
  kDirCreated,    // "dir_created": a directory appeared and is now watched (not journaled)
  kDirDeleted,    // "dir_deleted": a directory below a root was removed (not journaled)
  kUnknownWatch,  // "unknown_watch": an event for a watch we do not know (not journaled)
  kCookie,        // "cookie": a sync cookie file appeared in a root (not journaled)
};

constexpr std::string_view ToText(EventKind kind) {
  switch (kind) {
    case EventKind::kDeleted: return "deleted";
    case EventKind::kMovedFrom: return "moved_from";
    case EventKind::kMovedTo: return "moved_to";
    case EventKind::kCreated: return "created";
    case EventKind::kOverflow: return "overflow";
    case EventKind::kRootGone: return "unmounted";
    case EventKind::kDirCreated: return "dir_created";
    case EventKind::kDirDeleted: return "dir_deleted";
    case EventKind::kUnknownWatch: return "unknown_watch";
    case EventKind::kCookie: return "cookie";
  }
  return "unknown";
}

// The kinds the journal keeps, in the order the CLI lists them.
inline constexpr EventKind kJournaledKinds[] = {EventKind::kDeleted,  EventKind::kMovedFrom,
                                                EventKind::kMovedTo,  EventKind::kCreated,
                                                EventKind::kOverflow, EventKind::kRootGone};

constexpr bool IsJournaled(EventKind kind) {
  for (EventKind journaled : kJournaledKinds) {
    if (kind == journaled) return true;
  }
  return false;
}

// The journaled kind whose text is `text`, if any.
constexpr std::optional<EventKind> ParseJournaledKind(std::string_view text) {
  return ParseAmong(kJournaledKinds, text);
}

}  // namespace recsync
