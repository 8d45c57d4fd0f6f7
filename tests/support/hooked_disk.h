// HookedDisk: the real filesystem, with a test's hooks run on the calling
// thread before a directory is listed (ListDir) and before a file is
// lstat-ed (Check). A sweep lists folders while it checks its rows, and
// lstats a file only to check it again right before its batch is archived
// (reconcile/presence_check.h): the hooks see the sweep's phases from the
// threads that do the work, and can hold one step until the test says so.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "fs/disk.h"

namespace recsync::testing {

class HookedDisk : public DiskInterface {
 public:
  using Hook = std::function<void(const std::string& path)>;
  HookedDisk(std::string fstab, Hook on_list, Hook on_check)
      : real_(MakeRealDisk(std::move(fstab))),
        on_list_(std::move(on_list)),
        on_check_(std::move(on_check)) {}

  PathCheck Check(const std::string& path) override {
    if (on_check_) on_check_(path);
    return real_->Check(path);
  }
  DirListing ListDir(const std::string& dir) override {
    if (on_list_) on_list_(dir);
    return real_->ListDir(dir);
  }
  DirProbe ProbeDir(const std::string& path) override { return real_->ProbeDir(path); }
  std::optional<FolderStamp> StampDir(const std::string& dir) override {
    return real_->StampDir(dir);
  }
  Result<std::vector<MountEntry>> Mounts() override { return real_->Mounts(); }
  Result<std::vector<std::string>> DeclaredMountPoints() override {
    return real_->DeclaredMountPoints();
  }

 private:
  std::unique_ptr<DiskInterface> real_;
  Hook on_list_, on_check_;
};

}  // namespace recsync::testing
