// InotifyWatcher: recursive inotify watches on the storage roots, read on a
// libuv loop and turned into WatchEvents.
//
// One inotify fd (IN_NONBLOCK | IN_CLOEXEC) is polled with a uv_poll_t;
// uv_fs_event is not used because it is not recursive, reports deletes and
// creates alike as UV_RENAME and drops IN_Q_OVERFLOW. Every directory under a
// root gets its own watch (IN_DELETE, IN_MOVED_FROM, IN_MOVED_TO, IN_CREATE,
// IN_DELETE_SELF, IN_MOVE_SELF; IN_ONLYDIR, IN_DONT_FOLLOW below the root,
// IN_EXCL_UNLINK). Watches never cross into another filesystem below a root
// (st_dev differs); such a mount is watched only if it is a root itself.
//
// What is reported (all paths are exact bytes, joined from the watched
// directory's path and the kernel's entry name):
//   - unlink of any file            -> kDeleted (sidecars, temp files too:
//                                      filtering is the caller's job)
//   - creation of a file            -> kCreated (likewise)
//   - rmdir of a directory          -> kDirDeleted, from the parent's event,
//                                      after the kDeleted of its files
//   - rename                        -> kMovedFrom / kMovedTo with the kernel's
//                                      cookie; only one half when the other side
//                                      is outside the watched directories
//   - mkdir (or mkdir -p)           -> kDirCreated for each directory not
//                                      watched before (also when arming it
//                                      failed); a directory moved in is armed
//                                      and reported only as kMovedTo
//   - IN_Q_OVERFLOW                 -> kOverflow (root and path empty)
//   - event on an unknown wd        -> kUnknownWatch
//   - a root deleted, moved or
//     unmounted                     -> kRootGone; the root is then unwatched
//   - a cookie file in a root       -> kCookie (see CookiePath)
// A subdirectory's own IN_DELETE_SELF /
// IN_MOVE_SELF / IN_UNMOUNT only clean up (its parent's event, or the root's
// kRootGone, already says it).
//
// New directories: on IN_CREATE (or IN_MOVED_TO) of a directory the loop
// thread watches it first and lists it right after, recursively, so
// subdirectories made before the watch existed (`mkdir -p a/b/c && touch
// a/b/c/x`) are armed too. A file deleted before its directory was armed cannot
// be seen by inotify at all; the periodic sweep finds those. (A large tree
// moved in from outside the roots is listed on the loop thread too; Bluecherry
// never does that, a restore by hand rarely.)
//
// Lost events: after kOverflow or kUnknownWatch, some directory creations may
// have been missed as well. The caller should run AddRoot() again for each
// root (it is idempotent and arms only what is missing) and sweep.
//
// Threads: the sink, Pause(), Resume() and the destructor belong to the loop
// thread. AddRoot(), RemoveRoot(), watch_count(), degraded() and
// degraded_reason() may be called from any thread; AddRoot() walks the whole
// tree and may take long, so the daemon calls it from a worker thread, never
// from the loop.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "common/unique_fd.h"
#include "watcher/watch_event.h"
#include "watcher/watch_table.h"
#include "watcher/watcher.h"
#include "watcher/watcher_base.h"

namespace recsync {

// The current fs.inotify.max_user_watches, or nullopt if `file` is unreadable.
std::optional<uint64_t> ReadMaxUserWatches(
    const std::string& file = "/proc/sys/fs/inotify/max_user_watches");

// The one-line message for running out of inotify watches: names the sysctl,
// its current value (`limit`, nullopt when unknown) and how many watches are
// needed (one per directory under the roots).
std::string WatchLimitMessage(std::optional<uint64_t> limit, uint64_t needed);

class InotifyWatcher : public WatcherBase {
 public:
  struct Options {
    // Reads fs.inotify.max_user_watches for the ENOSPC message.
    std::function<std::optional<uint64_t>()> max_user_watches = [] { return ReadMaxUserWatches(); };
    // inotify_add_watch(2); replaceable so tests can inject ENOSPC.
    std::function<int(int fd, const char* path, uint32_t mask)> add_watch;
    // Stamps events; nullptr means the system clock. Must outlive the watcher.
    const Clock* clock = nullptr;
  };

  // Opens the inotify fd and starts polling it on `loop`. `sink` is called on
  // the loop thread with the events decoded from one read() (in kernel order;
  // never empty), so the caller can commit them as one group. The sink must
  // not destroy the watcher.
  static Result<std::unique_ptr<InotifyWatcher>> Create(uv_loop_t* loop, Sink sink,
                                                        Options options);
  static Result<std::unique_ptr<InotifyWatcher>> Create(uv_loop_t* loop, Sink sink) {
    return Create(loop, std::move(sink), Options());
  }

