// SettledDisk: the real filesystem, except that every listing looks taken
// an hour after it was, so the folders of a tree a test has just made count
// as settled and their listings are remembered (see
// reconcile/listing_cache.h). Their stamps are the real ones, so a change the
// test makes shows as it would on a recorder.
//
// AwaitNewerTimestamps: a change made within the same tick of the
// filesystem's clock as the one before leaves a folder's stamp as it was;
// that is what the settle margin guards against, and what a test that
// changes a folder right after a sweep listed it must wait out. Returns once
// a file written under `dir` gets a ctime later than `than_ns`, or fails the
// test after 5 s.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "fs/disk.h"
#include "tests/support/temp_dir.h"

namespace recsync::testing {

class SettledDisk : public DiskInterface {
 public:
  explicit SettledDisk(std::string fstab) : real_(MakeRealDisk(std::move(fstab))) {}

  PathCheck Check(const std::string& path) override { return real_->Check(path); }
  DirProbe ProbeDir(const std::string& path) override { return real_->ProbeDir(path); }
  DirListing ListDir(const std::string& dir) override {
    DirListing listing = real_->ListDir(dir);
    listing.opened_ns += std::chrono::nanoseconds(std::chrono::hours(1)).count();
    return listing;
  }
  std::optional<FolderStamp> StampDir(const std::string& dir) override {
    return real_->StampDir(dir);
  }
  Result<std::vector<MountEntry>> Mounts() override { return real_->Mounts(); }
  Result<std::vector<std::string>> DeclaredMountPoints() override {
    return real_->DeclaredMountPoints();
  }

 private:
  std::unique_ptr<DiskInterface> real_;
};

inline int64_t CtimeNs(const std::string& path) {
  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return static_cast<int64_t>(st.st_ctim.tv_sec) * 1'000'000'000 + st.st_ctim.tv_nsec;
}

inline void AwaitNewerTimestamps(const std::string& dir, int64_t than_ns) {
  const std::string probe = dir + "/.clock-probe";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {
    WriteFile(probe, "tick");
    if (CtimeNs(probe) > than_ns) break;
    REQUIRE(std::chrono::steady_clock::now() < deadline);
  }
  ::unlink(probe.c_str());
}

}  // namespace recsync::testing
