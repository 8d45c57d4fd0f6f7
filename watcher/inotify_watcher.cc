#include "watcher/inotify_watcher.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace recsync {
namespace {

constexpr uint32_t kWatchMask = IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE |
                                IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_EXCL_UNLINK;
constexpr size_t kReadBufferSize = 64 * 1024;
constexpr int kMaxReadsPerWakeup = 8;  // then let the loop serve other handles

// A path fit for one log line: control bytes escaped.
std::string LogSafe(const std::string& path) {
  std::string out;
  for (unsigned char c : path) {
    if (c < 0x20 || c == 0x7f) out += fmt::format("\\x{:02x}", c);
    else out += static_cast<char>(c);
  }
  return out;
}

struct DirCloser {
  void operator()(DIR* d) const { ::closedir(d); }
};

}  // namespace

std::string CookiePath(const std::string& root, const std::string& token) {
  return JoinPath(NormalizeRoot(root), std::string(kCookiePrefix).append(token));
}

std::optional<uint64_t> ReadMaxUserWatches(const std::string& file) {
  std::ifstream in(file);
  std::string text;
  if (!(in >> text) || text.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (errno != 0 || *end != '\0') return std::nullopt;
  return static_cast<uint64_t>(v);
}

std::string WatchLimitMessage(std::optional<uint64_t> limit, uint64_t needed) {
  std::string current = limit ? fmt::format("is {}", *limit) : std::string("could not be read");
  uint64_t suggest = limit ? *limit + needed : needed * 2;
  return fmt::format(
      "inotify watch limit reached: fs.inotify.max_user_watches {} but recsync needs at "
      "least {} watches (one per directory under the storage roots); raise it (sysctl -w "
      "fs.inotify.max_user_watches={}, and persist it in /etc/sysctl.d/); until then "
      "deleted recordings are found only by the periodic sweep",
      current, needed, suggest);
}

Result<std::unique_ptr<InotifyWatcher>> InotifyWatcher::Create(uv_loop_t* loop, Sink sink,
                                                               Options options) {
  UniqueFd fd(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (!fd.valid()) {
    int err = errno;
    return ErrnoStatus(err, "inotify_init1 (see fs.inotify.max_user_instances)");
  }
  if (!options.add_watch) {
    options.add_watch = [](int ifd, const char* path, uint32_t mask) {
      return ::inotify_add_watch(ifd, path, mask);
    };
  }
  if (!options.max_user_watches) options.max_user_watches = [] { return ReadMaxUserWatches(); };
  std::unique_ptr<InotifyWatcher> w(
      new InotifyWatcher(std::move(sink), std::move(options), std::move(fd)));
  auto* poll = new uv_poll_t;
  int rc = uv_poll_init(loop, poll, w->fd_.get());
  if (rc != 0) {
    delete poll;  // never initialised, so no uv_close
    return Status(Code::kIo, fmt::format("uv_poll_init on the inotify fd: {}", uv_strerror(rc)));
  }
  poll->data = w.get();
  w->poll_ = poll;
  rc = uv_poll_start(poll, UV_READABLE, &InotifyWatcher::OnPoll);
  if (rc != 0) {
    return Status(Code::kIo, fmt::format("uv_poll_start on the inotify fd: {}", uv_strerror(rc)));
  }
  return w;
}

InotifyWatcher::InotifyWatcher(Sink sink, Options options, UniqueFd fd)
    : sink_(std::move(sink)),
      options_(std::move(options)),
      fd_(std::move(fd)),
      buf_(kReadBufferSize) {}

InotifyWatcher::~InotifyWatcher() {
  if (poll_ != nullptr) {
    // Closing a poll handle takes the fd out of the loop's epoll set at once,
    // so fd_ may be closed right after; the memory goes in the close callback.
    poll_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(poll_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
  }
}

void InotifyWatcher::Pause() {
  if (paused_ || poll_ == nullptr) return;
  paused_ = true;
  uv_poll_stop(poll_);
}

void InotifyWatcher::Resume() {
  if (!paused_ || poll_ == nullptr) return;
  paused_ = false;
  int rc = uv_poll_start(poll_, UV_READABLE, &InotifyWatcher::OnPoll);
  if (rc != 0) spdlog::error("inotify: uv_poll_start: {}", uv_strerror(rc));
}

size_t InotifyWatcher::watch_count() const {
  std::lock_guard lock(mu_);
  return table_.live_count();
}

bool InotifyWatcher::degraded() const {
  std::lock_guard lock(mu_);
  return degraded_;
}

std::string InotifyWatcher::degraded_reason() const {
  std::lock_guard lock(mu_);
  return degraded_reason_;
}

Status InotifyWatcher::AddRoot(const std::string& root_in) {
  std::string root = NormalizeRoot(root_in);
  if (root.empty() || root[0] != '/') {
    return Status(Code::kInvalid, fmt::format("watch root {}: not an absolute path", LogSafe(root)));
  }
  struct stat st;
  if (::stat(root.c_str(), &st) != 0) {
    int err = errno;
    return ErrnoStatus(err, fmt::format("watch root {}", LogSafe(root)));
  }
  if (!S_ISDIR(st.st_mode)) {
    return Status(Code::kInvalid, fmt::format("watch root {}: not a directory", LogSafe(root)));
  }
  bool was_root;
  {
    std::lock_guard lock(mu_);
    was_root = table_.IsRoot(root);
    table_.AddRoot(root, st.st_dev);
  }
  WalkResult result;
  int top_err = Walk(root, st.st_dev, /*follow_top=*/true, &result);
  if (top_err != 0 && top_err != ENOSPC) {
    if (!was_root) {
      std::lock_guard lock(mu_);
      table_.RemoveRoot(root);
    }
    return ErrnoStatus(top_err, fmt::format("inotify_add_watch {}", LogSafe(root)));
  }
  if (result.no_space > 0) return NoteNoSpace(result.no_space);
  return Status::Ok();
}

Status InotifyWatcher::RemoveRoot(const std::string& root_in) {
  std::string root = NormalizeRoot(root_in);
  std::lock_guard lock(mu_);
  if (!table_.IsRoot(root)) {
    return Status(Code::kNotFound, fmt::format("not a watched root: {}", LogSafe(root)));
  }
  UnwatchLocked(table_.WdsOwnedBy(root));
  table_.RemoveRoot(root);
  return Status::Ok();
}

Status InotifyWatcher::NoteNoSpace(uint64_t missing) {
  std::optional<uint64_t> limit = options_.max_user_watches();
  std::string msg;
  {
    std::lock_guard lock(mu_);
    msg = WatchLimitMessage(limit, table_.live_count() + missing);
    degraded_ = true;
    degraded_reason_ = msg;
  }
  spdlog::error("{}", msg);
  return Status(Code::kIo, msg);
}

int InotifyWatcher::Arm(const std::string& path, bool follow, bool* newly) {
  uint32_t mask = kWatchMask | (follow ? 0u : static_cast<uint32_t>(IN_DONT_FOLLOW));
  // arm_mu_ spans add_watch and the table entry, so the loop thread, meeting a
  // wd it does not know, can wait for arms in flight before calling it unknown.
  std::lock_guard arm_lock(arm_mu_);
  int wd = options_.add_watch(fd_.get(), path.c_str(), mask);
  if (wd < 0) {
    int err = errno;
    *newly = true;
    return err;
  }
  std::lock_guard lock(mu_);
  *newly = table_.Put(wd, path);
  return 0;
}

int InotifyWatcher::Walk(const std::string& top, dev_t dev, bool follow_top,
                         WalkResult* result) {
  std::vector<std::string> stack{top};
  bool is_top = true;
  int top_err = 0;
  while (!stack.empty()) {
    std::string dir = std::move(stack.back());
    stack.pop_back();
    bool follow = is_top && follow_top;
    bool newly = false;
    int err = Arm(dir, follow, &newly);
    if (is_top) top_err = err;
    is_top = false;
    if (err == ENOENT || err == ENOTDIR) continue;  // gone or replaced meanwhile
    if (newly) result->unknown_before.push_back(dir);
    if (err == ENOSPC) {
      ++result->no_space;  // keep listing: to count what is needed, and arm what still fits
    } else if (err != 0) {
      spdlog::warn("inotify: cannot watch {}: {}", LogSafe(dir), ErrnoText(err));
      if (dir == top) return top_err;
      continue;
    }
    int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
    if (dfd < 0) continue;
    std::unique_ptr<DIR, DirCloser> d(::fdopendir(dfd));
    if (!d) {
      ::close(dfd);
      continue;
    }
    while (struct dirent* ent = ::readdir(d.get())) {
      if (ent->d_type != DT_DIR && ent->d_type != DT_UNKNOWN) continue;
      if (std::strcmp(ent->d_name, ".") == 0 || std::strcmp(ent->d_name, "..") == 0) continue;
      struct stat st;
      if (::fstatat(dfd, ent->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      if (!S_ISDIR(st.st_mode) || st.st_dev != dev) continue;  // another mount: not ours
      stack.push_back(JoinPath(dir, ent->d_name));
    }
  }
  return top_err;
}

void InotifyWatcher::UnwatchLocked(const std::vector<int>& wds) {
  for (int wd : wds) {
    ::inotify_rm_watch(fd_.get(), wd);  // EINVAL: already gone; its IN_IGNORED is queued
    table_.MarkRemoving(wd);
  }
}

void InotifyWatcher::OnPoll(uv_poll_t* handle, int status, int /*events*/) {
  auto* self = static_cast<InotifyWatcher*>(handle->data);
  if (self == nullptr) return;
  if (status < 0) {
    spdlog::error("inotify: poll failed: {}", uv_strerror(status));
    return;
  }
  self->ReadEvents();
}

void InotifyWatcher::ReadEvents() {
  const Clock* clock = options_.clock;
  static const SystemClock system_clock;
  if (clock == nullptr) clock = &system_clock;
  for (int i = 0; i < kMaxReadsPerWakeup && !paused_; ++i) {
    ssize_t n = ::read(fd_.get(), buf_.data(), buf_.size());
    if (n < 0) {
      int err = errno;
      if (err == EINTR) continue;
      if (err != EAGAIN) spdlog::error("inotify: read: {}", ErrnoText(err));
      return;
    }
    if (n == 0) return;
    std::vector<WatchEvent> events;
    Decode(buf_.data(), static_cast<size_t>(n), clock->NowMs(), &events);
    ResolveDirMoves();
    if (!events.empty()) sink_(std::move(events));
  }
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

void InotifyWatcher::HandleEvent(int wd, uint32_t mask, uint32_t cookie, const std::string& name,
                                 int64_t now_ms, std::vector<WatchEvent>* out) {
  using K = WatchEvent::Kind;
  auto emit = [&](K kind, std::string path, std::string root) -> WatchEvent& {
    WatchEvent& e = out->emplace_back();
    e.kind = kind;
    e.path = std::move(path);
    e.root = std::move(root);
    e.time_ms = now_ms;
    return e;
  };
  if (mask & IN_Q_OVERFLOW) {
    emit(K::kOverflow, "", "");
    return;
  }
  std::string dir, root;
  bool is_root_dir = false;
  {
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
      if (!(mask & IN_IGNORED)) emit(K::kUnknownWatch, name, "");
      return;
    }
    if (mask & IN_IGNORED) {
      table_.Erase(wd);
      return;
    }
    if (entry->removing) return;
    dir = entry->path;
    root = table_.RootOf(dir);
    is_root_dir = table_.IsRoot(dir);
    if (mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT)) {
      // A subdirectory's end is told by its parent (kDirDeleted, kMovedFrom)
      // or by its root's kRootGone; its IN_IGNORED cleans up.
      if (!is_root_dir) return;
      UnwatchLocked(table_.WdsOwnedBy(dir));
      lock.unlock();
      emit(K::kRootGone, dir, dir);
      return;
    }
  }
  std::string path = JoinPath(dir, name);
  bool is_dir = (mask & IN_ISDIR) != 0;
  bool cookie_file = is_root_dir && !is_dir && name.starts_with(kCookiePrefix);
  if (mask & IN_CREATE) {
    if (cookie_file) {
      emit(K::kCookie, std::move(path), std::move(root));
    } else if (is_dir) {
      for (std::string& created : WalkNewDir(path, root)) emit(K::kDirCreated, std::move(created), root);
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
      if (e != nullptr && !e->removing && PathIsUnder(e->path, it->from)) gone.push_back(wd);
    }
    UnwatchLocked(gone);
    it = pending_moves_.erase(it);
  }
}

}  // namespace recsync
