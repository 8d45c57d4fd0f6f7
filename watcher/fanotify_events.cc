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

void FanotifyWatcher::Decode(const char* buf, size_t len, int64_t now_ms,
                             std::vector<WatchEvent>* out) {
  using K = WatchEvent::Kind;
  auto emit = [&](K kind, std::string path, std::string root) -> WatchEvent& {
    WatchEvent& e = out->emplace_back();
    e.kind = kind;
    e.path = std::move(path);
    e.root = std::move(root);
    e.time_ms = now_ms;
    return e;
  };
  auto root_of = [&](const std::string& dir) {
    std::lock_guard lock(mu_);
    return RootOfLocked(dir);
  };
  auto is_root = [&](const std::string& dir) {
    std::lock_guard lock(mu_);
    return roots_.count(dir) != 0;
  };
  // A placeholder for an event whose directory cannot be placed yet.
  auto defer = [&](K kind, const FidRecord& r, bool is_dir, uint32_t cookie) {
    deferred_.push_back(Deferred{out->size(), r.key, kind, cookie, is_dir});
    emit(K::kUnknownWatch, r.name, "");
  };
  // First pass: the directories this read deletes (see learnt_).
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
    const uint64_t mask = md.mask;
    if (mask & FAN_Q_OVERFLOW) {
      {
        std::lock_guard lock(mu_);
        ++overflows_;  // the cache may now miss directories: see CacheComplete()
      }
      emit(K::kOverflow, "", "");
      continue;
    }
    const bool is_dir = (mask & FAN_ONDIR) != 0;
    if (mask & (FAN_DELETE_SELF | FAN_MOVE_SELF)) {
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
      if (!gone.empty()) emit(K::kRootGone, gone, gone);
      continue;
    }
    auto place = [&](const FidRecord& r, std::string* dir) {
      return r.present ? Resolve(r.key, dir) : Place::kOutside;
    };
    auto cookie_in_root = [&](const std::string& dir, const std::string& name) {
      return !is_dir && name.starts_with(kCookiePrefix) && is_root(dir);
    };
    if (mask & FAN_CREATE) {
      std::string dir;
      const bool cookie_like = rec.dir.name.starts_with(kCookiePrefix);
      Place p = place(rec.dir, &dir);
      // A file made in a directory not learnt yet is not worth a sweep
      // (kUnknownWatch): only a restore could come of it.
      if (p == Place::kUnknown && (is_dir || cookie_like)) {
        defer(is_dir ? K::kDirCreated : K::kCookie, rec.dir, is_dir, 0);
      }
      if (p == Place::kInside) {
        std::string path = JoinPath(dir, rec.dir.name);
        if (!is_dir) {
          if (cookie_like && is_root(dir)) emit(K::kCookie, std::move(path), root_of(dir));
          else if (!cookie_like) emit(K::kCreated, std::move(path), root_of(dir));
        } else {
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
          if (newly) emit(K::kDirCreated, std::move(path), root_of(dir));
        }
      }
    }
    if (mask & FAN_RENAME) {
      std::string from_dir, to_dir;
      const Place pf = place(rec.old_dir, &from_dir);
      const Place pt = place(rec.new_dir, &to_dir);
      const bool from_in = pf == Place::kInside && !cookie_in_root(from_dir, rec.old_dir.name);
      const bool to_in = pt == Place::kInside && !cookie_in_root(to_dir, rec.new_dir.name);
      const std::string from = from_in ? JoinPath(from_dir, rec.old_dir.name) : "";
      const std::string to = to_in ? JoinPath(to_dir, rec.new_dir.name) : "";
      if (from_in || to_in || pf == Place::kUnknown || pt == Place::kUnknown) {
        if (++last_cookie_ == 0) ++last_cookie_;
      }
      if (from_in) {
        WatchEvent& e = emit(K::kMovedFrom, from, root_of(from_dir));
        e.move_cookie = last_cookie_;
        e.is_dir = is_dir;
      } else if (pf == Place::kUnknown) {
        defer(K::kMovedFrom, rec.old_dir, is_dir, last_cookie_);
      }
      if (to_in) {
        WatchEvent& e = emit(K::kMovedTo, to, root_of(to_dir));
        e.move_cookie = last_cookie_;
        e.is_dir = is_dir;
      } else if (pt == Place::kUnknown) {
        defer(K::kMovedTo, rec.new_dir, is_dir, last_cookie_);
      }
      if (is_dir) {
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
        // Moved in from outside: its subdirectories are learnt now, as
        // inotify arms them (a restore by hand; Bluecherry never does it).
        if (to_in && !from_in) Scan(to, dev, nullptr);
      }
    }
    if (mask & FAN_DELETE) {
      std::string dir;
      Place p = place(rec.dir, &dir);
      if (p == Place::kUnknown) defer(is_dir ? K::kDirDeleted : K::kDeleted, rec.dir, is_dir, 0);
      if (p == Place::kInside && !cookie_in_root(dir, rec.dir.name)) {
        std::string path = JoinPath(dir, rec.dir.name);
        if (is_dir) {
          std::lock_guard lock(mu_);
          dirs_.EraseUnder(path);
        }
        emit(is_dir ? K::kDirDeleted : K::kDeleted, std::move(path), root_of(dir));
      }
    }
  }
}

}  // namespace recsync
