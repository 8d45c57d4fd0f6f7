// WatchEvent has no code of its own: its kinds' text is ToText(EventKind)
// (common/event_kind.h).
#include "watcher/watch_event.h"
