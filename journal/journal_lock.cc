#include "journal/journal_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <cerrno>

#include "journal/internal.h"

namespace recsync {
namespace {

std::string AlreadyRunning(const std::string& journal, const std::string& detail) {
  return "another recsync daemon is already running on journal " + journal + " (" + detail +
         "); stop it first, e.g. systemctl stop recsync";
}

}  // namespace

std::string JournalLock::LockFilePath(const std::string& journal) { return journal + ".lock"; }

JournalLock::JournalLock(std::string journal, InstanceLock lock_file, UniqueFd journal_fd,
                         Identity id)
    : journal_(std::move(journal)),
      lock_file_(std::move(lock_file)),
      journal_fd_(std::move(journal_fd)),
      journal_id_(id) {}

Result<JournalLock> JournalLock::Acquire(const std::string& journal) {
  if (journal.empty()) return Status(Code::kInvalid, "journal path is empty (set --journal)");
  auto lock_file = InstanceLock::Acquire(LockFilePath(journal));
  if (!lock_file.ok()) {
    if (lock_file.status().code() != Code::kBusy) return lock_file.status();
    return Status(Code::kBusy, AlreadyRunning(journal, lock_file.status().message()));
  }
  RECSYNC_RETURN_IF_ERROR(journal_internal::EnsureJournalFile(journal));
  UniqueFd fd(::open(journal.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  struct stat st;
  if (!fd.valid() || ::fstat(fd.get(), &st) != 0) {
    int err = errno;
    return ErrnoStatus(err, "journal " + journal + ": cannot open it to lock it");
  }
  if (!S_ISREG(st.st_mode)) {
    return Status(Code::kInvalid,
                  "journal " + journal + " is not a regular file (set --journal to a file path)");
  }
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    if (err != EWOULDBLOCK) return ErrnoStatus(err, "locking journal " + journal);
    return Status(Code::kBusy,
                  AlreadyRunning(journal, "another process holds the journal file locked; its "
                                          "lock file " + LockFilePath(journal) +
                                          " was removed or replaced"));
  }
  return JournalLock(journal, std::move(*lock_file), std::move(fd), {st.st_dev, st.st_ino});
}

JournalLock::Check JournalLock::Verify() {
  Check check;
  check.journal = VerifyJournalFiles();
  return VerifyLockFile(std::move(check));
}

Status JournalLock::VerifyJournalFiles() {
  struct stat st;
  if (::stat(journal_.c_str(), &st) != 0) {
    int err = errno;
    if (err != ENOENT) return ErrnoStatus(err, "journal " + journal_);
    return Status(Code::kNotFound, "journal " + journal_ +
                                       " was deleted or renamed while recsync ran; what it "
                                       "writes now would be lost, so it stops (it starts a new "
                                       "journal when restarted)");
  }
  if (Identity{st.st_dev, st.st_ino} != journal_id_) {
    return Status(Code::kCorrupt, "journal " + journal_ +
                                      " was replaced by another file while recsync ran; what it "
                                      "writes now would be lost, so it stops (it uses the new "
                                      "file when restarted)");
  }
  RECSYNC_RETURN_IF_ERROR(VerifySidecar("-wal", wal_id_));
  return VerifySidecar("-shm", shm_id_);
}

Status JournalLock::VerifySidecar(const char* suffix, std::optional<Identity>& seen) {
  const std::string path = journal_ + suffix;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    int err = errno;
    if (err != ENOENT) return ErrnoStatus(err, "journal file " + path);
    if (!seen) return Status::Ok();  // no connection has made it yet
    return Status(Code::kNotFound, "journal file " + path +
                                       " was deleted while recsync ran; commits in it would be "
                                       "lost, so recsync stops");
  }
  Identity id{st.st_dev, st.st_ino};
  if (!seen) seen = id;
  if (*seen != id) {
    return Status(Code::kCorrupt, "journal file " + path +
                                      " was replaced while recsync ran; commits in it would be "
                                      "lost, so recsync stops");
  }
  return Status::Ok();
}

JournalLock::Check JournalLock::VerifyLockFile(Check check) {
  if (lock_file_.Intact()) return check;
  const std::string path = LockFilePath(journal_);
  auto fresh = InstanceLock::Acquire(path);
  if (!fresh.ok()) {
    check.lock = Status(fresh.status().code(),
                        "lock file " + path + " was removed or replaced and cannot be made "
                        "again (" + fresh.status().message() + "); the journal itself stays "
                        "locked");
    return check;
  }
  lock_file_ = std::move(*fresh);
  check.lock_repair = "lock file " + path + " was removed or replaced while recsync ran; made "
                      "it again and locked it";
  return check;
}

}  // namespace recsync
