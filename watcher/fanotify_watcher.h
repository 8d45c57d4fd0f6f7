// FanotifyWatcher: the storage roots watched with fanotify, read on a libuv
// loop and turned into the same WatchEvents as InotifyWatcher (watcher.h).
//
// One fanotify group (FAN_CLASS_NOTIF, FAN_REPORT_DFID_NAME_TARGET: every
// event names its directory by file handle, the entry by name, and the entry
// itself by handle) is polled with a uv_poll_t. Each root's filesystem gets
// one mark (FAN_MARK_FILESYSTEM: FAN_CREATE, FAN_DELETE, FAN_RENAME,
// FAN_ONDIR) and each root directory an inode mark (FAN_DELETE_SELF,
// FAN_MOVE_SELF -> kRootGone). So there is no watch per directory: no limit to
// run out of, and no race with a new directory (mkdir -p and a file at once is
// seen whole). The cost: every create, delete and rename anywhere on those
// filesystems is read and filtered here; file creations are dropped on their
// name alone unless they are cookies, deletes and renames outside the roots
// after one lookup in a cache.
//
// Paths: a directory handle is turned into a path through a cache filled by
// scanning the roots (name_to_handle_at on every directory, AddRoot) and kept
// up to date from the events themselves (mkdir, rename, rmdir). That is what
// resolves the parent of a file deleted by rm -rf, whose directory is already
// gone (its handle is stale) when the event is read. A handle not in the
// cache is opened (open_by_handle_at on a root of that filesystem, then
// readlink of /proc/self/fd/N); outside the roots it goes to a bounded
// negative cache. The fallback yields the path through the root's mount, so
// a root reached through a symlink or bind mount is matched only through the
// cache. A stale handle not in the cache (a directory deleted before the
// cache learnt it) is placed through the directory's own FAN_DELETE, which
// names its parent and its handle: rm -rf deletes children first, so events
// that cannot be placed wait, with every later one, in order, until the queue
// is drained, by when that deletion has been read. Without one it is dropped
// when the cache is complete (no scan running, none missed since the last
// overflow: every directory under the roots is in it), else reported as
// kUnknownWatch (the caller sweeps), never guessed.
//
// Renames: one FAN_RENAME carries both sides; kMovedFrom and kMovedTo get
// the same synthesized cookie (nonzero, unique per watcher), or only the half
// under the roots is reported. Unmounts: fanotify has no unmount event, so
// the watcher polls /proc/self/mountinfo (readable-priority when the mount
// table changes) and reports kRootGone for a root whose mount is gone; it
// never touches the storage from the loop for that.
//
// Threads: as Watcher. AddRoot() scans the tree (blocking); call it from a
// worker.
#pragma once

#include <sys/types.h>
#include <uv.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "watcher/dir_handles.h"
#include "common/unique_fd.h"
#include "watcher/watcher.h"

namespace recsync {

class FanotifyWatcher : public Watcher {
 public:
  struct Options {
    // Stamps events; nullptr means the system clock. Must outlive the watcher.
    const Clock* clock = nullptr;
  };

  // fanotify_init (needs CAP_SYS_ADMIN; Linux >= 5.17) and starts polling it
  // and /proc/self/mountinfo on `loop`. The error names the missing
  // privilege or kernel feature. Loop thread only.
  static Result<std::unique_ptr<FanotifyWatcher>> Create(uv_loop_t* loop, Sink sink,
                                                         Options options);
  static Result<std::unique_ptr<FanotifyWatcher>> Create(uv_loop_t* loop, Sink sink) {
    return Create(loop, std::move(sink), Options());
  }

  // Closes the poll handles (the loop must run once more to free them) and
  // the fanotify fd, which drops every mark. Loop thread only; no
  // AddRoot()/RemoveRoot() may be running.
  ~FanotifyWatcher() override;
  FanotifyWatcher(const FanotifyWatcher&) = delete;
  FanotifyWatcher& operator=(const FanotifyWatcher&) = delete;

