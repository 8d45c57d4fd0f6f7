#include "watcher/watcher.h"

#include <fcntl.h>
#include <sys/fanotify.h>

#include <cerrno>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/path.h"
#include "common/text.h"
#include "watcher/fanotify_internal.h"
#include "watcher/fanotify_watcher.h"
#include "watcher/inotify_watcher.h"
#include "common/unique_fd.h"

namespace recsync {

using namespace fanotify_internal;

std::string CookiePath(const std::string& root, const std::string& token) {
  return JoinPath(NormalizeRoot(root), std::string(kCookiePrefix).append(token));
}

std::string FanotifyUnavailableReason(const std::vector<std::string>& roots) {
  UniqueFd fd(::fanotify_init(kInitFlags, kEventFlags));
  if (!fd.valid()) return InitErrorText(errno);
  for (const auto& root_in : roots) {
    const std::string root = NormalizeRoot(root_in);
    int err = 0;
    if (::fanotify_mark(fd.get(), FAN_MARK_ADD | FAN_MARK_FILESYSTEM, kFsMask, AT_FDCWD,
                        root.c_str()) != 0) {
      err = errno;
    }
    // The cache needs the roots' directories' handles too.
    std::string fsid, key;
    int64_t fs_type = 0;
    if (err == 0) err = FsidOf(root, &fsid, &fs_type);
    if (err == 0) err = PathHandleKey(root, fsid, /*follow=*/true, &key, nullptr);
    if (err == ENOENT || err == ENOTDIR) continue;  // cannot be judged until it exists
    if (err != 0) return MarkErrorText(root, err);
    // Closing the probe's fd drops its marks; removing them now keeps it explicit.
    ::fanotify_mark(fd.get(), FAN_MARK_REMOVE | FAN_MARK_FILESYSTEM, kFsMask, AT_FDCWD,
                    root.c_str());
  }
  return "";
}

Result<WatcherChoice> ChooseWatcher(const std::string& kind,
                                    const std::vector<std::string>& roots) {
  if (kind == "inotify") return WatcherChoice{"inotify", ""};
  if (kind != "fanotify" && kind != "auto") {
    return Status(Code::kInvalid, fmt::format("unknown watcher \"{}\"; expected auto, inotify "
                                              "or fanotify", PrintableText(kind)));
  }
  std::string why = FanotifyUnavailableReason(roots);
  if (why.empty()) return WatcherChoice{"fanotify", ""};
  if (kind == "fanotify") return Status(Code::kInvalid, "watcher = \"fanotify\": " + why);
  return WatcherChoice{"inotify", why};
}

Result<std::unique_ptr<Watcher>> CreateWatcher(uv_loop_t* loop, Watcher::Sink sink,
                                               const std::string& kind,
                                               const std::vector<std::string>& roots,
                                               MountWatcher* mounts) {
  auto choice = ChooseWatcher(kind, roots);
  if (!choice.ok()) return choice.status();
  if (choice->backend == "fanotify") {
    FanotifyWatcher::Options options;
    options.mounts = mounts;
    auto w = FanotifyWatcher::Create(loop, std::move(sink), options);
    if (!w.ok()) return w.status();
    return std::unique_ptr<Watcher>(std::move(*w));
  }
  if (!choice->reason.empty()) {
    spdlog::info("watcher: using inotify, not fanotify: {}", choice->reason);
  }
  auto w = InotifyWatcher::Create(loop, std::move(sink));
  if (!w.ok()) return w.status();
  return std::unique_ptr<Watcher>(std::move(*w));
}

}  // namespace recsync
