#include "watcher/folder_walk.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "common/path.h"
#include "common/unique_fd.h"

namespace recsync {
namespace {

// Pushes the subdirectories of `dir` (open as `dfd`) that lie on `dev`.
void PushSubdirs(const std::string& dir, int dfd, DIR* d, dev_t dev,
                 std::vector<std::string>* stack) {
  while (struct dirent* ent = ::readdir(d)) {
    if (ent->d_type != DT_DIR && ent->d_type != DT_UNKNOWN) continue;
    if (std::strcmp(ent->d_name, ".") == 0 || std::strcmp(ent->d_name, "..") == 0) continue;
    struct stat st;
    if (::fstatat(dfd, ent->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (!S_ISDIR(st.st_mode) || st.st_dev != dev) continue;  // another mount: not ours
    stack->push_back(JoinPath(dir, ent->d_name));
  }
}

}  // namespace

void WalkFolders(const std::string& top, dev_t dev, bool follow_top,
                 const std::function<WalkStep(const std::string& dir, bool follow)>& visit) {
  std::vector<std::string> stack{top};
  bool is_top = true;
  while (!stack.empty()) {
    std::string dir = std::move(stack.back());
    stack.pop_back();
    const bool follow = is_top && follow_top;
    is_top = false;
    const WalkStep step = visit(dir, follow);
    if (step == WalkStep::kStop) return;
    if (step == WalkStep::kSkip) continue;
    const int dfd =
        ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
    if (dfd < 0) continue;
    UniqueDir d(::fdopendir(dfd));
    if (!d) {
      ::close(dfd);
      continue;
    }
    PushSubdirs(dir, dfd, d.get(), dev, &stack);
  }
}

}  // namespace recsync
