#include <catch2/catch.hpp>

#include "tests/support/temp_dir.h"
#include "watcher/inotify_watcher.h"
#include "watcher/watch_table.h"

namespace recsync {
namespace {

using testing::TempDir;
using testing::WriteFile;

TEST_CASE("path helpers compare components and join without doubled slashes", "[watcher]") {
  CHECK(IsUnder("/a/b", "/a/b"));
  CHECK(IsUnder("/a/b/c", "/a/b"));
  CHECK_FALSE(IsUnder("/a/bc", "/a/b"));
  CHECK_FALSE(IsUnder("/a", "/a/b"));
  CHECK(IsUnder("/x", "/"));
  CHECK(JoinPath("/a", "b") == "/a/b");
  CHECK(JoinPath("/", "b") == "/b");
  CHECK(NormalizeRoot("/srv/rec//") == "/srv/rec");
  CHECK(NormalizeRoot("/") == "/");
  CHECK(CookiePath("/srv/rec/", "42") == "/srv/rec/.recsync-cookie-42");
}

TEST_CASE("WatchTable maps wds to paths and paths to the innermost root", "[watcher]") {
  WatchTable t;
  t.AddRoot("/srv/a", 1);
  t.AddRoot("/srv/a/nested", 2);
  CHECK(t.RootOf("/srv/a/2026/01") == "/srv/a");
  CHECK(t.RootOf("/srv/a/nested/x") == "/srv/a/nested");
  CHECK(t.RootOf("/srv/ab") == "");
  CHECK(t.Put(1, "/srv/a"));
  CHECK(t.Put(2, "/srv/a/d"));
  CHECK(t.Put(3, "/srv/a/d/e"));
  CHECK(t.Put(4, "/srv/a/nested"));
  CHECK_FALSE(t.Put(2, "/srv/a/d"));  // the same inode again
  CHECK(t.live_count() == 4);

  t.Rename("/srv/a/d", "/srv/a/moved");
  CHECK(t.Find(2)->path == "/srv/a/moved");
  CHECK(t.Find(3)->path == "/srv/a/moved/e");
  CHECK(t.WdsUnder("/srv/a/moved").size() == 2);

  auto owned = t.WdsOwnedBy("/srv/a");  // the nested root keeps its watch
  CHECK(owned.size() == 3);
  CHECK(t.WdsOwnedBy("/srv/a/nested").size() == 0);  // the outer root still covers it

  t.MarkRemoving(3);
  CHECK(t.live_count() == 3);
  CHECK(t.Find(3)->removing);
  t.Erase(3);
  CHECK(t.Find(3) == nullptr);
  CHECK(t.live_count() == 3);
  t.Erase(2);
  CHECK(t.live_count() == 2);
}

TEST_CASE("the ENOSPC message names the sysctl, its value and the watches needed", "[watcher]") {
  CHECK(WatchLimitMessage(8192, 12345) ==
        "inotify watch limit reached: fs.inotify.max_user_watches is 8192 but recsync needs "
        "at least 12345 watches (one per directory under the storage roots); raise it "
        "(sysctl -w fs.inotify.max_user_watches=20537, and persist it in /etc/sysctl.d/); "
        "until then deleted recordings are found only by the periodic sweep");
  std::string unknown = WatchLimitMessage(std::nullopt, 100);
  CHECK(unknown.find("fs.inotify.max_user_watches could not be read") != std::string::npos);
  CHECK(unknown.find("needs at least 100 watches") != std::string::npos);
  CHECK(unknown.find('\n') == std::string::npos);
}

TEST_CASE("ReadMaxUserWatches parses the proc file", "[watcher]") {
  TempDir dir;
  WriteFile(dir.Sub("limit"), "524288\n");
  CHECK(ReadMaxUserWatches(dir.Sub("limit")) == std::optional<uint64_t>(524288));
  WriteFile(dir.Sub("bad"), "lots\n");
  CHECK_FALSE(ReadMaxUserWatches(dir.Sub("bad")).has_value());
  CHECK_FALSE(ReadMaxUserWatches(dir.Sub("missing")).has_value());
  CHECK(ReadMaxUserWatches().has_value());  // the real /proc/sys/fs/inotify/max_user_watches
}

}  // namespace
}  // namespace recsync
