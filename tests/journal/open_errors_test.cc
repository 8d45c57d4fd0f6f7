#include <SQLiteCpp/Database.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include <catch2/catch.hpp>
#include <string>

#include "journal/journal.h"
#include "tests/journal/journal_test_util.h"
#include "tests/support/as_nobody.h"
#include "tests/support/temp_dir.h"

namespace recsync::testing {
namespace {

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Makes `dir` read-only for the test's lifetime. Root ignores permission bits,
// so as root this is a read-only bind mount in a private mount namespace (no
// other process sees it); otherwise chmod. ok() is false when neither works.
class ReadOnlyDir {
 public:
  explicit ReadOnlyDir(const std::string& dir) : dir_(dir) {
    if (::geteuid() != 0) {
      chmodded_ = ::chmod(dir.c_str(), 0555) == 0;
      return;
    }
    if (::unshare(CLONE_NEWNS) != 0 ||
        ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        ::mount(dir.c_str(), dir.c_str(), nullptr, MS_BIND, nullptr) != 0) {
      return;
    }
    mounted_ = true;
    remounted_ =
        ::mount(nullptr, dir.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) == 0;
  }
  ~ReadOnlyDir() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
    if (chmodded_) ::chmod(dir_.c_str(), 0755);
  }
  bool ok() const { return chmodded_ || remounted_; }

 private:
  std::string dir_;
  bool chmodded_ = false, mounted_ = false, remounted_ = false;
};

// Makes `file` unwritable: chmod 0444, or as root the immutable attribute
// (chattr +i), which root cannot write through either.
class ReadOnlyFile {
 public:
  explicit ReadOnlyFile(const std::string& file) : file_(file) {
    if (::geteuid() != 0) {
      chmodded_ = ::chmod(file.c_str(), 0444) == 0;
      return;
    }
    immutable_ = SetImmutable(true);
  }
  ~ReadOnlyFile() {
    if (immutable_) SetImmutable(false);
    if (chmodded_) ::chmod(file_.c_str(), 0644);
  }
  bool ok() const { return chmodded_ || immutable_; }

