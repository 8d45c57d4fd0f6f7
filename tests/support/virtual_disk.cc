#include "tests/support/virtual_disk.h"

#include <cerrno>

#include "common/path.h"

namespace recsync::testing {

void VirtualDisk::MaybeHang(const std::string& path) {
  for (const auto& h : hung) {
    if (IsUnder(path, h)) {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return unblocked_; });
      return;
    }
  }
}

PathCheck VirtualDisk::Check(const std::string& path) {
  MaybeHang(path);
  if (auto it = errors.find(path); it != errors.end()) return {Presence::kUnknown, it->second};
  if (files.count(path)) return {Presence::kPresent, 0};
  return {Presence::kMissing, ENOENT};
}

DirListing VirtualDisk::ListDir(const std::string& dir) {
  MaybeHang(dir);
  DirListing listing;
  if (auto it = list_errors.find(dir); it != list_errors.end()) {
    listing.err = it->second;
    return listing;
  }
  std::set<std::string> names;
  const std::string prefix = dir + "/";
  for (const auto& f : files) {
    if (f.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string rest = f.substr(prefix.size());
    names.insert(rest.substr(0, rest.find('/')));
  }
  if (names.empty() && !dirs.count(dir)) {
    listing.err = ENOENT;
    return listing;
  }
  for (const auto& name : names) listing.Add(name);
  return listing;
}

DirProbe VirtualDisk::ProbeDir(const std::string& path) {
  MaybeHang(path);
  if (auto it = dirs.find(path); it != dirs.end()) return it->second;
  DirProbe p;
  p.err = ENOENT;
  return p;
}

void VirtualDisk::AddDir(const std::string& path, uint64_t dev, bool empty) {
  DirProbe p;
  p.is_dir = true;
  p.empty = empty;
  p.st_dev = dev;
  p.real_path = path;
  dirs[path] = p;
}

void VirtualDisk::Unblock() {
  std::lock_guard<std::mutex> lock(mu_);
  unblocked_ = true;
  cv_.notify_all();
}

}  // namespace recsync::testing
