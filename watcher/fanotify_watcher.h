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
// the watcher subscribes to the mount table's changes (MountWatcher) and
// reports kRootGone for a root whose mount is gone; it never touches the
// storage from the loop for that.
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
#include "common/unique_fd.h"
#include "watcher/dir_handles.h"
#include "watcher/mount_watcher.h"
#include "watcher/watcher.h"
#include "watcher/watcher_base.h"

namespace recsync {

namespace fanotify_internal {
struct FidRecord;
struct Records;
}  // namespace fanotify_internal

class FanotifyWatcher : public WatcherBase {
 public:
  struct Options {
    // Stamps events; nullptr means the system clock. Must outlive the watcher.
    const Clock* clock = nullptr;
    // Tells of mount table changes; must outlive the watcher. nullptr: the
    // watcher starts its own.
    MountWatcher* mounts = nullptr;
  };

  // fanotify_init (needs CAP_SYS_ADMIN; Linux >= 5.17), starts polling it
  // on `loop` and subscribes to the mount table's changes. The error names
  // the missing privilege or kernel feature. Loop thread only.
  static Result<std::unique_ptr<FanotifyWatcher>> Create(uv_loop_t* loop, Sink sink,
                                                         Options options);
  static Result<std::unique_ptr<FanotifyWatcher>> Create(uv_loop_t* loop, Sink sink) {
    return Create(loop, std::move(sink), Options());
  }

  // Closes the poll handles (the loop must run once more to free them) and
  // the fanotify fd, which drops every mark. Loop thread only; no
  // AddRoot()/RemoveRoot() may be running.
  ~FanotifyWatcher() override = default;

  // Marks the root's filesystem (once per filesystem) and the root itself,
  // then scans the directories below it on the same filesystem into the
  // handle cache. A filesystem that cannot be marked (no file handles:
  // overlayfs, FUSE, ...) is an error and degrades the watcher.
  Status AddRoot(const std::string& root) override;
  Status RemoveRoot(const std::string& root) override;
  // Marks held: one per filesystem plus one per root.
  size_t watch_count() const override;
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

  // The events of one read being decoded, and when it was read.
  struct Batch {
    std::vector<WatchEvent>* out;
    int64_t now_ms;
  };

  FanotifyWatcher(Sink sink, Options options, UniqueFd fd);
  void OnRead(const char* buf, size_t len, int64_t now_ms) override;
  bool MustReadOn() const override { return !deferred_.empty(); }
  void OnDrained() override { FlushHeld(); }
  void OnPaused() override { FlushHeld(); }  // nothing waits behind a pause
  void OnMountsChanged();

  // Appends the events of one read to `out`; those that cannot be placed
  // yet become placeholders in deferred_ (fanotify_events.cc).
  void Decode(const char* buf, size_t len, int64_t now_ms, std::vector<WatchEvent>* out);
  // The directories this read deletes, into learnt_.
  void LearnDeletedDirs(const char* buf, size_t len);
  // One event, by kind.
  void DecodeEvent(Batch& b, uint64_t mask, const fanotify_internal::Records& rec);
  void DecodeRootSelf(Batch& b, const fanotify_internal::Records& rec);
  void DecodeCreate(Batch& b, const fanotify_internal::Records& rec, bool is_dir);
  void DecodeRename(Batch& b, const fanotify_internal::Records& rec, bool is_dir);
  void DecodeDelete(Batch& b, const fanotify_internal::Records& rec, bool is_dir);
  // A directory renamed from `from` and/or to `to` (empty when outside the
  // roots): the cache follows it.
  void FollowDirRename(const std::string& from, const std::string& to,
                       const std::string& to_dir, const fanotify_internal::Records& rec);
  // A placeholder for an event whose directory `r` cannot be placed yet.
  void Defer(Batch& b, WatchEvent::Kind kind, const fanotify_internal::FidRecord& r, bool is_dir,
             uint32_t move_cookie);
  // Where record `r`'s directory is (outside when absent).
  Place PlaceOf(const fanotify_internal::FidRecord& r, std::string* dir);
  // The innermost root containing `dir`, or ""; whether `dir` is a root.
  std::string RootOf(const std::string& dir) const;
  bool IsRoot(const std::string& dir) const;

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

  std::unique_ptr<MountWatcher> own_mounts_;  // when Options gave none
  MountWatcher::Subscription mounts_changed_;
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
};

}  // namespace recsync
