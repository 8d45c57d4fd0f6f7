// RootAssessor: one root under many spellings, its journal record found
// whatever spelling recorded it, and a root that changed under a sweep
// noticed; on a virtual disk.
#include <catch2/catch.hpp>

#include <map>

#include "reconcile/root_assessor.h"
#include "tests/support/virtual_disk.h"

using namespace recsync;
using recsync::testing::VirtualDisk;

namespace {

constexpr std::chrono::milliseconds kTimeout{2000};

// /var/lib/bluecherry/recordings, a symlink to the NFS mount /mnt/nas/rec.
std::shared_ptr<VirtualDisk> LinkedRoot() {
  auto disk = std::make_shared<VirtualDisk>();
  disk->AddDir("/var/lib/bluecherry/recordings", 7);
  disk->dirs["/var/lib/bluecherry/recordings"].real_path = "/mnt/nas/rec";
  disk->AddDir("/mnt/nas/rec", 7);
  disk->mounts = {{"/", "ext4"}, {"/mnt/nas/rec", "nfs4"}};
  return disk;
}

RootAssessor AssessorOn(const std::shared_ptr<VirtualDisk>& disk) {
  return RootAssessor(std::make_shared<StorageLanes>(), disk, kTimeout);
}

}  // namespace

TEST_CASE("a root is judged under its canonical path, whichever spelling is asked") {
  auto disk = LinkedRoot();
  RootAssessor assessor = AssessorOn(disk);
  const std::map<std::string, RootRecord> none;
  for (const std::string spelling : {"/var/lib/bluecherry/recordings", "/mnt/nas/rec"}) {
    INFO(spelling);
    auto status = assessor.Assess(spelling, *assessor.ReadTables(), RecordsIn(none));
    REQUIRE(status.ok());
    CHECK(status->path == "/mnt/nas/rec");
    CHECK(status->state == RootState::kOnline);
  }
}

TEST_CASE("a root's record is found by its canonical path, else by the spelling that kept it") {
  auto disk = LinkedRoot();
  disk->mounts = {{"/", "ext4"}};  // the share is not mounted any more
  RootAssessor assessor = AssessorOn(disk);
  const RootRecord was_mounted{"", 7, true, "nfs4", 1, "/mnt/nas/rec"};
  for (const std::string recorded_as : {"/mnt/nas/rec", "/var/lib/bluecherry/recordings"}) {
    INFO(recorded_as);
    std::map<std::string, RootRecord> records{{recorded_as, was_mounted}};
    auto status = assessor.Assess("/var/lib/bluecherry/recordings", *assessor.ReadTables(),
                                  RecordsIn(records));
    REQUIRE(status.ok());
    CHECK(status->state == RootState::kOffline);
    CHECK_THAT(status->reason, Catch::Contains("was a mount point"));
  }
}

TEST_CASE("a spelling that cannot be resolved keeps the identity it was known by") {
  auto disk = std::make_shared<VirtualDisk>();
  DirProbe gone;
  gone.err = ENOENT;
  gone.link_target = "/mnt/nas/rec";
  disk->dirs["/var/lib/bluecherry/recordings"] = gone;
  RootAssessor assessor = AssessorOn(disk);
  CHECK(assessor.Probe("/var/lib/bluecherry/recordings", "/mnt/nas/rec").identity ==
        "/mnt/nas/rec");
  CHECK(assessor.Probe("/var/lib/bluecherry/recordings").identity ==
        "/var/lib/bluecherry/recordings");
  auto here = RootAssessor::ProbeHere(*disk, "/var/lib/bluecherry/recordings", "/mnt/nas/rec");
  CHECK(here.identity == "/mnt/nas/rec");
}

TEST_CASE("a root that went offline or onto another device since it was assessed has changed") {
  auto disk = LinkedRoot();
  RootAssessor assessor = AssessorOn(disk);
  const std::map<std::string, RootRecord> none;
  auto then = assessor.Assess("/mnt/nas/rec", *assessor.ReadTables(), RecordsIn(none));
  REQUIRE(then.ok());
  CHECK(*assessor.ChangedSince(*then) == "");

  disk->dirs["/mnt/nas/rec"].st_dev = 8;  // another share mounted in its place
  CHECK(*assessor.ChangedSince(*then) == "its device or mount is not the one it was on");

  disk->dirs.erase("/mnt/nas/rec");
  CHECK(*assessor.ChangedSince(*then) == "does not exist");
}

TEST_CASE("verdicts refuse every root when the mount tables cannot be read") {
  auto disk = LinkedRoot();
  RootAssessor assessor = AssessorOn(disk);
  const std::map<std::string, RootRecord> none;
  RootVerdicts known(assessor, assessor.ReadTables(), RecordsIn(none));
  CHECK(known.MayTouch("/mnt/nas/rec"));
  CHECK_FALSE(known.MayTouch("/srv/missing"));
  RootVerdicts unknown(assessor, Status(Code::kIo, "/etc/fstab: cannot be read"), RecordsIn(none));
  CHECK_FALSE(unknown.MayTouch("/mnt/nas/rec"));
}
