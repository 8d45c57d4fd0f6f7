// JournalLock: a second recsync is kept off a journal even when its lock
// file is deleted; a deleted lock file is made again; a journal deleted or
// replaced is noticed; the flock on the journal does not disturb SQLite's
// own locks, in this process or another.
#include "journal/journal_lock.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "tests/journal/journal_test_util.h"
#include "tests/support/temp_dir.h"

namespace recsync::testing {
namespace {

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

JournalLock MustLock(const std::string& journal) {
  auto lock = JournalLock::Acquire(journal);
  INFO(lock.status().message());
  REQUIRE(lock.ok());
  return std::move(*lock);
}

TEST_CASE("a second lock on a journal is refused, also once its lock file was deleted") {
  TempDir dir;
  const std::string journal = dir.Sub("state/journal.db");
  JournalLock first = MustLock(journal);
  CHECK(Exists(journal));  // created, so that it can be locked

  auto second = JournalLock::Acquire(journal);
  REQUIRE_FALSE(second.ok());
  CHECK(second.status().code() == Code::kBusy);
  CHECK(Contains(second.status().message(), "already running on journal " + journal));

  RemoveFile(JournalLock::LockFilePath(journal));
  auto third = JournalLock::Acquire(journal);
  REQUIRE_FALSE(third.ok());
  CHECK(third.status().code() == Code::kBusy);
  CHECK(Contains(third.status().message(), "already running on journal " + journal));
  CHECK(Contains(third.status().message(), "was removed or replaced"));
}

TEST_CASE("Verify makes a deleted lock file again and locks it") {
  TempDir dir;
  const std::string journal = dir.Sub("journal.db");
  const std::string lock_file = JournalLock::LockFilePath(journal);
  JournalLock lock = MustLock(journal);
  JournalLock::Check check = lock.Verify();
  CHECK(check.journal.ok());
  CHECK(check.lock.ok());
  CHECK(check.lock_repair.empty());

  RemoveFile(lock_file);
  CHECK_FALSE(InstanceLock::IsHeld(lock_file));
  check = lock.Verify();
  CHECK(check.journal.ok());
  CHECK(check.lock.ok());
  CHECK(Contains(check.lock_repair, lock_file + " was removed or replaced"));
  CHECK(InstanceLock::IsHeld(lock_file));
  CHECK(lock.Verify().lock_repair.empty());  // repaired once
}

TEST_CASE("Verify reports a lock file it cannot make again, and keeps trying") {
  TempDir dir;
  const std::string journal = dir.Sub("journal.db");
  const std::string lock_file = JournalLock::LockFilePath(journal);
  JournalLock lock = MustLock(journal);
  RemoveFile(lock_file);
  MakeDirs(lock_file);  // a directory cannot be opened for writing
  JournalLock::Check check = lock.Verify();
  CHECK(check.journal.ok());
  CHECK_FALSE(check.lock.ok());
  CHECK(Contains(check.lock.message(), lock_file));
  REQUIRE(::rmdir(lock_file.c_str()) == 0);
  check = lock.Verify();
  CHECK(check.lock.ok());
  CHECK_FALSE(check.lock_repair.empty());
}

TEST_CASE("Verify reports the journal, its -wal or its -shm deleted or replaced") {
  TempDir dir;
  const std::string journal = dir.Sub("journal.db");
  JournalLock lock = MustLock(journal);
  auto open = OpenJournal(journal);  // makes the -wal and -shm
  Append(*open, {Event(1, "/rec/a")});
  REQUIRE(lock.Verify().journal.ok());

  SECTION("the journal deleted") {
    RemoveFile(journal);
    Status s = lock.Verify().journal;
    CHECK(s.code() == Code::kNotFound);
    CHECK(Contains(s.message(), "journal " + journal + " was deleted or renamed"));
  }
  SECTION("the journal replaced") {
    WriteFile(dir.Sub("other.db"), "");
    REQUIRE(::rename(dir.Sub("other.db").c_str(), journal.c_str()) == 0);
    Status s = lock.Verify().journal;
    CHECK(s.code() == Code::kCorrupt);
    CHECK(Contains(s.message(), "journal " + journal + " was replaced"));
  }
  SECTION("its -wal deleted") {
    RemoveFile(journal + "-wal");
    Status s = lock.Verify().journal;
    CHECK_FALSE(s.ok());
    CHECK(Contains(s.message(), journal + "-wal was deleted"));
  }
  SECTION("its -shm replaced") {
    RemoveFile(journal + "-shm");
    WriteFile(journal + "-shm", "");
    Status s = lock.Verify().journal;
    CHECK_FALSE(s.ok());
    CHECK(Contains(s.message(), journal + "-shm was replaced"));
  }
}

TEST_CASE("SQLite's locks work as before while the journal file is flocked") {
  TempDir dir;
  const std::string journal = dir.Sub("journal.db");
  JournalLock lock = MustLock(journal);
  auto mine = OpenJournal(journal);
  Append(*mine, {Event(1, "/rec/a")});

  // Another process writes through its own connection (its own fcntl locks)
  // while ours is open and the flock is held.
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    auto theirs = Journal::Open(journal, Journal::Mode::kReadWrite);
    bool ok = theirs.ok() && (*theirs)->AppendEvents({Event(2, "/rec/b")}).ok();
    ::_exit(ok ? 0 : 1);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));

  // Ours sees their commit and still writes.
  Append(*mine, {Event(3, "/rec/c")});
  CHECK(Must(mine->CountEvents(EventState::kPending)) == 3);
  CHECK(lock.Verify().journal.ok());
}

}  // namespace
}  // namespace recsync::testing
