#include "common/status.h"

#include <cerrno>
#include <cstring>

namespace recsync {

std::string ErrnoText(int err) {
  char buf[256];
  // GNU strerror_r returns the message pointer, which may or may not be buf.
  const char* text = strerror_r(err, buf, sizeof(buf));
  return text;
}

Status ErrnoStatus(int err, std::string_view what) {
  Code code;
  switch (err) {
    case ENOENT: code = Code::kNotFound; break;
    case ETIMEDOUT: code = Code::kTimeout; break;
    case EBUSY:
    case EAGAIN: code = Code::kBusy; break;
    case EINVAL: code = Code::kInvalid; break;
    default: code = Code::kIo; break;
  }
  return Status(code, std::string(what) + ": " + ErrnoText(err));
}

}  // namespace recsync
