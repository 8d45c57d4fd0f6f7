// FanotifyWatcher::Decode: one read's fanotify events into WatchEvents (see
// fanotify_watcher.h for what is reported and how handles become paths).
#include <sys/fanotify.h>
#include <unistd.h>

#include <cstring>

#include <spdlog/spdlog.h>

#include "common/path.h"
#include "watcher/fanotify_internal.h"
#include "watcher/fanotify_watcher.h"

namespace recsync {

using namespace fanotify_internal;
using K = WatchEvent::Kind;

void FanotifyWatcher::Decode(const char* buf, size_t len, int64_t now_ms,
                             std::vector<WatchEvent>* out) {
  LearnDeletedDirs(buf, len);
  Batch batch{out, now_ms};
  size_t off = 0;
  while (off + FAN_EVENT_METADATA_LEN <= len) {
    struct fanotify_event_metadata md;
    std::memcpy(&md, buf + off, sizeof md);
    if (md.event_len < FAN_EVENT_METADATA_LEN || off + md.event_len > len) break;
    if (md.vers != FANOTIFY_METADATA_VERSION) {
      spdlog::error("fanotify: metadata version {}, expected {}", md.vers,
                    FANOTIFY_METADATA_VERSION);
      return;
    }
    if (md.fd >= 0) ::close(md.fd);  // never with file handles; never leak one
    const Records rec = ParseRecords(buf + off + md.metadata_len, md.event_len - md.metadata_len);
    off += md.event_len;
    DecodeEvent(batch, md.mask, rec);
  }
}

// A first pass over the read: the directories it deletes, so that a handle
// gone stale can be placed by its deletion (see learnt_).
void FanotifyWatcher::LearnDeletedDirs(const char* buf, size_t len) {
  for (size_t at = 0; at + FAN_EVENT_METADATA_LEN <= len;) {
    struct fanotify_event_metadata md;
    std::memcpy(&md, buf + at, sizeof md);
    if (md.event_len < FAN_EVENT_METADATA_LEN || at + md.event_len > len) break;
    if ((md.mask & FAN_DELETE) && (md.mask & FAN_ONDIR)) {
      Records r = ParseRecords(buf + at + md.metadata_len, md.event_len - md.metadata_len);
      if (r.self.present && r.dir.present) learnt_[r.self.key] = {r.dir.key, r.dir.name};
    }
    at += md.event_len;
  }
}

void FanotifyWatcher::DecodeEvent(Batch& b, uint64_t mask, const Records& rec) {
  if (mask & FAN_Q_OVERFLOW) {
    {
      std::lock_guard lock(mu_);
      ++overflows_;  // the cache may now miss directories: see CacheComplete()
    }
    Emit(b.out, K::kOverflow, "", "", b.now_ms);
    return;
  }
  if (mask & (FAN_DELETE_SELF | FAN_MOVE_SELF)) {
    DecodeRootSelf(b, rec);
    return;
  }
  const bool is_dir = (mask & FAN_ONDIR) != 0;
  if (mask & FAN_CREATE) DecodeCreate(b, rec, is_dir);
  if (mask & FAN_RENAME) DecodeRename(b, rec, is_dir);
  if (mask & FAN_DELETE) DecodeDelete(b, rec, is_dir);
}

// A root itself deleted or moved away (its inode mark).
void FanotifyWatcher::DecodeRootSelf(Batch& b, const Records& rec) {
  std::string gone;
  {
    std::lock_guard lock(mu_);
    for (const auto& [root, r] : roots_) {
      if ((rec.self.present && rec.self.key == r.handle_key) ||
          (rec.dir.present && rec.dir.key == r.handle_key)) {
        gone = root;
      }
    }
    if (!gone.empty()) ForgetRootLocked(gone);
  }
  if (!gone.empty()) Emit(b.out, K::kRootGone, gone, gone, b.now_ms);
}

void FanotifyWatcher::DecodeCreate(Batch& b, const Records& rec, bool is_dir) {
  std::string dir;
  const bool cookie_like = rec.dir.name.starts_with(kCookiePrefix);
  const Place p = PlaceOf(rec.dir, &dir);
  // A file made in a directory not learnt yet is not worth a sweep
  // (kUnknownWatch): only a restore could come of it.
  if (p == Place::kUnknown && (is_dir || cookie_like)) {
    Defer(b, is_dir ? K::kDirCreated : K::kCookie, rec.dir, is_dir, 0);
  }
  if (p != Place::kInside) return;
  std::string path = JoinPath(dir, rec.dir.name);
  if (!is_dir) {
    if (cookie_like && IsRoot(dir)) Emit(b.out, K::kCookie, std::move(path), RootOf(dir), b.now_ms);
    else if (!cookie_like) Emit(b.out, K::kCreated, std::move(path), RootOf(dir), b.now_ms);
    return;
  }
  std::string key = rec.self.key;
  if (!rec.self.present &&
      PathHandleKey(path, rec.dir.key.substr(0, 8), false, &key, nullptr) != 0) {
    key.clear();
  }
  bool newly = true;
  if (!key.empty()) {
    std::lock_guard lock(mu_);
    newly = dirs_.Put(key, path);
  }
  if (newly) Emit(b.out, K::kDirCreated, std::move(path), RootOf(dir), b.now_ms);
}

void FanotifyWatcher::DecodeRename(Batch& b, const Records& rec, bool is_dir) {
  // Renaming its own cookie is the caller's business, not an event.
  auto cookie_in_root = [&](const std::string& dir, const std::string& name) {
    return !is_dir && name.starts_with(kCookiePrefix) && IsRoot(dir);
  };
  std::string from_dir, to_dir;
  const Place pf = PlaceOf(rec.old_dir, &from_dir);
  const Place pt = PlaceOf(rec.new_dir, &to_dir);
  const bool from_in = pf == Place::kInside && !cookie_in_root(from_dir, rec.old_dir.name);
  const bool to_in = pt == Place::kInside && !cookie_in_root(to_dir, rec.new_dir.name);
  const std::string from = from_in ? JoinPath(from_dir, rec.old_dir.name) : "";
  const std::string to = to_in ? JoinPath(to_dir, rec.new_dir.name) : "";
  if (from_in || to_in || pf == Place::kUnknown || pt == Place::kUnknown) {
    if (++last_cookie_ == 0) ++last_cookie_;
  }
  // Each half: reported under the roots, deferred while its side is unknown.
  auto half = [&](K kind, bool in, Place p, const std::string& path, const std::string& dir,
                  const FidRecord& r) {
    if (in) {
      WatchEvent& e = Emit(b.out, kind, path, RootOf(dir), b.now_ms);
      e.move_cookie = last_cookie_;
      e.is_dir = is_dir;
    } else if (p == Place::kUnknown) {
      Defer(b, kind, r, is_dir, last_cookie_);
    }
  };
  half(K::kMovedFrom, from_in, pf, from, from_dir, rec.old_dir);
  half(K::kMovedTo, to_in, pt, to, to_dir, rec.new_dir);
  if (is_dir) FollowDirRename(from, to, to_dir, rec);
}

void FanotifyWatcher::FollowDirRename(const std::string& from, const std::string& to,
                                      const std::string& to_dir, const Records& rec) {
  const bool from_in = !from.empty(), to_in = !to.empty();
  dev_t dev = 0;
  {
    std::lock_guard lock(mu_);
    outside_.clear();  // a directory that was outside may have moved in
    if (from_in && to_in) {
      dirs_.Rename(from, to);
    } else if (from_in) {
      dirs_.EraseUnder(from, [&](const std::string& p) { return roots_.count(p) != 0; });
    }
    if (to_in && rec.self.present) dirs_.Put(rec.self.key, to);
    if (to_in) dev = roots_[RootOfLocked(to_dir)].dev;
  }
  // Moved in from outside: its subdirectories are learnt now, as inotify
  // arms them (a restore by hand; Bluecherry never does it).
  if (to_in && !from_in) Scan(to, dev, nullptr);
}

void FanotifyWatcher::DecodeDelete(Batch& b, const Records& rec, bool is_dir) {
  std::string dir;
  const Place p = PlaceOf(rec.dir, &dir);
  const K kind = is_dir ? K::kDirDeleted : K::kDeleted;
  if (p == Place::kUnknown) Defer(b, kind, rec.dir, is_dir, 0);
  if (p != Place::kInside) return;
  // Removing its own cookie is the caller's business, not an event.
  if (!is_dir && rec.dir.name.starts_with(kCookiePrefix) && IsRoot(dir)) return;
  std::string path = JoinPath(dir, rec.dir.name);
  if (is_dir) {
    std::lock_guard lock(mu_);
    dirs_.EraseUnder(path);
  }
  Emit(b.out, kind, std::move(path), RootOf(dir), b.now_ms);
}

void FanotifyWatcher::Defer(Batch& b, K kind, const FidRecord& r, bool is_dir,
                            uint32_t move_cookie) {
  deferred_.push_back(Deferred{b.out->size(), r.key, kind, move_cookie, is_dir});
  Emit(b.out, K::kUnknownWatch, r.name, "", b.now_ms);
}

FanotifyWatcher::Place FanotifyWatcher::PlaceOf(const FidRecord& r, std::string* dir) {
  return r.present ? Resolve(r.key, dir) : Place::kOutside;
}

std::string FanotifyWatcher::RootOf(const std::string& dir) const {
  std::lock_guard lock(mu_);
  return RootOfLocked(dir);
}

bool FanotifyWatcher::IsRoot(const std::string& dir) const {
  std::lock_guard lock(mu_);
  return roots_.count(dir) != 0;
}

}  // namespace recsync
