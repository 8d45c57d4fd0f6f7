// The journal's folder listings: a cache the sweep keeps between runs.
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Transaction.h>

#include "journal/internal.h"
#include "journal/journal.h"

namespace recsync {

using journal_internal::BindBytes;
using journal_internal::ColumnBytes;
using journal_internal::Guarded;
using journal_internal::RelaxedSync;

Status Journal::EachListing(const std::function<void(ListingRecord&&)>& fn) {
  return Guarded(path_, [&]() -> Status {
    SQLite::Statement st(*db_,
                         "SELECT dir, st_dev, st_ino, mtime_ns, ctime_ns, listed_ms, format, names "
                         "FROM listings");
    while (st.executeStep()) {
      ListingRecord r;
      r.dir = ColumnBytes(st.getColumn(0));
      // Unsigned device and inode numbers are stored in signed columns; the
      // casts round-trip them.
      r.st_dev = static_cast<uint64_t>(st.getColumn(1).getInt64());
      r.st_ino = static_cast<uint64_t>(st.getColumn(2).getInt64());
      r.mtime_ns = st.getColumn(3).getInt64();
      r.ctime_ns = st.getColumn(4).getInt64();
      r.listed_ms = st.getColumn(5).getInt64();
      r.format = st.getColumn(6).getInt();
      r.names = ColumnBytes(st.getColumn(7));
      fn(std::move(r));
    }
    return Status::Ok();
  });
}

Result<std::vector<std::string>> Journal::ListingDirs() {
  return Guarded(path_, [&]() -> Result<std::vector<std::string>> {
    SQLite::Statement st(*db_, "SELECT dir FROM listings");
    std::vector<std::string> dirs;
    while (st.executeStep()) dirs.push_back(ColumnBytes(st.getColumn(0)));
    return dirs;
  });
}

Status Journal::UpdateListings(const std::vector<ListingRecord>& put,
                               const std::vector<std::string>& drop) {
  if (put.empty() && drop.empty()) return Status::Ok();
  return Guarded(path_, [&]() -> Status {
    // A cache: a crash before the next FULL commit only loses listings.
    RelaxedSync relaxed(*db_);
    SQLite::Transaction tx(*db_);
    SQLite::Statement del(*db_, "DELETE FROM listings WHERE dir = ?");
    for (const auto& dir : drop) {
      BindBytes(del, 1, dir);
      del.exec();
      del.reset();
    }
    SQLite::Statement ins(*db_,
                          "INSERT OR REPLACE INTO listings(dir, st_dev, st_ino, mtime_ns, "
                          "ctime_ns, listed_ms, format, names) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    for (const auto& r : put) {
      BindBytes(ins, 1, r.dir);
      ins.bind(2, static_cast<int64_t>(r.st_dev));
      ins.bind(3, static_cast<int64_t>(r.st_ino));
      ins.bind(4, static_cast<int64_t>(r.mtime_ns));
      ins.bind(5, static_cast<int64_t>(r.ctime_ns));
      ins.bind(6, static_cast<int64_t>(r.listed_ms));
      ins.bind(7, r.format);
      BindBytes(ins, 8, r.names);
      ins.exec();
      ins.reset();
    }
    tx.commit();
    return Status::Ok();
  });
}

}  // namespace recsync
