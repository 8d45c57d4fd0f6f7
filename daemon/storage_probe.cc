#include "daemon/storage_probe.h"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>

namespace recsync {

Result<SpaceUsage> MeasureSpace(const std::string& root) {
  struct statvfs vfs;
  if (::statvfs(root.c_str(), &vfs) != 0) return ErrnoStatus(errno, "statvfs " + root);
  SpaceUsage u;
  const uint64_t block = vfs.f_frsize ? vfs.f_frsize : vfs.f_bsize;
  u.bytes_used = static_cast<uint64_t>(vfs.f_blocks - vfs.f_bfree) * block;
  u.bytes_free = static_cast<uint64_t>(vfs.f_bavail) * block;
  u.bytes_total = u.bytes_used + u.bytes_free;
  u.used_percent = u.bytes_total == 0 ? 0.0 : 100.0 * static_cast<double>(u.bytes_used) /
                                                  static_cast<double>(u.bytes_total);
  return u;
}

Status CreateCookie(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return ErrnoStatus(errno, "creating sync cookie " + path);
  ::close(fd);
  return Status::Ok();
}

Status RemoveCookie(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return ErrnoStatus(errno, "removing sync cookie " + path);
  }
  return Status::Ok();
}

}  // namespace recsync
