// The loop-thread half of FanotifyWatcher: what each read of the fanotify fd
// and each mount table change give, placing each event's directory handle (see
// fanotify_watcher.h for what is reported and how handles become paths).
#include <fcntl.h>
#include <sys/fanotify.h>
#include <unistd.h>

#include <cstring>
#include <set>

#include "common/path.h"
#include "fs/mount_table.h"
#include "watcher/fanotify_internal.h"
#include "watcher/fanotify_watcher.h"

namespace recsync {

using namespace fanotify_internal;

namespace {

// Handles known to be outside the roots; cleared when full (a cheap bound).
constexpr size_t kMaxOutside = 4096;
// Events held behind an unplaced one before they are delivered anyway.
constexpr size_t kMaxHeld = 100000;

}  // namespace

namespace fanotify_internal {

Records ParseRecords(const char* p, size_t len) {
  Records out;
  size_t off = 0;
  while (off + sizeof(struct fanotify_event_info_header) <= len) {
    struct fanotify_event_info_header hdr;
    std::memcpy(&hdr, p + off, sizeof hdr);
    if (hdr.len < sizeof hdr || off + hdr.len > len) break;
    FidRecord* rec = nullptr;
    bool named = false;
    switch (hdr.info_type) {
      case FAN_EVENT_INFO_TYPE_DFID_NAME: rec = &out.dir; named = true; break;
      case FAN_EVENT_INFO_TYPE_DFID: rec = &out.dir; break;
      case FAN_EVENT_INFO_TYPE_OLD_DFID_NAME: rec = &out.old_dir; named = true; break;
      case FAN_EVENT_INFO_TYPE_NEW_DFID_NAME: rec = &out.new_dir; named = true; break;
      case FAN_EVENT_INFO_TYPE_FID: rec = &out.self; break;
      default: break;
    }
    // Layout: header, 8 bytes of fsid, struct file_handle, then the name.
    const size_t fsid_at = off + sizeof hdr;
    const size_t fh_at = fsid_at + 8;
    if (rec != nullptr && fh_at + sizeof(struct file_handle) <= off + hdr.len) {
      struct file_handle fh;
      std::memcpy(&fh, p + fh_at, sizeof fh);
      const size_t bytes_at = fh_at + sizeof fh;
      if (bytes_at + fh.handle_bytes <= off + hdr.len) {
        rec->present = true;
        rec->key = HandleKey(p + fsid_at, fh.handle_type,
                             reinterpret_cast<const unsigned char*>(p + bytes_at), fh.handle_bytes);
        if (named) {
          const size_t name_at = bytes_at + fh.handle_bytes;
          const size_t room = off + hdr.len - name_at;
          rec->name.assign(p + name_at, ::strnlen(p + name_at, room));
        }
      }
    }
    off += hdr.len;
  }
  return out;
}

}  // namespace fanotify_internal

void FanotifyWatcher::OnRead(const char* buf, size_t len, int64_t now_ms) {
  Decode(buf, len, now_ms, &held_);
  // Events wait behind one that cannot be placed yet, in order, until the
  // queue is drained (OnDrained) or the hold grows too large.
  if (deferred_.empty() || held_.size() > kMaxHeld) FlushHeld();
}

void FanotifyWatcher::OnMountsChanged() {
  // Events read before the unmount come first (after any still held).
  ReadEvents();
  CheckMounts(clock().NowMs(), &held_);
  if (deferred_.empty()) FlushHeld();
}

void FanotifyWatcher::FlushHeld() {
  if (!deferred_.empty()) {
    std::vector<bool> drop(held_.size(), false);
    for (const Deferred& d : deferred_) {
      std::string dir;
      Place p = Resolve(d.dir_key, &dir);
      WatchEvent& e = held_[d.index];
      if (p == Place::kOutside) {
        drop[d.index] = true;
      } else if (p == Place::kInside) {
        e.kind = d.kind;
        e.path = JoinPath(dir, e.path);
        std::lock_guard lock(mu_);
        e.root = RootOfLocked(dir);
        if (d.kind == WatchEvent::Kind::kMovedFrom || d.kind == WatchEvent::Kind::kMovedTo) {
          e.move_cookie = d.move_cookie;
          e.is_dir = d.is_dir;
        }
      }  // else it stays kUnknownWatch, with the entry name as its path
    }
    std::vector<WatchEvent> kept;
    for (size_t i = 0; i < held_.size(); ++i) {
      if (!drop[i]) kept.push_back(std::move(held_[i]));
    }
    held_ = std::move(kept);
    deferred_.clear();
  }
  learnt_.clear();
  if (!held_.empty()) Deliver(std::exchange(held_, {}));
}

void FanotifyWatcher::CheckMounts(int64_t now_ms, std::vector<WatchEvent>* out) {
  // The mount table is the kernel's memory, never the storage's: safe on the loop.
  auto table = ReadMountTable();
  std::set<int> ids;
  if (table.ok()) {
    for (const MountEntry& m : *table) ids.insert(m.mount_id);
  }
  if (ids.empty()) return;  // unreadable: say nothing rather than everything
  std::vector<std::string> gone;
  std::lock_guard lock(mu_);
  for (const auto& [root, r] : roots_) {
    if (r.mount_id >= 0 && ids.count(r.mount_id) == 0) gone.push_back(root);
  }
  for (const auto& root : gone) {
    ForgetRootLocked(root);
    Emit(out, WatchEvent::Kind::kRootGone, root, root, now_ms);
  }
}

std::optional<std::string> FanotifyWatcher::OpenHandlePath(const std::string& key) {
  if (key.size() < 12) return std::nullopt;
  std::string mount_path;
  {
    std::lock_guard lock(mu_);
    for (const auto& [root, r] : roots_) {
      if (r.fsid == key.substr(0, 8)) {
        mount_path = root;
        break;
      }
    }
  }
  if (mount_path.empty()) return std::nullopt;
  union {
    struct file_handle fh;
    char storage[sizeof(struct file_handle) + MAX_HANDLE_SZ];
  } h;
  const size_t bytes = key.size() - 12;
  if (bytes > MAX_HANDLE_SZ) return std::nullopt;
  h.fh.handle_bytes = static_cast<unsigned>(bytes);
  std::memcpy(&h.fh.handle_type, key.data() + 8, sizeof h.fh.handle_type);
  std::memcpy(h.fh.f_handle, key.data() + 12, bytes);
  // Not O_PATH: open_by_handle_at refuses an O_PATH mount_fd (EBADF).
  UniqueFd mount_fd(::open(mount_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!mount_fd.valid()) return std::nullopt;
  UniqueFd dir(::open_by_handle_at(mount_fd.get(), &h.fh, O_PATH | O_CLOEXEC));
  if (!dir.valid()) return std::nullopt;  // ESTALE: gone
  char target[4096];
  const std::string link = "/proc/self/fd/" + std::to_string(dir.get());
  ssize_t n = ::readlink(link.c_str(), target, sizeof target);
  if (n <= 0 || static_cast<size_t>(n) == sizeof target || target[0] != '/') return std::nullopt;
  std::string path(target, static_cast<size_t>(n));
  if (path.ends_with(" (deleted)")) return std::nullopt;
  return path;
}

FanotifyWatcher::Place FanotifyWatcher::Resolve(const std::string& key, std::string* path,
                                                 int depth) {
  {
    std::lock_guard lock(mu_);
    if (const std::string* known = dirs_.Find(key)) {
      *path = *known;
      return RootOfLocked(*known).empty() ? Place::kOutside : Place::kInside;
    }
    if (outside_.count(key) != 0) return Place::kOutside;
  }
  std::optional<std::string> opened = OpenHandlePath(key);
  std::unique_lock lock(mu_);
  if (opened) {
    if (!RootOfLocked(*opened).empty()) {
      dirs_.Put(key, *opened);
      *path = *opened;
      return Place::kInside;
    }
    if (outside_.size() >= kMaxOutside) outside_.clear();
    outside_.insert(key);
    return Place::kOutside;
  }
  // Gone, and not in the cache: where its deletion puts it, if that has been
  // read; else outside the roots if the cache holds every directory under them.
  auto learnt = learnt_.find(key);
  if (learnt == learnt_.end() || depth > 64) {
    return CacheComplete() ? Place::kOutside : Place::kUnknown;
  }
  lock.unlock();  // learnt_ is the loop's own; Resolve locks again
  const auto& [parent_key, name] = learnt->second;
  std::string parent;
  Place p = Resolve(parent_key, &parent, depth + 1);
  if (p == Place::kInside) *path = JoinPath(parent, name);
  return p;
}

}  // namespace recsync
