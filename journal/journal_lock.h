// JournalLock: one recsync at a time on a journal, whatever happens to its
// lock file, and a way to notice the journal's files being deleted or
// replaced under a running daemon.
//
// Two locks, both flock(2) LOCK_EX|LOCK_NB, both dropped by the kernel when
// the process dies:
//   - on `<journal>.lock` (an InstanceLock: it holds the pid for the message);
//   - on the journal file itself, so that deleting the lock file does not
//     let a second daemon in.
// SQLite locks the journal with fcntl(2) record locks, which on Linux are
// independent of flock(2) on local filesystems (tests/journal prove the two
// do not interfere). One rule follows from fcntl semantics: closing any
// descriptor of a file drops every fcntl lock the process holds on it, so
// the JournalLock must be destroyed after every Journal on that file in the
// process has been closed.
//
// Verify() compares what the paths name now with the files held:
//   - the journal, its -wal or its -shm deleted or replaced: `journal` is not
//     OK (kNotFound or kCorrupt) -- the running process writes to a file
//     nobody will open again, so it must stop;
//   - the lock file deleted or replaced: a new one is created and locked
//     (`lock_repair` says so); when that fails (another process holds the new
//     file, a permission error) `lock` is not OK, and the next Verify tries
//     again. The journal itself stays locked meanwhile.
//
// Threads: Acquire anywhere; Verify from one thread at a time (the object is
// not shared while it runs); destroy after Verify returned.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "common/instance_lock.h"
#include "common/status.h"
#include "common/unique_fd.h"

namespace recsync {

class JournalLock {
 public:
  struct Check {
    Status journal;           // not OK: the journal's files changed; fatal
    Status lock;              // not OK: no lock file could be made again
    std::string lock_repair;  // non-empty: the lock file was made again now
  };

  // `<journal>.lock`.
  static std::string LockFilePath(const std::string& journal);

  // Takes both locks, creating the lock file and, when missing, the journal
  // file (empty: Journal::Open initialises it) and their directories.
  // kBusy naming the journal when another process holds either lock; other
  // failures name the file and the fix.
  static Result<JournalLock> Acquire(const std::string& journal);

  JournalLock(JournalLock&&) noexcept = default;
  JournalLock& operator=(JournalLock&&) noexcept = default;
  JournalLock(const JournalLock&) = delete;
  JournalLock& operator=(const JournalLock&) = delete;

  Check Verify();
  const std::string& journal() const { return journal_; }

 private:
  struct Identity {
    dev_t dev = 0;
    ino_t ino = 0;
    bool operator==(const Identity&) const = default;
  };
  JournalLock(std::string journal, InstanceLock lock_file, UniqueFd journal_fd, Identity id);
  Status VerifyJournalFiles();
  Status VerifySidecar(const char* suffix, std::optional<Identity>& seen);
  Check VerifyLockFile(Check check);

  std::string journal_;
  InstanceLock lock_file_;
  UniqueFd journal_fd_;  // holds the flock on the journal file
  Identity journal_id_;
  // -wal and -shm as first seen: SQLite keeps both for as long as any
  // connection is open, so they must not change while the daemon runs.
  std::optional<Identity> wal_id_, shm_id_;
};

}  // namespace recsync
