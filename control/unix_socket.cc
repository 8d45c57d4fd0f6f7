#include "control/unix_socket.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "common/text.h"

namespace recsync {

Result<sockaddr_un> UnixAddress(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty()) return Status(Code::kInvalid, "control socket path is empty");
  if (path.find('\0') != std::string::npos) {
    return Status(Code::kInvalid,
                  fmt::format("control socket path {} holds a NUL byte", PrintableText(path)));
  }
  // One byte stays for the terminating NUL that bind/connect expect.
  if (path.size() >= sizeof(addr.sun_path)) {
    return Status(Code::kInvalid,
                  fmt::format("control socket path {} is {} bytes, longer than the {} a unix "
                              "socket address holds; set control_socket to a shorter path",
                              PrintableText(path), path.size(), sizeof(addr.sun_path) - 1));
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  return addr;
}

Status MakeParentDirectories(const std::string& path, unsigned mode) {
  for (size_t slash = path.find('/', 1); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    std::string dir = path.substr(0, slash);
    if (dir.back() == '/') continue;  // "//" in the path
    if (::mkdir(dir.c_str(), static_cast<mode_t>(mode)) != 0 && errno != EEXIST) {
      int err = errno;
      return ErrnoStatus(err, fmt::format("creating directory {}", PrintableText(dir)));
    }
  }
  return Status::Ok();
}

}  // namespace recsync
