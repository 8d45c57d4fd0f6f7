// The loop-thread half of InotifyWatcher: turning what one read of the
// inotify fd gives into WatchEvents (see inotify_watcher.h for what is reported).
#include <sys/inotify.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include "common/path.h"
#include "watcher/inotify_watcher.h"

namespace recsync {

// One read: its events in order, then the directory renames it settles.
void InotifyWatcher::OnRead(const char* buf, size_t len, int64_t now_ms) {
  std::vector<WatchEvent> events;
  Decode(buf, len, now_ms, &events);
  ResolveDirMoves();
  if (!events.empty()) Deliver(std::move(events));
}

void InotifyWatcher::Decode(const char* buf, size_t len, int64_t now_ms,
                            std::vector<WatchEvent>* out) {
  size_t off = 0;
  while (off + sizeof(struct inotify_event) <= len) {
    struct inotify_event ev;
    std::memcpy(&ev, buf + off, sizeof(ev));
    const char* name = buf + off + sizeof(ev);
    size_t name_len = ev.len == 0 ? 0 : ::strnlen(name, ev.len);
    off += sizeof(ev) + ev.len;
    HandleEvent(ev.wd, ev.mask, ev.cookie, std::string(name, name_len), now_ms, out);
  }
}

std::optional<InotifyWatcher::WatchedDir> InotifyWatcher::PlaceWatch(
    int wd, uint32_t mask, const std::string& name, int64_t now_ms,
    std::vector<WatchEvent>* out) {
  using K = WatchEvent::Kind;
  std::unique_lock lock(mu_);
  const WatchTable::Entry* entry = table_.Find(wd);
  if (entry == nullptr) {
    // Perhaps a worker is between inotify_add_watch and recording the wd.
    lock.unlock();
    { std::lock_guard arm_lock(arm_mu_); }
    lock.lock();
    entry = table_.Find(wd);
  }
  if (entry == nullptr) {
    if (!(mask & IN_IGNORED)) Emit(out, K::kUnknownWatch, name, "", now_ms);
    return std::nullopt;
  }
  if (mask & IN_IGNORED) {
    table_.Erase(wd);
    return std::nullopt;
  }
  if (entry->removing) return std::nullopt;
  WatchedDir watched{entry->path, table_.RootOf(entry->path), table_.IsRoot(entry->path)};
  if (mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT)) {
    // A subdirectory's end is told by its parent (kDirDeleted, kMovedFrom)
    // or by its root's kRootGone; its IN_IGNORED cleans up.
    if (!watched.is_root) return std::nullopt;
    UnwatchLocked(table_.WdsOwnedBy(watched.dir));
    lock.unlock();
    Emit(out, K::kRootGone, watched.dir, watched.dir, now_ms);
    return std::nullopt;
  }
  return watched;
}

void InotifyWatcher::HandleEvent(int wd, uint32_t mask, uint32_t cookie, const std::string& name,
                                 int64_t now_ms, std::vector<WatchEvent>* out) {
  using K = WatchEvent::Kind;
  auto emit = [&](K kind, std::string path, std::string root) -> WatchEvent& {
    return Emit(out, kind, std::move(path), std::move(root), now_ms);
  };
  if (mask & IN_Q_OVERFLOW) {
    emit(K::kOverflow, "", "");
    return;
  }
  std::optional<WatchedDir> watched = PlaceWatch(wd, mask, name, now_ms, out);
  if (!watched) return;
  const std::string& dir = watched->dir;
  std::string& root = watched->root;
  const bool is_root_dir = watched->is_root;
  std::string path = JoinPath(dir, name);
  bool is_dir = (mask & IN_ISDIR) != 0;
  bool cookie_file = is_root_dir && !is_dir && name.starts_with(kCookiePrefix);
  if (mask & IN_CREATE) {
    if (cookie_file) {
      emit(K::kCookie, std::move(path), std::move(root));
    } else if (is_dir) {
      for (std::string& created : WalkNewDir(path, root)) {
        emit(K::kDirCreated, std::move(created), root);
      }
    } else {
      emit(K::kCreated, std::move(path), std::move(root));
    }
    return;
  }
  if (cookie_file) return;  // the caller removing or renaming its own cookie
  if (mask & IN_DELETE) {
    emit(is_dir ? K::kDirDeleted : K::kDeleted, std::move(path), std::move(root));
  } else if (mask & IN_MOVED_FROM) {
    WatchEvent& e = emit(K::kMovedFrom, path, std::move(root));
    e.move_cookie = cookie;
    e.is_dir = is_dir;
    if (is_dir) {
      std::lock_guard lock(mu_);
      pending_moves_.push_back(PendingMove{cookie, path, table_.WdsUnder(path), 0});
    }
  } else if (mask & IN_MOVED_TO) {
    WatchEvent& e = emit(K::kMovedTo, path, root);
    e.move_cookie = cookie;
    e.is_dir = is_dir;
    if (is_dir) DirMovedIn(path, root, cookie);
  }
}

std::vector<std::string> InotifyWatcher::WalkNewDir(const std::string& path,
                                                    const std::string& root) {
  dev_t dev;
  {
    std::lock_guard lock(mu_);
    if (!table_.RootDevice(root, &dev)) return {};
  }
  WalkResult result;
  Walk(path, dev, /*follow_top=*/false, &result);
  if (result.no_space > 0) (void)NoteNoSpace(result.no_space);
  return std::move(result.unknown_before);
}

void InotifyWatcher::DirMovedIn(const std::string& path, const std::string& root,
                                uint32_t cookie) {
  auto it = std::find_if(pending_moves_.begin(), pending_moves_.end(),
                         [&](const PendingMove& m) { return m.cookie == cookie; });
  bool known = it != pending_moves_.end() && !it->wds.empty();
  if (known) {
    std::lock_guard lock(mu_);
    table_.Rename(it->from, path);  // the watches followed the inodes
  }
  if (it != pending_moves_.end()) pending_moves_.erase(it);
  if (!known) WalkNewDir(path, root);  // from outside the roots (or never armed): arm it now
}

void InotifyWatcher::ResolveDirMoves() {
  // The two halves of a rename are queued back to back, but a read() may end
  // between them; a kMovedFrom still unmatched after the next read left the roots.
  std::lock_guard lock(mu_);
  for (auto it = pending_moves_.begin(); it != pending_moves_.end();) {
    if (++it->batches < 2) {
      ++it;
      continue;
    }
    std::vector<int> gone;
    for (int wd : it->wds) {
      const WatchTable::Entry* e = table_.Find(wd);
      if (e != nullptr && !e->removing && IsUnder(e->path, it->from)) gone.push_back(wd);
    }
    UnwatchLocked(gone);
    it = pending_moves_.erase(it);
  }
}

}  // namespace recsync
