// WalkFolders: the folder walk both watcher backends arm or learn a root by.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <vector>

#include "tests/support/mounts.h"
#include "tests/support/temp_dir.h"
#include "watcher/folder_walk.h"

using namespace recsync;
using namespace recsync::testing;

namespace {

dev_t DeviceOf(const std::string& path) {
  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_dev;
}

}  // namespace

TEST_CASE("the walk visits every folder below the top, each before its subfolders, no links") {
  TempDir tmp;
  const std::string top = tmp.Sub("rec");
  MakeDirs(top + "/2026/11/24/000001");
  MakeDirs(top + "/2026/11/25");
  WriteFile(top + "/2026/11/24/000001/a.mp4");
  MakeDirs(tmp.Sub("elsewhere/deep"));
  REQUIRE(::symlink(tmp.Sub("elsewhere").c_str(), (top + "/2026/link").c_str()) == 0);

  std::vector<std::string> order;
  std::vector<bool> follows;
  WalkFolders(top, DeviceOf(top), /*follow_top=*/true, [&](const std::string& dir, bool follow) {
    order.push_back(dir);
    follows.push_back(follow);
    return WalkStep::kList;
  });
  const std::set<std::string> seen(order.begin(), order.end());
  CHECK(seen == std::set<std::string>{top, top + "/2026", top + "/2026/11", top + "/2026/11/24",
                                      top + "/2026/11/24/000001", top + "/2026/11/25"});
  CHECK(order.size() == seen.size());
  CHECK(order.front() == top);
  CHECK(follows.front());
  for (size_t i = 1; i < follows.size(); ++i) CHECK_FALSE(follows[i]);
}

TEST_CASE("a skipped folder is not listed, and a stop ends the walk") {
  TempDir tmp;
  const std::string top = tmp.Sub("rec");
  MakeDirs(top + "/a/below");
  MakeDirs(top + "/b");
  std::vector<std::string> visited;
  WalkFolders(top, DeviceOf(top), false, [&](const std::string& dir, bool) {
    visited.push_back(dir);
    return dir == top + "/a" ? WalkStep::kSkip : WalkStep::kList;
  });
  CHECK(std::set<std::string>(visited.begin(), visited.end()) ==
        std::set<std::string>{top, top + "/a", top + "/b"});

  visited.clear();
  WalkFolders(top, DeviceOf(top), false, [&](const std::string& dir, bool) {
    visited.push_back(dir);
    return WalkStep::kStop;
  });
  CHECK(visited == std::vector<std::string>{top});
}

TEST_CASE("the walk does not enter another filesystem mounted below the top") {
  if (!CanMount()) {
    WARN("not run: mounting needs root");
    return;
  }
  TempDir tmp;
  const std::string top = tmp.Sub("rec");
  MakeDirs(top + "/mnt");
  auto mount = ScopedMount::Tmpfs(top + "/mnt");
  MakeDirs(top + "/mnt/inside");
  std::set<std::string> visited;
  WalkFolders(top, DeviceOf(top), true, [&](const std::string& dir, bool) {
    visited.insert(dir);
    return WalkStep::kList;
  });
  CHECK(visited == std::set<std::string>{top});
}
