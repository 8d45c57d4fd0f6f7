// The mount table as recsync reads it: mountinfo and fstab text parsed, and
// the kernel's own table read.
#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <vector>

#include "fs/mount_table.h"
#include "tests/support/temp_dir.h"

using namespace recsync;
using recsync::testing::TempDir;
using recsync::testing::WriteFile;

TEST_CASE("mount tables decode escaped spaces") {
  auto mounts = ParseMountInfo(
      "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
      "40 22 0:50 / /mnt/my\\040nas rw,relatime shared:9 - nfs4 srv:/x rw\n");
  REQUIRE(mounts.size() == 2);
  CHECK(mounts[0].mount_id == 22);
  CHECK(mounts[1].mount_id == 40);
  CHECK(mounts[1].mount_point == "/mnt/my nas");
  CHECK(mounts[1].fs_type == "nfs4");
  auto m = MountContaining(mounts, "/mnt/my nas/rec");
  REQUIRE(m);
  CHECK(m->fs_type == "nfs4");
  auto declared = ParseFstab("# comment\nUUID=1 / ext4 defaults 0 1\n/dev/sdb1 none swap sw 0 0\n"
                             "srv:/x /mnt/my\\040nas nfs defaults 0 0\n");
  CHECK(declared == std::vector<std::string>{"/", "/mnt/my nas"});
}


TEST_CASE("an fstab mount point spelled with doubled and trailing slashes is one mount point") {
  CHECK(ParseFstab("srv:/x /mnt//nas/ nfs defaults 0 0\n") == std::vector<std::string>{"/mnt/nas"});
}

TEST_CASE("the kernel's mount table holds / and gives each mount its own id") {
  auto table = ReadMountTable();
  REQUIRE(table.ok());
  std::set<int> ids;
  bool root = false;
  for (const MountEntry& m : *table) {
    CHECK(m.mount_id >= 0);
    ids.insert(m.mount_id);
    root = root || m.mount_point == "/";
  }
  CHECK(root);
  CHECK(ids.size() == table->size());
  CHECK_FALSE(ReadMountTable("/nonexistent/mountinfo").ok());
}

TEST_CASE("declared mount points come from the fstab given; a missing fstab declares none") {
  TempDir tmp;
  const std::string fstab = tmp.Sub("fstab");
  WriteFile(fstab, "UUID=1 / ext4 defaults 0 1\nsrv:/x /mnt/nas nfs defaults 0 0\n");
  auto declared = ReadDeclaredMountPoints(fstab);
  REQUIRE(declared.ok());
  CHECK(*declared == std::vector<std::string>{"/", "/mnt/nas"});
  auto none = ReadDeclaredMountPoints(tmp.Sub("no-fstab"));
  REQUIRE(none.ok());
  CHECK(none->empty());
}