 private:
  bool SetImmutable(bool on) {
    int fd = ::open(file_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    int flags = 0;
    bool done = ::ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0;
    if (done) {
      flags = on ? (flags | FS_IMMUTABLE_FL) : (flags & ~FS_IMMUTABLE_FL);
      done = ::ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0;
    }
    ::close(fd);
    return done;
  }
  std::string file_;
  bool chmodded_ = false, immutable_ = false;
};

TEST_CASE("opening a missing journal read-only is kNotFound naming the file, and creates nothing") {
  TempDir dir;
  const std::string path = dir.Sub("state/journal.db");
  auto journal = Journal::Open(path, Journal::Mode::kReadOnly);
  REQUIRE_FALSE(journal.ok());
  CHECK(journal.status().code() == Code::kNotFound);
  CHECK(journal.status().message() ==
        "journal " + path + " does not exist (no sweep or daemon has run yet, or set --journal)");
  CHECK_FALSE(Exists(dir.Sub("state")));
}

TEST_CASE("a file that is not SQLite is refused in both modes and left untouched") {
  TempDir dir;
  const std::string path = dir.Sub("journal.db");
  const std::string content = "this is a text file, not a database\n" + std::string(200, 'x');
  WriteFile(path, content);
  for (auto mode : {Journal::Mode::kReadWrite, Journal::Mode::kReadOnly}) {
    auto journal = Journal::Open(path, mode);
    REQUIRE_FALSE(journal.ok());
    const std::string message = journal.status().message();
    INFO(message);
    CHECK(Contains(message, "journal " + path + ": "));
    CHECK(Contains(message, "not a database"));
    CHECK(Contains(message, "set --journal"));
    CHECK(message.find('\n') == std::string::npos);
  }
  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK(st.st_size == static_cast<off_t>(content.size()));
}

TEST_CASE("a directory where the journal file should be is refused") {
  TempDir dir;
  MakeDirs(dir.Sub("journal.db"));
  auto journal = Journal::Open(dir.Sub("journal.db"), Journal::Mode::kReadWrite);
  REQUIRE_FALSE(journal.ok());
  CHECK(Contains(journal.status().message(), "not a regular file"));
}

TEST_CASE("a journal locked by another writer is kBusy once the busy timeout passes") {
  TempDir dir;
  const std::string path = dir.Sub("journal.db");
  auto writer = OpenJournal(path, Journal::Mode::kReadWrite, kTestBusyTimeoutMs);
  SQLite::Database other(path, SQLite::OPEN_READWRITE);
  other.exec("BEGIN EXCLUSIVE");

  auto second = Journal::Open(path, Journal::Mode::kReadWrite, kTestBusyTimeoutMs);
  REQUIRE_FALSE(second.ok());
  CHECK(second.status().code() == Code::kBusy);
  CHECK(Contains(second.status().message(), path));

  auto appended = writer->AppendEvents({Event(1, "/a")});
  REQUIRE_FALSE(appended.ok());
  CHECK(appended.status().code() == Code::kBusy);

  // Readers are not blocked by the lock (WAL).
  auto reader = OpenJournal(path, Journal::Mode::kReadOnly, kTestBusyTimeoutMs);
  CHECK(Must(reader->PendingEvents(0, 0)).empty());

  other.exec("ROLLBACK");
  Append(*writer, {Event(1, "/a")});
}

TEST_CASE("a journal in a read-only directory is refused at Open, not at the first write") {
  TempDir dir;
  const std::string existing = dir.Sub("ro/journal.db");
  {
    auto journal = OpenJournal(existing);
    Append(*journal, {Event(1, "/a")});
  }
  ReadOnlyDir read_only(dir.Sub("ro"));
  if (!read_only.ok()) {
    WARN("cannot make a directory read-only here (no mount namespace); case skipped");
    return;
  }
  for (const std::string& path : {existing, dir.Sub("ro/new.db")}) {
    auto journal = Journal::Open(path, Journal::Mode::kReadWrite);
    REQUIRE_FALSE(journal.ok());
    const std::string message = journal.status().message();
    INFO(message);
    CHECK(Contains(message, "journal " + path + ": "));
    CHECK(Contains(message, "check permissions of " + dir.Sub("ro")));
    CHECK(Contains(message, "set --journal"));
  }
  // Reading still works.
  auto reader = OpenJournal(existing, Journal::Mode::kReadOnly);
  CHECK(Must(reader->PendingEvents(0, 0)).size() == 1);
}

TEST_CASE("a read-only journal file is refused at Open with the permissions fix") {
  TempDir dir;
  const std::string path = dir.Sub("journal.db");
  OpenJournal(path);
  ReadOnlyFile read_only(path);
  if (!read_only.ok()) {
    WARN("cannot make a file read-only here (no chattr support); case skipped");
    return;
  }
  auto journal = Journal::Open(path, Journal::Mode::kReadWrite);
  REQUIRE_FALSE(journal.ok());
  CHECK(journal.status().message() ==
        "journal " + path + ": attempt to write a readonly database (check permissions of " +
            dir.path() + " and journal.db or set --journal)");
}

TEST_CASE("a journal recsync may not write says permission denied, with the mode and owner") {
  if (!CanBecomeNobody()) {
    WARN("not run: needs root to open the journal as another user");
    return;
  }
  // Under /tmp, which anyone may enter; the journal's directory is root's.
  char top[] = "/tmp/recsync-journal-perm-XXXXXX";
  REQUIRE(::mkdtemp(top) != nullptr);
  struct Cleanup {
    std::string path;
    ~Cleanup() { std::filesystem::remove_all(path); }
  } cleanup{top};
  REQUIRE(::chmod(top, 0755) == 0);
  const std::string dir = std::string(top) + "/state";
  REQUIRE(::mkdir(dir.c_str(), 0750) == 0);
  const std::string path = dir + "/journal.db";
  const std::string message = AsNobody([&] {
    auto journal = Journal::Open(path, Journal::Mode::kReadWrite);
    return journal.ok() ? std::string("opened") : journal.status().message();
  });
  INFO(message);
  CHECK(Contains(message, "journal " + path + ": "));
  CHECK(Contains(message, "permission denied: " + dir + " is mode 0750, owner root:root, and "
                          "recsync runs as nobody; give that user write access to " + dir +
                          " or set --journal"));
}

}  // namespace
}  // namespace recsync::testing
