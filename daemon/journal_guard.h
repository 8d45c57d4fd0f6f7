// JournalGuard: the daemon's watch over its journal, so that a journal fault
// stops the daemon loudly instead of losing events quietly.
//
// - Damage: any journal call in the process that meets a damaged file
//   (Code::kCorrupt, journal/journal_fault.h) marks the journal damaged
//   (so that the restart refuses it at once, naming the fix) and is fatal.
// - Identity: every check_every, and at once on CheckNow() (SIGHUP), the
//   guard's own thread runs JournalLock::Verify(): the journal, its -wal or
//   its -shm deleted or replaced is fatal (commits to an unlinked file would
//   be lost); a lock file deleted or replaced is made again and locked
//   (a warning), and one that cannot be is a degraded reason until it can.
// - Size: when its thread starts and with every check, the guard measures
//   the journal and its -wal (journal_bytes(), for the metrics), so no
//   stat of the journal ever runs on the loop.
// - Fatal: logged once, shown by degraded() at once, and `on_fatal` runs on
//   the loop fatal_grace later -- long enough for a status request waiting
//   on a change to be told why. The daemon then stops with exit code 1 and
//   systemd (Restart=on-failure) starts it again: on a new journal when the
//   old one was deleted, or refusing a damaged one until it is moved aside.
//
// The guard owns the JournalLock, so it must be destroyed after every
// Journal of the process has been closed (journal/journal_lock.h).
//
// Threads: construct, destroy and call the methods on the loop thread.
// Checks run on the guard's thread; faults are met on any thread; both reach
// the loop through the guard's own mailbox.
#pragma once

#include <uv.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "daemon/loop_mailbox.h"
#include "journal/journal_fault.h"
#include "journal/journal_lock.h"

namespace recsync {

class JournalGuard {
 public:
  struct Options {
    std::chrono::milliseconds check_every{5000};
    std::chrono::milliseconds fatal_grace{3000};
  };
  // `on_fatal` may destroy the guard.
  using OnFatal = std::function<void(const Status& fault)>;

  JournalGuard(uv_loop_t* loop, JournalLock lock, OnFatal on_fatal, Options options);
  ~JournalGuard();
  JournalGuard(const JournalGuard&) = delete;
  JournalGuard& operator=(const JournalGuard&) = delete;

  // Verifies the journal's files now rather than at the next period.
  void CheckNow();
  // Why the daemon is degraded on account of its journal.
  std::vector<std::string> degraded() const;
  // The journal file and its -wal in bytes, as last measured; -1 before the
  // first measure, or when the journal cannot be stat-ed.
  int64_t journal_bytes() const { return journal_bytes_; }

 private:
  void RunChecks();                              // the guard's thread
  void OnFault(const JournalFault& fault);       // any thread
  void OnChecked(const JournalLock::Check& check);
  void Fail(const Status& fault);
  static void OnGraceOver(uv_timer_t* timer);

  const std::string path_;
  JournalLock lock_;  // used by the guard's thread only, until it is joined
  OnFatal on_fatal_;
  Options options_;
  LoopMailbox mailbox_;
  uv_timer_t* grace_timer_;  // freed by its close callback

  // Loop thread.
  std::optional<Status> fatal_;
  std::string lock_problem_;
  int64_t journal_bytes_ = -1;

  // Shared with the guard's thread.
  std::mutex mu_;
  std::condition_variable wake_;
  bool check_now_ = false;
  bool stopping_ = false;
  std::atomic<bool> marked_{false};  // the damaged marker is written
  std::thread thread_;
};

}  // namespace recsync
