#include "watcher/inotify_watcher.h"

#include <sys/inotify.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/path.h"
#include "common/text.h"
#include "watcher/folder_walk.h"

namespace recsync {
namespace {

constexpr uint32_t kWatchMask = IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE |
                                IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_EXCL_UNLINK;
constexpr size_t kReadBufferSize = 64 * 1024;

}  // namespace

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
  if (Status polling = w->StartPolling(loop); !polling.ok()) return polling;
  return w;
}

InotifyWatcher::InotifyWatcher(Sink sink, Options options, UniqueFd fd)
    : WatcherBase(std::move(sink), options.clock, std::move(fd), kReadBufferSize),
      options_(std::move(options)) {}

size_t InotifyWatcher::watch_count() const {
  std::lock_guard lock(mu_);
  return table_.live_count();
}

Status InotifyWatcher::AddRoot(const std::string& root_in) {
  auto checked = CheckRoot(root_in);
  if (!checked.ok()) return checked.status();
  const std::string& root = checked->path;
  bool was_root;
  {
    std::lock_guard lock(mu_);
    was_root = table_.IsRoot(root);
    table_.AddRoot(root, checked->dev);
  }
  // Armed again (after an overflow, or the root coming back): watches of
  // directories deleted meanwhile may be gone with their IN_IGNORED lost.
  if (was_root) DropDeadWatches();
  WalkResult result;
  int top_err = Walk(root, checked->dev, /*follow_top=*/true, &result);
  if (top_err != 0 && top_err != ENOSPC) {
    if (!was_root) {
      std::lock_guard lock(mu_);
      table_.RemoveRoot(root);
    }
    return ErrnoStatus(top_err, fmt::format("inotify_add_watch {}", PrintableText(root)));
  }
  if (result.no_space > 0) return NoteNoSpace(result.no_space);
  return Status::Ok();
}

void InotifyWatcher::DropDeadWatches() {
  std::lock_guard arm_lock(arm_mu_);  // no wd is added while the kernel's list is read
  std::ifstream in("/proc/self/fdinfo/" + std::to_string(fd()));
  if (!in) return;
  std::set<int> live;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with("inotify wd:")) continue;
    live.insert(std::atoi(line.c_str() + std::strlen("inotify wd:")));
  }
  std::lock_guard lock(mu_);
  if (const size_t dropped = table_.Retain(live); dropped > 0) {
    spdlog::debug("inotify: {} watches of directories gone meanwhile dropped", dropped);
  }
}

Status InotifyWatcher::RemoveRoot(const std::string& root_in) {
  std::string root = NormalizeRoot(root_in);
  std::lock_guard lock(mu_);
  if (!table_.IsRoot(root)) {
    return Status(Code::kNotFound, fmt::format("not a watched root: {}", PrintableText(root)));
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
    // A lower bound; kept as the largest seen, so a later small failure does
    // not understate it.
    watches_needed_ = std::max<uint64_t>(watches_needed_, table_.live_count() + missing);
    msg = WatchLimitMessage(limit, watches_needed_);
  }
  MarkDegraded(msg);
  return Status(Code::kIo, msg);
}

int InotifyWatcher::Arm(const std::string& path, bool follow, bool* newly) {
  uint32_t mask = kWatchMask | (follow ? 0u : static_cast<uint32_t>(IN_DONT_FOLLOW));
  // arm_mu_ spans add_watch and the table entry, so the loop thread, meeting a
  // wd it does not know, can wait for arms in flight before calling it unknown.
  std::lock_guard arm_lock(arm_mu_);
  int wd = options_.add_watch(fd(), path.c_str(), mask);
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
  int top_err = 0;
  WalkFolders(top, dev, follow_top, [&](const std::string& dir, bool follow) {
    bool newly = false;
    const int err = Arm(dir, follow, &newly);
    if (dir == top) top_err = err;
    if (err == ENOENT || err == ENOTDIR) return WalkStep::kSkip;  // gone or replaced meanwhile
    if (newly) result->unknown_before.push_back(dir);
    if (err == ENOSPC) {
      ++result->no_space;  // keep listing: to count what is needed, and arm what still fits
      return WalkStep::kList;
    }
    if (err != 0) {
      spdlog::warn("inotify: cannot watch {}: {}", PrintableText(dir), ErrnoText(err));
      return dir == top ? WalkStep::kStop : WalkStep::kSkip;
    }
    return WalkStep::kList;
  });
  return top_err;
}

void InotifyWatcher::UnwatchLocked(const std::vector<int>& wds) {
  for (int wd : wds) {
    ::inotify_rm_watch(fd(), wd);  // EINVAL: already gone; its IN_IGNORED is queued
    table_.MarkRemoving(wd);
  }
}

}  // namespace recsync
