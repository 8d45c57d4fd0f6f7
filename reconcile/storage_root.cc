#include "reconcile/storage_root.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "common/access.h"
#include "common/path.h"
#include "common/text.h"

namespace recsync {

const char* RootStateName(RootState state) {
  switch (state) {
    case RootState::kOnline: return "online";
    case RootState::kOffline: return "offline";
    case RootState::kSuspect: return "suspect";
  }
  return "?";
}

RootRecord RootStatus::ToRecord(int64_t now_ms) const {
  return RootRecord{path, st_dev, mount_point, fs_type, now_ms, mount_path};
}

Result<MountTables> ReadMountTables(DiskInterface& disk) {
  MountTables tables;
  auto mounted = disk.Mounts();
  if (!mounted.ok()) return mounted.status();
  auto declared = disk.DeclaredMountPoints();
  if (!declared.ok()) return declared.status();
  tables.mounted = std::move(*mounted);
  tables.declared = std::move(*declared);
  return tables;
}

RootStatus UnresponsiveRoot(const std::string& root, const std::string& why) {
  RootStatus status;
  status.path = root;
  status.state = RootState::kOffline;
  status.reason = "unresponsive: " + why;
  return status;
}

std::string UnreadableReason(const DirProbe& probe) {
  if (probe.err != EACCES || probe.denied_dir.empty()) {
    return "cannot be read: " + ErrnoText(probe.err);
  }
  return DescribeDenial({probe.denied_dir, probe.denied_mode, probe.denied_uid, probe.denied_gid},
                        "give that user read and search access to it (e.g. add it to the group)");
}

RootStatus JudgeRoot(const std::string& root, const DirProbe& probe, const MountTables& tables,
                     const std::optional<RootRecord>& last) {
  RootStatus status;
  status.path = root;
  auto offline = [&](std::string why) {
    status.state = RootState::kOffline;
    status.reason = std::move(why);
    return status;
  };
  if (probe.err == ENOENT) {
    if (!probe.link_target.empty()) {
      return offline("is a symlink to " + PrintableText(probe.link_target) +
                     ", which does not exist (not mounted?)");
    }
    return offline("does not exist");
  }
  if (probe.err == ENOTDIR) return offline("is not a directory");
  if (probe.err != 0) return offline(UnreadableReason(probe));

  status.empty = probe.empty;
  status.st_dev = probe.st_dev;
  status.real_path = probe.real_path.empty() ? root : probe.real_path;
  const std::string& real = status.real_path;

  for (const auto& declared : tables.declared) {
    if (declared == "/" || !(IsUnder(root, declared) || IsUnder(real, declared))) continue;
    bool mounted = false;
    for (const auto& m : tables.mounted) mounted |= (m.mount_point == declared);
    if (!mounted) {
      return offline("lies on " + declared + ", which fstab declares but is not mounted");
    }
  }

  if (auto mount = MountContaining(tables.mounted, real)) {
    status.mount_point = (mount->mount_point == real);
    status.fs_type = mount->fs_type;
    status.mount_path = mount->mount_point;
  }
  if (last) {
    if (last->mount_point && !status.mount_point) {
      return offline("was a mount point at an earlier sweep and is not one now (unmounted?)");
    }
    // A removable disk unplugged under a root whose directory is then made
    // again on the parent filesystem keeps the same fs type; the filesystem
    // it lies on is what tells.
    if (!last->mount_path.empty() && last->mount_path != status.mount_path) {
      return offline("lay on the filesystem mounted at " + last->mount_path +
                     " at an earlier sweep and now lies on " + status.mount_path +
                     " (unmounted?)");
    }
    if (!last->fs_type.empty() && last->fs_type != status.fs_type) {
      return offline("filesystem type changed from " + last->fs_type + " to " + status.fs_type +
                     " since an earlier sweep (not mounted?)");
    }
  }
  if (status.empty && status.mount_point) {
    status.state = RootState::kSuspect;
    status.reason = "is an empty mount point (the wrong share mounted, or nothing recorded yet?)";
    return status;
  }
  status.state = RootState::kOnline;
  return status;
}

std::string CheckRootPath(const std::string& root) {
  if (root.empty() || root[0] != '/') return "not an absolute path";
  if (NormalizeRoot(root) == "/") return "\"/\" cannot be a storage root";
  return "";
}

std::optional<std::string_view> InferRootView(std::string_view filepath) {
  // Walk back over <file>, <device>, DD, MM, YYYY and check their shapes.
  // No allocation: the sweep calls this for every row.
  auto is_digits = [](std::string_view s, size_t n) {
    if (s.size() != n) return false;
    for (char c : s) {
      if (c < '0' || c > '9') return false;
    }
    return true;
  };
  size_t slashes[5];
  size_t found = 0;
  for (size_t i = filepath.size(); i-- > 0 && found < 5;) {
    if (filepath[i] == '/') slashes[found++] = i;
  }
  if (found < 5 || filepath.empty() || filepath[0] != '/') return std::nullopt;
  auto part = [&](size_t k) {  // k-th component counted from the file's parent
    size_t begin = slashes[k + 1] + 1;
    return filepath.substr(begin, slashes[k] - begin);
  };
  if (!is_digits(part(0), 6) || !is_digits(part(1), 2) || !is_digits(part(2), 2) ||
      !is_digits(part(3), 4)) {
    return std::nullopt;
  }
  if (slashes[4] == 0) return std::string_view("/");
  return filepath.substr(0, slashes[4]);
}

std::optional<std::string> InferRoot(const std::string& filepath) {
  auto view = InferRootView(filepath);
  if (!view) return std::nullopt;
  return std::string(*view);
}

}  // namespace recsync
