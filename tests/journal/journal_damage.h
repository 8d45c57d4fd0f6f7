// Damaging a journal on disk the way storage does: bytes of the header or of
// a b-tree page overwritten. Shared by the journal tests and the daemon
// process tests.
#pragma once

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>

namespace recsync::testing {

// Moves every committed page into the main file and empties the -wal, from a
// connection of our own (the daemon's connections notice the change at their
// next transaction and drop their page caches).
inline void CheckpointJournal(const std::string& path) {
  SQLite::Database db(path, SQLite::OPEN_READWRITE, 5000);
  SQLite::Statement st(db, "PRAGMA wal_checkpoint(TRUNCATE)");
  REQUIRE(st.executeStep());
  REQUIRE(st.getColumn(0).getInt() == 0);  // not blocked by a reader
}

// The page numbers of the b-tree holding `name` (a table or an index), and
// of the file's page size.
inline int64_t RootPage(const std::string& path, const std::string& name) {
  SQLite::Database db(path, SQLite::OPEN_READONLY);
  SQLite::Statement st(db, "SELECT rootpage FROM sqlite_master WHERE name = ?");
  st.bind(1, name);
  REQUIRE(st.executeStep());
  return st.getColumn(0).getInt64();
}

inline int64_t PageSize(const std::string& path) {
  SQLite::Database db(path, SQLite::OPEN_READONLY);
  return db.execAndGet("PRAGMA page_size").getInt64();
}

inline void Overwrite(const std::string& path, int64_t offset, const std::string& bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  const ssize_t n = ::pwrite(fd, bytes.data(), bytes.size(), offset);
  ::fsync(fd);
  ::close(fd);
  REQUIRE(n == static_cast<ssize_t>(bytes.size()));
}

// Fills page `page` (1-based) with `byte`: 0 makes it an invalid b-tree page.
inline void DamagePage(const std::string& path, int64_t page, int64_t page_size, char byte = 0) {
  Overwrite(path, (page - 1) * page_size, std::string(static_cast<size_t>(page_size), byte));
}

// Overwrites the "SQLite format 3" magic at the start of the file.
inline void DamageHeader(const std::string& path) {
  Overwrite(path, 0, std::string(16, '\x5a'));
}

}  // namespace recsync::testing
