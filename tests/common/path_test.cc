// "The innermost root holding this path": one rule for the sweep, the
// reconciler and the watchers, so a row, an event and a watch agree on
// which storage a file belongs to.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "common/path.h"

using namespace recsync;

namespace {
std::string Innermost(const std::string& path, const std::vector<std::string>& roots,
                      RootHolds holds = RootHolds::kItselfAndBelow) {
  const std::string* root = InnermostRoot(path, roots, holds);
  return root ? *root : "(none)";
}
}  // namespace

TEST_CASE("a path under nested roots belongs to the inner one, in any order") {
  const std::vector<std::string> outer_first{"/srv", "/srv/rec", "/srv/rec/old"};
  const std::vector<std::string> inner_first{"/srv/rec/old", "/srv/rec", "/srv"};
  for (const auto& roots : {outer_first, inner_first}) {
    CHECK(Innermost("/srv/rec/2026/a.mp4", roots) == "/srv/rec");
    CHECK(Innermost("/srv/rec/old/2026/a.mp4", roots) == "/srv/rec/old");
    CHECK(Innermost("/srv/other/a.mp4", roots) == "/srv");
    CHECK(Innermost("/var/a.mp4", roots) == "(none)");
  }
}

TEST_CASE("a root holds whole components only: /ab is not under /a") {
  const std::vector<std::string> roots{"/a"};
  CHECK(Innermost("/ab/x.mp4", roots) == "(none)");
  CHECK(Innermost("/ab", roots) == "(none)");
  CHECK(Innermost("/a/b", roots) == "/a");
  CHECK(Innermost("/ab/x", {"/a", "/ab"}) == "/ab");
}

TEST_CASE("the root itself is held unless only paths below it count") {
  const std::vector<std::string> roots{"/srv", "/srv/rec"};
  CHECK(Innermost("/srv/rec", roots) == "/srv/rec");
  CHECK(Innermost("/srv/rec", roots, RootHolds::kOnlyBelow) == "/srv");
  CHECK(Innermost("/srv", roots, RootHolds::kOnlyBelow) == "(none)");
  CHECK(Innermost("/srv/rec/a", roots, RootHolds::kOnlyBelow) == "/srv/rec");
}

TEST_CASE("a trailing slash on the path is below its root; roots are normalized first") {
  const std::vector<std::string> roots{"/srv/rec"};
  CHECK(Innermost("/srv/rec/", roots) == "/srv/rec");
  CHECK(Innermost("/srv/rec/", roots, RootHolds::kOnlyBelow) == "/srv/rec");
  // A root spelled with a trailing slash is NormalizeRoot()'s to tidy.
  CHECK(Innermost("/srv/rec/a", {NormalizeRoot("/srv/rec/")}) == "/srv/rec");
}

TEST_CASE("\"/\" holds every absolute path, and any other root is inner to it") {
  const std::vector<std::string> roots{"/", "/srv"};
  CHECK(Innermost("/srv/a", roots) == "/srv");
  CHECK(Innermost("/var/a", roots) == "/");
  CHECK(Innermost("relative/a", roots) == "(none)");
}

TEST_CASE("roots in a map, or with several spellings each, follow the same rule") {
  const std::map<std::string, int> by_root{{"/a", 1}, {"/a/b", 2}};
  auto* hit = InnermostRoot("/a/b/c", by_root, RootHolds::kItselfAndBelow,
                            [](const auto& kv) -> const std::string& { return kv.first; });
  REQUIRE(hit != nullptr);
  CHECK(hit->second == 2);

  struct Root {
    std::vector<std::string> spellings;
  };
  const std::vector<Root> roots{{{"/mnt/nas", "/srv/rec"}}, {{"/mnt/nas/cam1", "/srv/cam1"}}};
  auto spellings = [](const Root& r) -> const std::vector<std::string>& { return r.spellings; };
  auto [root, spelling] =
      InnermostRootOfMany("/mnt/nas/cam1/a.mp4", roots, RootHolds::kOnlyBelow, spellings);
  REQUIRE(root == &roots[1]);
  CHECK(*spelling == "/mnt/nas/cam1");
  auto [outer, outer_spelling] =
      InnermostRootOfMany("/srv/rec/a.mp4", roots, RootHolds::kOnlyBelow, spellings);
  REQUIRE(outer == &roots[0]);
  CHECK(*outer_spelling == "/srv/rec");
  CHECK(InnermostRootOfMany("/srv/rec", roots, RootHolds::kOnlyBelow, spellings).first == nullptr);
}
