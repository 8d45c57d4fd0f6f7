// Storage roots on the real filesystem: what a probe says of symlinks,
// spellings and permissions, as the daemon and the sweep see them.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <string>

#include "common/path.h"
#include "reconcile/root_assessor.h"
#include "reconcile/storage_root.h"
#include "tests/support/as_nobody.h"
#include "tests/support/temp_dir.h"

using namespace recsync;
using recsync::testing::MakeDirs;
using recsync::testing::AsNobody;
using recsync::testing::CanBecomeNobody;
using recsync::testing::TempDir;

namespace {

constexpr std::chrono::milliseconds kTimeout{5000};

const std::map<std::string, RootRecord> kNoRecords;

RootStatus Assess(const std::string& root) {
  static const auto lanes = std::make_shared<StorageLanes>();
  RootAssessor assessor(lanes, MakeRealDisk("/nonexistent/fstab"), kTimeout);
  auto tables = assessor.ReadTables();
  REQUIRE(tables.ok());
  auto status = assessor.Assess(root, *tables, RecordsIn(kNoRecords));
  REQUIRE(status.ok());
  return *status;
}

}  // namespace

TEST_CASE("a symlinked root, its target and odd spellings of either have one identity") {
  TempDir tmp;
  const std::string target = tmp.Sub("nas/rec");
  MakeDirs(target + "/2026");
  const std::string link = tmp.Sub("recordings");
  REQUIRE(::symlink(target.c_str(), link.c_str()) == 0);
  for (const std::string& spelling :
       {target, link, link + "/", tmp.path() + "//recordings", tmp.path() + "/./nas//rec/"}) {
    INFO(spelling);
    RootStatus s = Assess(NormalizeRoot(spelling));
    CHECK(s.state == RootState::kOnline);
    CHECK(s.real_path == target);
  }
}

TEST_CASE("a symlinked root whose target went is offline, naming the target") {
  TempDir tmp;
  const std::string link = tmp.Sub("recordings");
  REQUIRE(::symlink(tmp.Sub("nas/rec").c_str(), link.c_str()) == 0);
  RootStatus s = Assess(link);
  CHECK(s.state == RootState::kOffline);
  CHECK(s.reason == "is a symlink to " + tmp.Sub("nas/rec") + ", which does not exist (not mounted?)");
}

TEST_CASE("a root recsync may not read is offline, saying permission with mode and owner") {
  if (!CanBecomeNobody()) {
    WARN("not run: needs root to probe as another user");
    return;
  }
  // Under /tmp, which anyone may enter (the test's own TMPDIR may not be).
  char dir[] = "/tmp/recsync-perm-XXXXXX";
  REQUIRE(::mkdtemp(dir) != nullptr);
  struct Cleanup {
    std::string path;
    ~Cleanup() { std::filesystem::remove_all(path); }
  } cleanup{dir};
  REQUIRE(::chmod(dir, 0755) == 0);
  const std::string root = std::string(dir) + "/rec";
  MakeDirs(root);
  REQUIRE(::chmod(root.c_str(), 0750) == 0);  // root:root, others may not enter
  // As user nobody, the way a service without the group runs.
  const std::string reason = AsNobody([&] {
    RootAssessor assessor(std::make_shared<StorageLanes>(), MakeRealDisk("/nonexistent/fstab"),
                          kTimeout);
    auto status = assessor.Assess(root, MountTables{}, RecordsIn(kNoRecords));
    return status.ok() ? status->reason : status.status().message();
  });
  CHECK(reason == "permission denied: " + root + " is mode 0750, owner root:root, and recsync "
                  "runs as nobody; give that user read and search access to it (e.g. add it to "
                  "the group)");
}
