// Watcher: what the daemon needs from a kernel file-event backend, and the
// choice between the two backends (inotify, fanotify).
//
// Both report the same WatchEvents with the same meaning (see watch_event.h
// and inotify_watcher.h for the full list): kDeleted / kDirDeleted for
// unlinks below a root, kMovedFrom / kMovedTo sharing one nonzero cookie per
// rename (one half alone when the other side is outside the roots),
// kCreated for new files, kDirCreated for new directories, kCookie for sync cookies created in a
// root, kOverflow when events were lost, kUnknownWatch when an event cannot be
// placed (the caller sweeps), kRootGone when a root is deleted, moved away or
// unmounted. The backends differ in what they cost and where they fall short:
// inotify needs one watch per directory (and can run out of them); fanotify
// needs CAP_SYS_ADMIN and a filesystem that reports file handles, and reads
// every create, delete and rename on the roots' filesystems.
//
// Threads: the sink, Pause(), Resume() and the destructor belong to the loop
// thread; AddRoot(), RemoveRoot(), watch_count(), degraded() and
// degraded_reason() may be called from any thread (AddRoot() can take long:
// call it from a worker).
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "watcher/watch_event.h"

namespace recsync {

// The file name prefix of sync cookies.
inline constexpr char kCookiePrefix[] = ".recsync-cookie-";

// `<root>/.recsync-cookie-<token>`. Sync protocol (as in watchman): create
// this file, then wait for its kCookie; both backends keep the order of events
// on their one fd, so every event that happened before the cookie was created
// has then been delivered. The caller creates and removes the file; the
// watcher reports neither its deletion nor its renames.
std::string CookiePath(const std::string& root, const std::string& token);

class Watcher {
 public:
  // Called on the loop thread with the events decoded from one read() (in
  // kernel order, never empty). It must not destroy the watcher.
  using Sink = std::function<void(std::vector<WatchEvent>)>;

  virtual ~Watcher() = default;

  // Watches `root` (symlinks to it are followed) and everything below it on
  // the same filesystem. Idempotent: running it again after kOverflow or
  // kUnknownWatch re-learns what may have been missed, and re-arms a root
  // after kRootGone. Errors: the root missing (kNotFound) or not a directory
  // (kInvalid); the backend refusing it, which also marks the watcher
  // degraded when it means events are being lost.
  virtual Status AddRoot(const std::string& root) = 0;
  // Stops watching `root` (kNotFound when it is not a root).
  virtual Status RemoveRoot(const std::string& root) = 0;
  // Kernel watches (inotify) or marks (fanotify) held.
  virtual size_t watch_count() const = 0;
  // True once some part of the roots cannot be watched; the reason is one
  // line naming the fix. Stays set until the watcher is recreated.
  virtual bool degraded() const = 0;
  virtual std::string degraded_reason() const = 0;
  // Stops / restarts reading (events queue up in the kernel, then overflow).
  virtual void Pause() = 0;
  virtual void Resume() = 0;
  // "inotify" or "fanotify".
  virtual const char* backend() const = 0;
};

// Which backend a `watcher` setting gives for `roots`, and why.
struct WatcherChoice {
  std::string backend;  // "inotify" or "fanotify"
  std::string reason;   // why "auto" fell back to inotify; empty otherwise
};

// Why fanotify cannot watch `roots` here, or "" when it can: fanotify_init
// with the flags the backend needs (CAP_SYS_ADMIN; Linux >= 5.17 for
// FAN_RENAME with file handles), then a test filesystem mark on every root
// that exists (missing roots cannot be judged and are skipped). The marks go
// with the probe's own fd. Blocking on slow storage: not for the loop thread.
std::string FanotifyUnavailableReason(const std::vector<std::string>& roots);

// kind "inotify" -> inotify; "fanotify" -> fanotify, or an error (kInvalid)
// naming why it cannot be used; "auto" -> fanotify when it can be used for
// every root, else inotify with the reason. Anything else is kInvalid.
Result<WatcherChoice> ChooseWatcher(const std::string& kind,
                                    const std::vector<std::string>& roots);

class MountWatcher;

// Creates the watcher `kind` gives for `roots` (see ChooseWatcher) on `loop`;
// "auto" falling back to inotify is logged at info level with the reason.
// `mounts` (which must outlive the watcher) tells the fanotify backend of
// unmounts; without it, it starts its own. Loop thread only (it starts a
// uv_poll_t).
Result<std::unique_ptr<Watcher>> CreateWatcher(uv_loop_t* loop, Watcher::Sink sink,
                                               const std::string& kind,
                                               const std::vector<std::string>& roots,
                                               MountWatcher* mounts = nullptr);

}  // namespace recsync
