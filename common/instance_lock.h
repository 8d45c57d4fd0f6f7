// InstanceLock: one recsync daemon per lock file.
//
// An exclusive flock(2) on a lock file, held for the object's life. The kernel
// drops it when the last descriptor of the open file description closes, so
// also when the process dies (even by kill -9): there is no stale pid file to
// clean up. The pid written into the file is for humans and for the kBusy
// message only; the lock, not the pid, decides.
//
// flock locks belong to the open file description, so two open() calls of the
// same file conflict even in one process, and a descriptor inherited over
// fork() shares the lock. The descriptor is O_CLOEXEC so that programs the
// daemon runs do not keep its lock alive after it exits.
//
// The file is never unlinked: removing a lock file while someone waits on it
// lets two processes lock two different inodes under one name.
#pragma once

#include <string>
#include <utility>

#include "common/status.h"

namespace recsync {

class InstanceLock {
 public:
  // Creates `path` (mode 0640, missing parent directories 0750, both as far
  // as the umask allows) if needed and takes LOCK_EX|LOCK_NB on it, then
  // replaces its content with our pid and a newline. kBusy when another
  // process, or another open file description in this one, holds the lock:
  // the message names the path and, when the file holds one, the holder's pid.
  // Other failures (a parent that is not a directory, EACCES, a read-only
  // filesystem) name the path too. Failing to write the pid is only logged:
  // the lock is what matters.
  static Result<InstanceLock> Acquire(const std::string& path);

  // Whether someone holds the lock right now: opens `path` read-only (never
  // creating it), tries LOCK_SH|LOCK_NB and lets go at once. False when the
  // file does not exist or cannot be opened (then nobody we could see holds
  // it). True also when this process holds it through an InstanceLock.
  static bool IsHeld(const std::string& path);

  InstanceLock(InstanceLock&& other) noexcept;
  InstanceLock& operator=(InstanceLock&& other) noexcept;
  InstanceLock(const InstanceLock&) = delete;
  InstanceLock& operator=(const InstanceLock&) = delete;
  // Closes the descriptor, which releases the lock (if this object holds it).
  ~InstanceLock();

  const std::string& path() const { return path_; }
  // Whether `path` still names the file this lock holds: false once it was
  // deleted, renamed away or replaced by another file (the lock then keeps
  // nobody out who opens the path).
  bool Intact() const;

 private:
  InstanceLock(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  void Release();

  int fd_ = -1;  // owned; closing it drops the lock
  std::string path_;
};

}  // namespace recsync
