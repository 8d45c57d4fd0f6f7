// Journal: opening (creation, probing, migration) and maintenance. The record
// accessors live in records.cc, the schema in schema.cc.
#include "journal/journal.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <string>
#include <utility>

#include <spdlog/spdlog.h>

#include "common/access.h"
#include "journal/internal.h"
#include "journal/journal_fault.h"

namespace recsync {

using journal_internal::Guarded;
using journal_internal::SqliteError;

namespace {

constexpr int64_t kMsPerDay = 24LL * 3600 * 1000;

std::string DirOf(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

Status CreateFailure(int err, const std::string& path, const std::string& what,
                     const std::string& dir) {
  if (err == EACCES) {
    if (auto denial = FindAccessDenial(path, /*write=*/true)) {
      return Status(Code::kIo, "journal " + path + ": cannot create " + what + ": " +
                                   DescribeDenial(*denial, "give that user write access to " +
                                                               dir + " or set --journal"));
    }
  }
  Status s = ErrnoStatus(err, "journal " + path + ": cannot create " + what);
  return Status(s.code(), s.message() + " (check permissions of " + dir + " or set --journal)");
}

// mkdir -p with mode 0750 for the directories it creates: the journal lists
// recording paths, which are not for every local user.
Status MakeJournalDirs(const std::string& path, const std::string& dir) {
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos != dir.size() && dir[pos] != '/') continue;
    std::string prefix = dir.substr(0, pos);
    if (::mkdir(prefix.c_str(), 0750) == 0) {
      ::chmod(prefix.c_str(), 0750);  // whatever the umask
    } else if (errno != EEXIST) {
      return CreateFailure(errno, path, "directory " + prefix, DirOf(prefix));
    }
  }
  return Status::Ok();
}

// A -wal or -shm file beside a journal that did not exist belongs to another
// database (a journal moved aside without them): SQLite would replay that
// write-ahead log into the new file. They are moved out of the way.
void SetAsideOrphans(const std::string& path) {
  for (const char* suffix : {"-wal", "-shm"}) {
    const std::string orphan = path + suffix;
    const std::string aside = orphan + ".orphaned";
    if (::rename(orphan.c_str(), aside.c_str()) == 0) {
      spdlog::warn("journal {}: moved {} (left by a journal that is gone) to {}", path, orphan,
                   aside);
    }
  }
}

}  // namespace

namespace journal_internal {

Status EnsureJournalFile(const std::string& path) {
  const std::string dir = DirOf(path);
  RECSYNC_RETURN_IF_ERROR(MakeJournalDirs(path, dir));
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) {
    if (errno == EEXIST) return Status::Ok();  // there already, or another process won the race
    return CreateFailure(errno, path, "file", dir);
  }
  ::fchmod(fd, 0640);
  ::close(fd);
  SetAsideOrphans(path);
  return Status::Ok();
}

}  // namespace journal_internal

namespace {

Result<std::unique_ptr<SQLite::Database>> OpenReadWrite(const std::string& path, int busy_ms) {
  auto db = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE, busy_ms);
  // SQLite silently falls back to read-only when the file is not writable;
  // refuse now instead of failing at the first append.
  if (sqlite3_db_readonly(db->getHandle(), "main") == 1) {
    return SqliteError(path, SQLITE_READONLY, "attempt to write a readonly database");
  }
  // Refuse a foreign or newer file before switching it to WAL, which would
  // change it on disk.
  RECSYNC_RETURN_IF_ERROR(
      journal_internal::CheckCompatible(*db, path, journal_internal::ReadUserVersion(*db)));
  std::string journal_mode = db->execAndGet("PRAGMA journal_mode=WAL").getString();
  if (journal_mode != "wal") {
    return Status(Code::kIo, "journal " + path + ": cannot use write-ahead logging (mode is " +
                                 journal_mode +
                                 "; put the journal on a local filesystem or set --journal)");
  }
  db->exec("PRAGMA synchronous=FULL");
  RECSYNC_RETURN_IF_ERROR(journal_internal::Migrate(*db, path));
  RECSYNC_RETURN_IF_ERROR(journal_internal::CheckStructure(*db, path));
  return db;
}

// "file:" URI for `path` with every byte outside [A-Za-z0-9/._~-] escaped.
std::string FileUri(const std::string& path, const char* query) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string uri = "file:";
  for (unsigned char c : path) {
    if (std::isalnum(c) || c == '/' || c == '.' || c == '_' || c == '~' || c == '-') {
      uri += static_cast<char>(c);
    } else {
      uri += '%';
      uri += kHex[c >> 4];
      uri += kHex[c & 15];
    }
  }
  return uri + "?" + query;
}

bool FileExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

Result<std::unique_ptr<SQLite::Database>> OpenReadOnly(const std::string& path, int busy_ms) {
  auto db = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READONLY, busy_ms);
  int version = 0;
  try {
    version = journal_internal::ReadUserVersion(*db);
  } catch (const SQLite::Exception& e) {
    // Reading a WAL database needs its -shm file; a reader that may not create
    // it (an operator in the journal's group) fails when no writer left one.
    // With no -wal file every commit is in the main file, so read it as
    // immutable (no locks, no -shm).
    if ((e.getErrorCode() & 0xff) != SQLITE_CANTOPEN || FileExists(path + "-wal")) throw;
    db = std::make_unique<SQLite::Database>(FileUri(path, "immutable=1"),
                                            SQLite::OPEN_READONLY | SQLite::OPEN_URI, busy_ms);
    version = journal_internal::ReadUserVersion(*db);
  }
  RECSYNC_RETURN_IF_ERROR(journal_internal::CheckCompatible(*db, path, version));
  if (version == 0) {
    return Status(Code::kNotFound, "journal " + path +
                                       " is empty (no sweep or daemon has run yet, or set "
                                       "--journal)");
  }
  if (version < kJournalSchemaVersion) {
    return Status(Code::kInvalid, "journal " + path + " has schema version " +
                                      std::to_string(version) + ", this recsync uses " +
                                      std::to_string(kJournalSchemaVersion) +
                                      "; open it read-write once (start the daemon) to migrate it");
  }
  RECSYNC_RETURN_IF_ERROR(journal_internal::CheckStructure(*db, path));
  return db;
}

}  // namespace

