// MountWatcher: one poll of the mount table telling every subscriber of a
// real mount and unmount (needs root to mount; skipped with a WARN without).
#include <catch2/catch.hpp>

#include <memory>
#include <optional>

#include "tests/support/mounts.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_loop.h"
#include "watcher/mount_watcher.h"

using namespace recsync;
using namespace recsync::testing;

TEST_CASE("every subscriber is told of a bind mount and of its unmount, until it unsubscribes") {
  if (!CanMount()) {
    WARN("not run: mounting needs root");
    return;
  }
  TempDir tmp;
  const std::string source = tmp.Sub("source"), target = tmp.Sub("target");
  MakeDirs(source);
  MakeDirs(target);
  TestLoop loop;
  auto mounts = MountWatcher::Start(loop.get());
  REQUIRE(mounts.ok());
  int first = 0, second = 0;
  auto first_sub = (*mounts)->Subscribe([&] { ++first; });
  std::optional<MountWatcher::Subscription> second_sub = (*mounts)->Subscribe([&] { ++second; });
  // The notification after the loop's first iteration, which covers a change
  // made before the poll took effect. (Counts are compared as "more than
  // before": other processes may mount meanwhile, in the same namespace.)
  REQUIRE(loop.RunUntil([&] { return first >= 1 && second >= 1; }));

  int first_before = first, second_before = second;
  auto mount = ScopedMount::Bind(source, target);
  REQUIRE(loop.RunUntil([&] { return first > first_before && second > second_before; }));
  first_before = first;
  second_before = second;
  mount.Unmount();
  REQUIRE(loop.RunUntil([&] { return first > first_before && second > second_before; }));

  second_sub.reset();
  first_before = first;
  second_before = second;
  mount.Mount();
  REQUIRE(loop.RunUntil([&] { return first > first_before; }));
  mount.Unmount();
  REQUIRE(loop.RunUntil([&] { return first > first_before + 1; }));
  CHECK(second == second_before);
  mounts->reset();
}

TEST_CASE("a subscription may be dropped from its own notification and outlive the watcher") {
  TestLoop loop;
  auto mounts = MountWatcher::Start(loop.get());
  REQUIRE(mounts.ok());
  int told = 0;
  std::optional<MountWatcher::Subscription> sub;
  sub = (*mounts)->Subscribe([&] {
    ++told;
    sub.reset();  // the callback is a copy: dropping it here is safe
  });
  auto outliving = (*mounts)->Subscribe([&] { ++told; });
  REQUIRE(loop.RunUntil([&] { return told >= 2; }));
  CHECK_FALSE(sub.has_value());
  mounts->reset();  // `outliving` unsubscribes from nothing when it goes
}
