#include "common/access.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "common/text.h"

namespace recsync {
namespace {

AccessDenial Denial(const std::string& dir, const struct stat& st) {
  return AccessDenial{dir, static_cast<uint32_t>(st.st_mode), st.st_uid, st.st_gid};
}

}  // namespace

std::optional<AccessDenial> FindAccessDenial(const std::string& path, bool write) {
  if (path.empty() || path[0] != '/') return std::nullopt;
  const int want = write ? (R_OK | W_OK) : R_OK;
  for (size_t start = 1; start <= path.size();) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    const std::string prefix = path.substr(0, std::max<size_t>(end, 1));
    const bool last = end == path.size();
    struct stat st;
    if (::stat(prefix.c_str(), &st) != 0) {
      if (errno != ENOENT || !last) return std::nullopt;
      // It does not exist: may we create it in its directory?
      const std::string parent = path.substr(0, std::max<size_t>(path.rfind('/'), 1));
      struct stat pst;
      if (::stat(parent.c_str(), &pst) == 0 && ::access(parent.c_str(), W_OK | X_OK) != 0 &&
          errno == EACCES) {
        return Denial(parent, pst);
      }
      return std::nullopt;
    }
    const int need = last ? (S_ISDIR(st.st_mode) ? want | X_OK : want) : X_OK;
    if (::access(prefix.c_str(), need) != 0 && errno == EACCES) return Denial(prefix, st);
    start = end + 1;
  }
  return std::nullopt;
}

std::string DescribeDenial(const AccessDenial& denial, const std::string& fix) {
  char mode[8];
  std::snprintf(mode, sizeof(mode), "%04o", denial.mode & 07777);
  return "permission denied: " + PrintableText(denial.dir) + " is mode " + mode + ", owner " +
         UserName(denial.uid) + ":" + GroupName(denial.gid) + ", and recsync runs as " +
         UserName(::geteuid()) + "; " + fix;
}

}  // namespace recsync
