// When a storage root may be swept: the offline and suspect rules, on a
// virtual disk that can show every failure mode on demand.
#include <catch2/catch.hpp>

#include "common/path.h"
#include "reconcile/root_assessor.h"
#include "reconcile/storage_root.h"
#include "tests/support/virtual_disk.h"

using namespace recsync;
using recsync::testing::VirtualDisk;

namespace {

constexpr std::chrono::milliseconds kTimeout{2000};
// Probes run on a lane per root, as in the daemon.
const auto lanes = std::make_shared<StorageLanes>();

MountTables Tables(const VirtualDisk& disk) { return {disk.mounts, disk.declared}; }

// The root as RootAssessor judges it, `last` being its record from an
// earlier sweep.
RootStatus Assess(const std::shared_ptr<VirtualDisk>& disk, const std::string& root,
                  const std::optional<RootRecord>& last = std::nullopt,
                  std::chrono::milliseconds timeout = kTimeout) {
  RootAssessor assessor(lanes, disk, timeout);
  auto status = assessor.Assess(root, Tables(*disk), [&](const std::string&) {
    return Result<std::optional<RootRecord>>(last);
  });
  REQUIRE(status.ok());
  return *status;
}

}  // namespace

TEST_CASE("a readable directory is online and its mount is recorded") {
  auto disk = std::make_shared<VirtualDisk>();
  disk->AddDir("/srv/rec", 7);
  disk->mounts = {{"/", "ext4"}, {"/srv/rec", "nfs4"}};
  auto s = Assess(disk, "/srv/rec");
  CHECK(s.state == RootState::kOnline);
  CHECK(s.mount_point);
  CHECK(s.fs_type == "nfs4");
  CHECK(s.st_dev == 7);
}

TEST_CASE("a root that does not exist is offline") {
  auto disk = std::make_shared<VirtualDisk>();
  auto s = Assess(disk, "/srv/rec");
  CHECK(s.state == RootState::kOffline);
  CHECK(s.reason == "does not exist");
}

TEST_CASE("a root that cannot be read is offline") {
  auto disk = std::make_shared<VirtualDisk>();
  DirProbe p;
  p.err = EACCES;
  p.is_dir = true;
  disk->dirs["/srv/rec"] = p;
  auto s = Assess(disk, "/srv/rec");
  CHECK(s.state == RootState::kOffline);
  CHECK_THAT(s.reason, Catch::Contains("Permission denied"));
}

TEST_CASE("a root below an fstab mount point that is not mounted is offline") {
  auto disk = std::make_shared<VirtualDisk>();
  disk->AddDir("/mnt/nas/recordings");
  disk->mounts = {{"/", "ext4"}};
  disk->declared = {"/", "/mnt/nas"};
  auto s = Assess(disk, "/mnt/nas/recordings");
  CHECK(s.state == RootState::kOffline);
  CHECK_THAT(s.reason, Catch::Contains("/mnt/nas") && Catch::Contains("not mounted"));

  disk->mounts.push_back({"/mnt/nas", "cifs"});
  auto mounted = Assess(disk, "/mnt/nas/recordings");
  CHECK(mounted.state == RootState::kOnline);
  CHECK(mounted.fs_type == "cifs");
  CHECK_FALSE(mounted.mount_point);
}

TEST_CASE("a root that was a mount point and no longer is, is offline") {
  auto disk = std::make_shared<VirtualDisk>();
  disk->AddDir("/srv/rec");
  disk->mounts = {{"/", "ext4"}};
  RootRecord last{"/srv/rec", 42, true, "xfs", 1, "/srv/rec"};
  auto s = Assess(disk, "/srv/rec", last);
  CHECK(s.state == RootState::kOffline);
  CHECK_THAT(s.reason, Catch::Contains("was a mount point"));
}

TEST_CASE("a root whose filesystem type changed is offline") {
  auto disk = std::make_shared<VirtualDisk>();
  disk->AddDir("/srv/rec");
  disk->mounts = {{"/", "ext4"}};
  RootRecord last{"/srv/rec", 42, false, "nfs4", 1, "/"};
  auto s = Assess(disk, "/srv/rec", last);
  CHECK(s.state == RootState::kOffline);
  CHECK_THAT(s.reason, Catch::Contains("from nfs4 to ext4"));
}

TEST_CASE("a root that does not answer within the timeout is offline") {
  auto disk = std::make_shared<VirtualDisk>();
  disk->AddDir("/mnt/nfs");
  disk->hung = {"/mnt/nfs"};
  auto s = Assess(disk, "/mnt/nfs", std::nullopt, std::chrono::milliseconds(50));
  disk->Unblock();
  CHECK(s.state == RootState::kOffline);
  CHECK_THAT(s.reason, Catch::Contains("unresponsive"));
}

TEST_CASE("an empty root is reported as empty for the suspect rule") {
  auto disk = std::make_shared<VirtualDisk>();
  disk->AddDir("/srv/rec", 1, /*empty=*/true);
  auto s = Assess(disk, "/srv/rec");
  CHECK(s.state == RootState::kOnline);
  CHECK(s.empty);
}