  // Marks the root's filesystem (once per filesystem) and the root itself,
  // then scans the directories below it on the same filesystem into the
  // handle cache. A filesystem that cannot be marked (no file handles:
  // overlayfs, FUSE, ...) is an error and degrades the watcher.
  Status AddRoot(const std::string& root) override;
  Status RemoveRoot(const std::string& root) override;
  // Marks held: one per filesystem plus one per root.
  size_t watch_count() const override;
  bool degraded() const override;
  std::string degraded_reason() const override;
  void Pause() override;
  void Resume() override;
  const char* backend() const override { return "fanotify"; }

 private:
  struct Root {
    std::string fsid;        // the filesystem's fsid bytes, as events carry it
    std::string handle_key;  // the root directory's HandleKey
    dev_t dev = 0;
    int mount_id = -1;       // from name_to_handle_at, as in /proc/self/mountinfo
  };
  // Where a directory handle points.
  enum class Place { kInside, kOutside, kUnknown };

  FanotifyWatcher(Sink sink, Options options, UniqueFd fd);
  static void OnPoll(uv_poll_t* handle, int status, int events);
  static void OnMountsChanged(uv_poll_t* handle, int status, int events);
  void ReadEvents();
  // Appends the events of one read to `out`; those that cannot be placed
  // yet become placeholders in deferred_.
  void Decode(const char* buf, size_t len, int64_t now_ms, std::vector<WatchEvent>* out);
  // Places the deferred events (kUnknownWatch if still impossible, dropped
  // when outside the roots) and delivers everything held.
  void FlushHeld();
  // Roots whose mount is no longer in /proc/self/mountinfo.
  void CheckMounts(int64_t now_ms, std::vector<WatchEvent>* out);

  // Resolves a directory handle to its path (see the header comment).
  Place Resolve(const std::string& key, std::string* path, int depth = 0);
  // open_by_handle_at + readlink: the directory's current path, or nullopt.
  std::optional<std::string> OpenHandlePath(const std::string& key);
  // The innermost root containing `path`, or "". Caller holds mu_.
  std::string RootOfLocked(const std::string& path) const;
  // Drops the root, its marks and its cache entries. Caller holds mu_.
  void ForgetRootLocked(const std::string& root);
  // Scans `top` and the directories below it on `dev` into the cache;
  // `report` collects those not known before.
  void Scan(const std::string& top, dev_t dev, std::vector<std::string>* report);
  bool CacheComplete() const;

  Sink sink_;
  Options options_;
  UniqueFd fd_;
  uv_poll_t* poll_ = nullptr;  // freed by its close callback
  UniqueFd mountinfo_fd_;
  uv_poll_t* mount_poll_ = nullptr;
  // Runs CheckMounts() once after the loop's first poll: the mount table
  // only signals changes made after the fd entered epoll (the loop adds it on
  // its next iteration), so a change before that would go unseen.
  uv_check_t* first_check_ = nullptr;
  bool paused_ = false;
  std::vector<char> buf_;
  uint32_t last_cookie_ = 0;  // loop thread only
  // Directories whose deletion has been read: handle -> (parent handle,
  // name). It places a stale handle the cache does not know (a directory
  // deleted during a scan, before the scan reached it). Loop thread only,
  // like the two below.
  std::map<std::string, std::pair<std::string, std::string>> learnt_;
  // Events decoded but not delivered: once one cannot be placed, it and every
  // later one wait, in order, until the fanotify queue is drained, by when
  // the deletion of its directory has been read too.
  struct Deferred {
    size_t index;  // into held_, a kUnknownWatch placeholder whose path is the entry name
    std::string dir_key;
    WatchEvent::Kind kind;
    uint32_t move_cookie = 0;
    bool is_dir = false;
  };
  std::vector<WatchEvent> held_;
  std::vector<Deferred> deferred_;

  mutable std::mutex mu_;  // guards everything below
  std::map<std::string, Root> roots_;
  std::map<std::string, int> fs_roots_;  // fsid -> roots on it (one mark each)
  DirHandles dirs_;
  std::unordered_set<std::string> outside_;  // handles known to lie outside the roots
  int scans_ = 0;                            // AddRoot scans running
  uint64_t overflows_ = 0, clean_through_ = 0;
  bool degraded_ = false;
  std::string degraded_reason_;

};

}  // namespace recsync