Result<std::unique_ptr<Journal>> Journal::Open(const std::string& path, Mode mode) {
  return Open(path, mode, kJournalBusyTimeoutMs);
}

Result<std::unique_ptr<Journal>> Journal::Open(const std::string& path, Mode mode,
                                               int busy_timeout_ms) {
  if (path.empty()) return Status(Code::kInvalid, "journal path is empty (set --journal)");
  struct stat st;
  const bool exists = ::stat(path.c_str(), &st) == 0;
  if (!exists && errno != ENOENT) {
    const int err = errno;
    const bool write = mode == Mode::kReadWrite;
    if (auto denial = err == EACCES ? FindAccessDenial(path, write) : std::nullopt) {
      const std::string fix = std::string("give that user ") + (write ? "write" : "read") +
                              " access to " + DirOf(path) + " or set --journal";
      return Status(Code::kIo, "journal " + path + ": " + DescribeDenial(*denial, fix));
    }
    return ErrnoStatus(err, "journal " + path);
  }
  if (exists && !S_ISREG(st.st_mode)) {
    return Status(Code::kInvalid,
                  "journal " + path + " is not a regular file (set --journal to a file path)");
  }
  if (!exists) {
    if (mode == Mode::kReadOnly) {
      return Status(Code::kNotFound, "journal " + path +
                                         " does not exist (no sweep or daemon has run yet, "
                                         "or set --journal)");
    }
    RECSYNC_RETURN_IF_ERROR(journal_internal::EnsureJournalFile(path));
  }
  if (mode == Mode::kReadWrite) RECSYNC_RETURN_IF_ERROR(CheckJournalNotMarkedDamaged(path));
  return Guarded(path, [&]() -> Result<std::unique_ptr<Journal>> {
    auto db = mode == Mode::kReadWrite ? OpenReadWrite(path, busy_timeout_ms)
                                       : OpenReadOnly(path, busy_timeout_ms);
    if (!db.ok()) return db.status();
    return std::unique_ptr<Journal>(new Journal(path, std::move(*db)));
  });
}

Journal::Journal(std::string path, std::unique_ptr<SQLite::Database> db)
    : path_(std::move(path)), db_(std::move(db)) {}

Journal::~Journal() = default;

int Journal::schema_version() const {
  try {
    return journal_internal::ReadUserVersion(*db_);
  } catch (const SQLite::Exception&) {
    return 0;
  }
}

Result<int64_t> Journal::Prune(int64_t older_than_days, int64_t now_ms) {
  if (older_than_days < 0) {
    return Status(Code::kInvalid, "journal prune: --older-than must be >= 0 days, not " +
                                      std::to_string(older_than_days));
  }
  return Guarded(path_, [&]() -> Result<int64_t> {
    SQLite::Statement st(*db_,
                         "DELETE FROM events WHERE state IN ('applied', 'ignored') "
                         "AND time_ms < ?");
    st.bind(1, static_cast<int64_t>(now_ms - older_than_days * kMsPerDay));
    return static_cast<int64_t>(st.exec());
  });
}

Result<JournalStats> Journal::Stats() {
  return Guarded(path_, [&]() -> Result<JournalStats> {
    JournalStats stats;
    stats.path = path_;
    {
      // One read transaction: every figure comes from the same snapshot.
      SQLite::Transaction snapshot(*db_);
      stats.schema_version = journal_internal::ReadUserVersion(*db_);
      SQLite::Statement by_state(*db_, "SELECT state, count(*) FROM events GROUP BY state");
      while (by_state.executeStep()) {
        const int64_t n = by_state.getColumn(1).getInt64();
        stats.events_total += n;
        // A state this binary does not know counts in the total only.
        const auto state = ParseEventState(by_state.getColumn(0).getString());
        if (!state) continue;
        switch (*state) {
          case EventState::kPending: stats.events_pending = n; break;
          case EventState::kApplied: stats.events_applied = n; break;
          case EventState::kIgnored: stats.events_ignored = n; break;
          case EventState::kFailed: stats.events_failed = n; break;
        }
      }
      stats.oldest_pending_ms =
          db_->execAndGet("SELECT coalesce(min(time_ms), 0) FROM events WHERE state = 'pending'")
              .getInt64();
      stats.sweeps = db_->execAndGet("SELECT count(*) FROM sweeps").getInt64();
      stats.actions = db_->execAndGet("SELECT count(*) FROM actions WHERE confirmed = 1").getInt64();
      auto last = ListSweeps(1);
      if (!last.ok()) return last.status();
      if (!last->empty()) stats.last_sweep = last->front();
    }
    for (const std::string& file : {path_, path_ + "-wal"}) {
      struct stat st;
      if (::stat(file.c_str(), &st) == 0) stats.size_bytes += static_cast<int64_t>(st.st_size);
    }
    return stats;
  });
}

}  // namespace recsync