  // Closes the poll handle (see WatcherBase) and the inotify fd. Loop thread
  // only; no AddRoot()/RemoveRoot() may be running.
  ~InotifyWatcher() override = default;

  // Watches `root` (symlinks to it are followed) and every directory below it
  // on the same filesystem, each armed before it is listed. Blocking: a large
  // tree takes a while, so call it from a worker thread. Idempotent: running it
  // again arms directories whose creation was missed (after an overflow) or
  // re-arms a root after kRootGone.
  //
  // Errors: the root missing or not a directory (nothing is watched); or
  // running out of watches (ENOSPC), reported with WatchLimitMessage(), which
  // also marks the watcher degraded: what could be armed stays armed and the
  // daemon goes on with periodic sweeps. Other failures below the root (a
  // directory that vanished, EACCES) are logged and skipped.
  Status AddRoot(const std::string& root) override;

  // Stops watching `root` (directories also under another root stay watched).
  Status RemoveRoot(const std::string& root) override;

  // Live watches (one per watched directory).
  size_t watch_count() const override;
  // degraded(): true once a watch could not be added for lack of inotify
  // watches; the reason is the WatchLimitMessage() line. Pause() lets events
  // queue up to fs.inotify.max_queued_events, then one IN_Q_OVERFLOW.
  const char* backend() const override { return "inotify"; }

 private:
  struct WalkResult {
    std::vector<std::string> unknown_before;  // directories that were not watched yet
    uint64_t no_space = 0;                    // directories not armed for ENOSPC
  };

  InotifyWatcher(Sink sink, Options options, UniqueFd fd);
  void OnRead(const char* buf, size_t len, int64_t now_ms) override;
  void Decode(const char* buf, size_t len, int64_t now_ms, std::vector<WatchEvent>* out);
  void HandleEvent(int wd, uint32_t mask, uint32_t cookie, const std::string& name,
                   int64_t now_ms, std::vector<WatchEvent>* out);
  // The watched directory an event of `wd` is about, or nullopt when the
  // event ends here (after emitting what it says: kUnknownWatch for a wd not
  // known, kRootGone for a root's own end; nothing for IN_IGNORED, a watch
  // being removed or a subdirectory's own end).
  struct WatchedDir {
    std::string dir;
    std::string root;  // the innermost root holding it
    bool is_root = false;
  };
  std::optional<WatchedDir> PlaceWatch(int wd, uint32_t mask, const std::string& name,
                                       int64_t now_ms, std::vector<WatchEvent>* out);
  // Arms a directory that appeared under `root` and everything below it;
  // returns the directories that were not watched before.
  std::vector<std::string> WalkNewDir(const std::string& path, const std::string& root);
  // IN_MOVED_TO of a directory: renames its watches if it moved within the
  // roots, else arms it.
  void DirMovedIn(const std::string& path, const std::string& root, uint32_t cookie);
  // Unwatches directories whose kMovedFrom found no kMovedTo.
  void ResolveDirMoves();
  // Arms `top` (a directory on `dev`) and every directory below it on `dev`,
  // each before listing it (WalkFolders). Returns the errno of arming `top`
  // (0 when armed).
  int Walk(const std::string& top, dev_t dev, bool follow_top, WalkResult* result);
  // inotify_add_watch + the table entry; returns the errno or 0.
  int Arm(const std::string& path, bool follow, bool* newly);
  // inotify_rm_watch of `wds` and marks them removing. Caller holds mu_.
  void UnwatchLocked(const std::vector<int>& wds);
  // Marks the watcher degraded for lack of watches; returns the Status.
  Status NoteNoSpace(uint64_t missing);
  // Forgets the watches the kernel no longer holds (/proc/self/fdinfo), so
  // watch_count() is the folders watched.
  void DropDeadWatches();

  Options options_;

  // A directory renamed away whose kMovedTo half has not been read yet.
  struct PendingMove {
    uint32_t cookie;
    std::string from;
    std::vector<int> wds;
    int batches = 0;
  };
  std::vector<PendingMove> pending_moves_;  // loop thread only

  // Held across inotify_add_watch and recording its wd (lock order: arm_mu_, then mu_).
  std::mutex arm_mu_;
  mutable std::mutex mu_;  // guards everything below
  WatchTable table_;
  uint64_t watches_needed_ = 0;
};

}  // namespace recsync
