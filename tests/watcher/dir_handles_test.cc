// DirHandles alone: the fanotify backend's handle -> directory cache.
#include <catch2/catch.hpp>

#include "watcher/dir_handles.h"

namespace recsync {
namespace {

TEST_CASE("DirHandles follows puts, renames of subtrees and removals", "[watcher]") {
  DirHandles d;
  CHECK(d.Put("k1", "/r"));
  CHECK(d.Put("k2", "/r/a"));
  CHECK(d.Put("k3", "/r/a/b"));
  CHECK(d.Put("k4", "/r/ab"));  // not below /r/a
  CHECK_FALSE(d.Put("k2", "/r/a"));
  REQUIRE(d.Find("k3") != nullptr);
  CHECK(*d.Find("k3") == "/r/a/b");
  CHECK(d.Find("nope") == nullptr);

  d.Rename("/r/a", "/r/z");
  CHECK(*d.Find("k2") == "/r/z");
  CHECK(*d.Find("k3") == "/r/z/b");
  CHECK(*d.Find("k4") == "/r/ab");

  // A path known under another key: the directory was replaced.
  CHECK(d.Put("k5", "/r/z/b"));
  CHECK(d.Find("k3") == nullptr);

  d.EraseUnder("/r/z");
  CHECK(d.Find("k2") == nullptr);
  CHECK(d.Find("k5") == nullptr);
  CHECK(d.size() == 2);

  d.Put("k6", "/r/inner");
  d.Put("k7", "/r/inner/x");
  d.EraseUnder("/r", [](const std::string& p) { return p.rfind("/r/inner", 0) == 0; });
  CHECK(d.size() == 2);
  CHECK(*d.Find("k7") == "/r/inner/x");
}

}  // namespace
}  // namespace recsync
