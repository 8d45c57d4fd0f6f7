#include "common/instance_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/text.h"

namespace recsync {
namespace {

// mkdir -p of the directories above `path`, each new one 0750 (minus the
// umask). Existing ones are left as they are: an operator may have chosen
// their mode on purpose.
Status MakeParentDirs(const std::string& path) {
  for (size_t slash = path.find('/', 1); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    std::string dir = path.substr(0, slash);
    if (dir.back() == '/') continue;  // "//" in the path
    if (::mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST) {
      int err = errno;
      return ErrnoStatus(err, fmt::format("creating directory {}", PrintableText(dir)));
    }
  }
  return Status::Ok();
}

// The pid at the start of the lock file, or "" when it holds none.
std::string ReadHolderPid(int fd) {
  char buf[32];
  ssize_t n;
  do {
    n = ::pread(fd, buf, sizeof(buf), 0);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) return "";
  std::string_view text(buf, static_cast<size_t>(n));
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  return std::string(text.substr(0, digits));
}

void WritePid(int fd, const std::string& path) {
  std::string pid = std::to_string(::getpid()) + "\n";
  // Truncate only now that we hold the lock: the holder's pid stays readable
  // for whoever is refused.
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    int err = errno;
    spdlog::warn("lock file {}: cannot write our pid ({}); the lock is held all the same",
                 PrintableText(path), ErrnoText(err));
  }
}

}  // namespace

Result<InstanceLock> InstanceLock::Acquire(const std::string& path) {
  RECSYNC_RETURN_IF_ERROR(MakeParentDirs(path).With("lock file " + PrintableText(path)));
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
  if (fd < 0) {
    int err = errno;
    return ErrnoStatus(err, fmt::format("opening lock file {}", PrintableText(path)));
  }
  InstanceLock lock(fd, path);  // owns fd from here on
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    if (err != EWOULDBLOCK) {
      return ErrnoStatus(err, fmt::format("locking {}", PrintableText(path)));
    }
    std::string pid = ReadHolderPid(fd);
    std::string holder = pid.empty() ? "another process" : "another process (pid " + pid + ")";
    return Status(Code::kBusy,
                  fmt::format("{} is locked by {}: another recsync daemon is running; stop it "
                              "first (systemctl stop recsync)",
                              PrintableText(path), holder));
  }
  WritePid(fd, path);
  return lock;
}

bool InstanceLock::IsHeld(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return false;
  InstanceLock probe(fd, path);  // closing it drops the shared lock we may get
  return ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
}

bool InstanceLock::Intact() const {
  struct stat held, named;
  return fd_ >= 0 && ::fstat(fd_, &held) == 0 && ::lstat(path_.c_str(), &named) == 0 &&
         held.st_dev == named.st_dev && held.st_ino == named.st_ino;
}

InstanceLock::InstanceLock(InstanceLock&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}

InstanceLock& InstanceLock::operator=(InstanceLock&& other) noexcept {
  if (this != &other) {
    Release();
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
  }
  return *this;
}

InstanceLock::~InstanceLock() { Release(); }

void InstanceLock::Release() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace recsync
