#include "daemon/storage_probe.h"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>

namespace recsync {

Result<double> UsedPercent(const std::string& root) {
  struct statvfs vfs;
  if (::statvfs(root.c_str(), &vfs) != 0) return ErrnoStatus(errno, "statvfs " + root);
  const double used = static_cast<double>(vfs.f_blocks - vfs.f_bfree);
  const double total = used + static_cast<double>(vfs.f_bavail);
  if (total <= 0) return 0.0;
  return 100.0 * used / total;
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