TEST_CASE("an empty mount point is suspect, as the sweep calls it") {
  auto disk = std::make_shared<VirtualDisk>();
  disk->AddDir("/mnt/nas", 1, /*empty=*/true);
  disk->mounts = {{"/", "ext4"}, {"/mnt/nas", "nfs4"}};
  auto s = Assess(disk, "/mnt/nas");
  CHECK(s.state == RootState::kSuspect);
  CHECK_THAT(s.reason, Catch::Contains("empty mount point"));
}

TEST_CASE("a symlink whose target is gone is offline and says where it pointed") {
  auto disk = std::make_shared<VirtualDisk>();
  DirProbe p;
  p.err = ENOENT;
  p.link_target = "/mnt/nas/rec";
  disk->dirs["/var/lib/bluecherry/recordings"] = p;
  auto s = Assess(disk, "/var/lib/bluecherry/recordings");
  CHECK(s.state == RootState::kOffline);
  CHECK(s.reason == "is a symlink to /mnt/nas/rec, which does not exist (not mounted?)");
}

TEST_CASE("a root's identity is its real path, and mount rules apply to it") {
  // /var/lib/bluecherry/recordings -> /mnt/nas/rec, on an fstab mount that
  // is not mounted: offline, although the link itself lies on /.
  auto disk = std::make_shared<VirtualDisk>();
  disk->AddDir("/var/lib/bluecherry/recordings");
  disk->dirs["/var/lib/bluecherry/recordings"].real_path = "/mnt/nas/rec";
  disk->mounts = {{"/", "ext4"}};
  disk->declared = {"/", "/mnt/nas"};
  auto s = Assess(disk, "/var/lib/bluecherry/recordings");
  CHECK(s.state == RootState::kOffline);
  CHECK_THAT(s.reason, Catch::Contains("/mnt/nas") && Catch::Contains("not mounted"));
  disk->mounts.push_back({"/mnt/nas", "nfs4"});
  auto up = Assess(disk, "/var/lib/bluecherry/recordings");
  CHECK(up.state == RootState::kOnline);
  CHECK(up.real_path == "/mnt/nas/rec");
  CHECK(up.fs_type == "nfs4");
}

TEST_CASE("the root of a path in Bluecherry's layout is inferred") {
  CHECK(InferRoot("/var/lib/bluecherry/recordings/2026/11/24/000001/10-00-00.mp4") ==
        std::optional<std::string>("/var/lib/bluecherry/recordings"));
  CHECK(InferRoot("/2026/11/24/000001/10-00-00.mp4") == std::optional<std::string>("/"));
  CHECK_FALSE(InferRoot("/srv/x/2026/11/24/1/10-00-00.mp4"));  // device id is 6 digits
  CHECK_FALSE(InferRoot("/srv/x/26/11/24/000001/a.mp4"));
  CHECK_FALSE(InferRoot("relative/2026/11/24/000001/a.mp4"));
}

TEST_CASE("IsUnder compares whole path components") {
  CHECK(IsUnder("/a/b/c", "/a/b"));
  CHECK(IsUnder("/a/b", "/a/b"));
  CHECK_FALSE(IsUnder("/a/bc", "/a/b"));
  CHECK(IsUnder("/x", "/"));
  CHECK(NormalizeRoot("/a/b//") == "/a/b");
  CHECK(NormalizeRoot("/") == "/");
}

TEST_CASE("a root's spellings with //, /./ and trailing slashes normalize alike") {
  CHECK(NormalizeRoot("/srv//rec") == "/srv/rec");
  CHECK(NormalizeRoot("/srv/./rec/") == "/srv/rec");
  CHECK(NormalizeRoot("//srv/rec/./") == "/srv/rec");
  CHECK(NormalizeRoot("/srv/../rec") == "/srv/../rec");  // only realpath() may resolve ".."
  CHECK(NormalizeRoot("///") == "/");
  CHECK(CheckRootPath("/srv//rec/") == "");
  CHECK(CheckRootPath("//") != "");
  CHECK(CheckRootPath("srv/rec") != "");
}

TEST_CASE("a root whose disk was replaced by a directory on the parent filesystem is offline") {
  // /mnt/usb (ext4) held the root; unplugged, the directory was made again on
  // / (also ext4): same fs type, not a mount point either time.
  auto disk = std::make_shared<VirtualDisk>();
  disk->AddDir("/mnt/usb/rec");
  disk->mounts = {{"/", "ext4"}};
  RootRecord last{"/mnt/usb/rec", 42, false, "ext4", 1, "/mnt/usb"};
  auto s = Assess(disk, "/mnt/usb/rec", last);
  CHECK(s.state == RootState::kOffline);
  CHECK_THAT(s.reason, Catch::Contains("/mnt/usb") && Catch::Contains("unmounted"));

  disk->mounts.push_back({"/mnt/usb", "ext4"});
  auto back = Assess(disk, "/mnt/usb/rec", last);
  CHECK(back.state == RootState::kOnline);
  CHECK(back.mount_path == "/mnt/usb");
}
