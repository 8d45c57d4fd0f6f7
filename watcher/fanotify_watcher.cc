#include "watcher/fanotify_watcher.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/path.h"
#include "common/text.h"
#include "watcher/fanotify_internal.h"
#include "watcher/folder_walk.h"

namespace recsync {
namespace fanotify_internal {

std::string HandleKey(const void* fsid8, int handle_type, const unsigned char* bytes,
                      unsigned handle_bytes) {
  std::string key(static_cast<const char*>(fsid8), 8);
  key.append(reinterpret_cast<const char*>(&handle_type), sizeof handle_type);
  key.append(reinterpret_cast<const char*>(bytes), handle_bytes);
  return key;
}

int PathHandleKey(const std::string& path, const std::string& fsid8, bool follow,
                  std::string* key, int* mount_id) {
  union {
    struct file_handle fh;
    char storage[sizeof(struct file_handle) + MAX_HANDLE_SZ];
  } h;
  h.fh.handle_bytes = MAX_HANDLE_SZ;
  int mnt = -1;
  if (::name_to_handle_at(AT_FDCWD, path.c_str(), &h.fh, &mnt, follow ? AT_SYMLINK_FOLLOW : 0) !=
      0) {
    return errno;
  }
  *key = HandleKey(fsid8.data(), h.fh.handle_type, h.fh.f_handle, h.fh.handle_bytes);
  if (mount_id != nullptr) *mount_id = mnt;
  return 0;
}

int FsidOf(const std::string& path, std::string* fsid8, int64_t* fs_type) {
  struct statfs sfs;
  if (::statfs(path.c_str(), &sfs) != 0) return errno;
  static_assert(sizeof(sfs.f_fsid) == 8);
  fsid8->assign(reinterpret_cast<const char*>(&sfs.f_fsid), 8);
  *fs_type = static_cast<int64_t>(sfs.f_type);
  return 0;
}

std::string FsTypeName(int64_t fs_type) {
  switch (static_cast<uint64_t>(fs_type)) {
    case 0x01021994: return "tmpfs";
    case 0x794c7630: return "overlayfs";
    case 0x6969: return "nfs";
    case 0x65735546: return "fuse";
    case 0xff534d42: return "cifs";
    case 0xef53: return "ext2/3/4";
    case 0x58465342: return "xfs";
    case 0x9123683e: return "btrfs";
    default: return fmt::format("type {:#x}", static_cast<uint64_t>(fs_type));
  }
}

std::string InitErrorText(int err) {
  if (err == EPERM) return "fanotify needs CAP_SYS_ADMIN (run as root; see recsync.service)";
  if (err == EINVAL) {
    return "this kernel cannot report renames with file handles (FAN_REPORT_DFID_NAME_TARGET, "
           "FAN_RENAME: Linux >= 5.17)";
  }
  if (err == ENOSYS) return "this kernel has no fanotify (CONFIG_FANOTIFY)";
  return fmt::format("fanotify_init: {}", ErrnoText(err));
}

std::string MarkErrorText(const std::string& root, int err) {
  std::string fsid;
  int64_t type = 0;
  std::string fs = FsidOf(root, &fsid, &type) == 0 ? FsTypeName(type) : "unknown";
  std::string why;
  if (err == ENODEV || err == EOPNOTSUPP || err == EXDEV) {
    why = fmt::format("its filesystem ({}) does not report file handles to fanotify", fs);
  } else if (err == EINVAL) {
    why = "this kernel cannot report renames (FAN_RENAME: Linux >= 5.17)";
  } else {
    why = ErrnoText(err);
  }
  return fmt::format("fanotify cannot watch {}: {}; use watcher = \"inotify\"",
                     PrintableText(root), why);
}

}  // namespace fanotify_internal

using namespace fanotify_internal;

namespace {

// Large enough that an rm -rf usually fits in one read with the deletion of
// its directories (see learnt_).
constexpr size_t kReadBufferSize = 256 * 1024;

}  // namespace

Result<std::unique_ptr<FanotifyWatcher>> FanotifyWatcher::Create(uv_loop_t* loop, Sink sink,
                                                                 Options options) {
  UniqueFd fd(::fanotify_init(kInitFlags, kEventFlags));
  if (!fd.valid()) {
    int err = errno;
    return Status(Code::kInvalid, InitErrorText(err));
  }
  std::unique_ptr<FanotifyWatcher> w(
      new FanotifyWatcher(std::move(sink), options, std::move(fd)));
  if (Status polling = w->StartPolling(loop); !polling.ok()) return polling;
  MountWatcher* mounts = options.mounts;
  if (mounts == nullptr) {
    auto own = MountWatcher::Start(loop);
    if (own.ok()) {
      w->own_mounts_ = std::move(*own);
      mounts = w->own_mounts_.get();
    } else {
      // Unmounts are then left to the caller's own checks (the daemon has them).
      spdlog::warn("fanotify: {}; unmounted roots are not reported", own.status().message());
    }
  }
  if (mounts != nullptr) {
    w->mounts_changed_ = mounts->Subscribe([self = w.get()] { self->OnMountsChanged(); });
  }
  return w;
}

FanotifyWatcher::FanotifyWatcher(Sink sink, Options options, UniqueFd fd)
    : WatcherBase(std::move(sink), options.clock, std::move(fd), kReadBufferSize) {}

size_t FanotifyWatcher::watch_count() const {
  std::lock_guard lock(mu_);
  return fs_roots_.size() + roots_.size();
}

Status FanotifyWatcher::AddRoot(const std::string& root_in) {
  auto checked = CheckRoot(root_in);
  if (!checked.ok()) return checked.status();
  const std::string& root = checked->path;
  Root r;
  r.dev = checked->dev;
  int64_t fs_type = 0;
  int err = FsidOf(root, &r.fsid, &fs_type);
  if (err == 0) err = PathHandleKey(root, r.fsid, /*follow=*/true, &r.handle_key, &r.mount_id);
  // Marking again is harmless (FAN_MARK_ADD ors the masks), so no lock is
  // held across these calls, which touch the storage.
  if (err == 0 && ::fanotify_mark(fd(), FAN_MARK_ADD | FAN_MARK_FILESYSTEM, kFsMask, AT_FDCWD,
                                  root.c_str()) != 0) {
    err = errno;
  }
  if (err == 0 && ::fanotify_mark(fd(), FAN_MARK_ADD | FAN_MARK_ONLYDIR, kRootMask, AT_FDCWD,
                                  root.c_str()) != 0) {
    err = errno;
  }
  if (err != 0) {
    std::string msg = MarkErrorText(root, err);
    if (err == ENOENT || err == ENOTDIR) return ErrnoStatus(err, msg);  // vanished meanwhile
    MarkDegraded(msg);
    return Status(Code::kIo, msg);
  }
  uint64_t start;
  {
    std::lock_guard lock(mu_);
    auto old = roots_.find(root);
    if (old != roots_.end() && --fs_roots_[old->second.fsid] == 0) fs_roots_.erase(old->second.fsid);
    ++fs_roots_[r.fsid];
    roots_[root] = r;
    outside_.clear();  // what was outside may lie under the new root
    dirs_.Put(r.handle_key, root);
    ++scans_;
    start = overflows_;
  }
  Scan(root, checked->dev, nullptr);
  std::lock_guard lock(mu_);
  --scans_;
  clean_through_ = std::max(clean_through_, start);
  return Status::Ok();
}

Status FanotifyWatcher::RemoveRoot(const std::string& root_in) {
  std::string root = NormalizeRoot(root_in);
  std::lock_guard lock(mu_);
  if (roots_.count(root) == 0) {
    return Status(Code::kNotFound, fmt::format("not a watched root: {}", PrintableText(root)));
  }
  ForgetRootLocked(root);
  return Status::Ok();
}

void FanotifyWatcher::ForgetRootLocked(const std::string& root) {
  auto it = roots_.find(root);
  if (it == roots_.end()) return;
  const Root r = it->second;
  roots_.erase(it);
  // Fails when the root is gone; its inode mark went with the inode.
  ::fanotify_mark(fd(), FAN_MARK_REMOVE, kRootMask, AT_FDCWD, root.c_str());
  dirs_.EraseUnder(root, [&](const std::string& p) { return !RootOfLocked(p).empty(); });
  if (--fs_roots_[r.fsid] > 0) return;
  fs_roots_.erase(r.fsid);
  // The filesystem mark is removed through any path still on that
  // filesystem: the root, or the nearest ancestor on the same device. An
  // unmounted filesystem took its mark with it.
  for (std::string p = root;; p = p.substr(0, std::max<size_t>(p.rfind('/'), 1))) {
    struct stat st;
    if (::stat(p.c_str(), &st) == 0) {
      if (st.st_dev == r.dev) {
        ::fanotify_mark(fd(), FAN_MARK_REMOVE | FAN_MARK_FILESYSTEM, kFsMask, AT_FDCWD,
                        p.c_str());
      }
      break;
    }
    if (p == "/") break;
  }
}

std::string FanotifyWatcher::RootOfLocked(const std::string& path) const {
  auto* root = InnermostRoot(path, roots_, RootHolds::kItselfAndBelow,
                             [](const auto& entry) -> const std::string& { return entry.first; });
  return root ? root->first : std::string();
}

bool FanotifyWatcher::CacheComplete() const { return scans_ == 0 && clean_through_ == overflows_; }

void FanotifyWatcher::Scan(const std::string& top, dev_t dev, std::vector<std::string>* report) {
  std::string fsid;
  int64_t fs_type;
  if (FsidOf(top, &fsid, &fs_type) != 0) return;
  WalkFolders(top, dev, /*follow_top=*/true, [&](const std::string& dir, bool follow) {
    std::string key;
    if (PathHandleKey(dir, fsid, follow, &key, nullptr) != 0) return WalkStep::kSkip;
    std::lock_guard lock(mu_);
    // An entry the events put there is newer than this listing.
    if (dirs_.Find(key) == nullptr) {
      dirs_.Put(key, dir);
      if (report != nullptr) report->push_back(dir);
    }
    return WalkStep::kList;
  });
}

}  // namespace recsync
