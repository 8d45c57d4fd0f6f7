// PathResolver: the active Media rows at a path, fast with or without
// Bluecherry's index on Media(filepath).
//
// Without the index one `WHERE filepath = ?` scans the whole table (about
// 200 ms at a million rows), which no per-event latency goal survives. So
// when SHOW INDEX finds none, the resolver keeps a compact map from a 64-bit
// hash of each active path to its ids, loaded by streaming the table once and
// kept current by fetching rows newer than its watermark. A hash is only a
// hint: every answer is confirmed by primary-key lookups comparing the exact
// path bytes, so a collision can never name the wrong row.
//
// Thread-safety: used by one thread at a time, like the Catalog it wraps.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "catalog/catalog.h"

namespace recsync {

class PathResolver {
 public:
  explicit PathResolver(Catalog& catalog) : catalog_(catalog) {}

  // Chooses the strategy and, without the index, loads the map.
  Status Prepare();

  // Active rows whose filepath is exactly `path` (confirmed against the
  // catalog). Rows added since the last call are found too.
  Result<std::vector<MediaRow>> Resolve(const std::string& path);

  // Resolve() for many paths (one answer per path, in order) with one
  // catalog query for all of them instead of one each: an rm -rf of a
  // thousand recordings is a thousand deletions in one pass.
  Result<std::vector<std::vector<MediaRow>>> ResolveMany(const std::vector<std::string>& paths);

  // Drops ids at `path` that are no longer active (archived or renamed).
  void Forget(const std::string& path, const std::vector<int64_t>& ids);
  // Records that the rows `ids` are now at `path` (renamed there), so that
  // Resolve(path) finds them; pair it with Forget(old path, ids). A no-op
  // with the index, which the catalog keeps itself, and for ids the map has
  // not loaded yet (the next refresh reads them at their current path).
  void Remember(const std::string& path, const std::vector<int64_t>& ids);

  bool uses_index() const { return uses_index_; }
  size_t mapped_rows() const { return rows_; }

 private:
  // 16 bytes per active row, so a million rows cost 16 MB: a sorted array
  // of (hash, id) pairs, a small unsorted tail of recent additions merged in
  // when it grows, and tombstones (id 0) for forgotten rows, swept out when
  // they pile up.
  struct Entry {
    uint64_t hash;
    int64_t id;
    bool operator<(const Entry& o) const { return hash != o.hash ? hash < o.hash : id < o.id; }
  };

  static uint64_t Hash(const std::string& path);
  Status Refresh();  // rows with id > watermark_ into the map
  void Add(uint64_t hash, int64_t id);
  std::vector<int64_t> Candidates(const std::string& path) const;
  void Compact();

  Catalog& catalog_;
  bool prepared_ = false;
  bool uses_index_ = false;
  int64_t watermark_ = 0;
  size_t rows_ = 0;
  size_t tombstones_ = 0;
  std::vector<Entry> sorted_;
  std::vector<Entry> recent_;
};

}  // namespace recsync
