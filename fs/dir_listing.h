// DirListing: the names in one directory, packed for a sweep that lists every
// folder of the storage and asks about every recording; FolderStamp, what
// says whether a directory's names may have changed since it was listed; and
// NameDigest, what a remembered listing keeps of each name.
//
// Pure data, no system calls (the real disk fills a listing: fs/disk.h).
// Thread rules: none of its own; a listing is used by one thread at a time,
// and a const one may be read from several.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace recsync {

// A directory's identity and change times as stat(2) gives them. Adding,
// removing or renaming a name in a directory sets its mtime and ctime, so
// an equal stamp later means the same names, within the limits that
// reconcile/listing_cache.h guards against.
struct FolderStamp {
  uint64_t dev = 0;
  uint64_t ino = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;
  bool operator==(const FolderStamp&) const = default;
};

// The digest of a file name that a remembered listing keeps instead of the
// name: 4 bytes, whatever the name's length, because a sweep remembers a
// listing of every folder and the bytes cost time to store and load. It is
// stored in the journal: a change to it must change kNameDigestFormat,
// which retires every listing stored with the old one.
inline constexpr int kNameDigestFormat = 1;
uint32_t NameDigest(std::string_view name);

// The names in one directory, as readdir(3) (getdents) gives them, packed
// into one buffer with an open-addressing index: a sweep lists every folder
// of the storage and asks about every recording, so neither may cost an
// allocation per name.
class DirListing {
 public:
  int err = 0;  // errno of opendir/readdir; 0 when listed whole
  // Set by a disk that can tell (the real one): the directory's stamp, taken
  // from the open directory before its first entry was read, and the wall
  // clock just before that.
  std::optional<FolderStamp> stamp;
  int64_t opened_ns = 0;

  // Adds a name (not "." or ".."; the caller skips those). Names are
  // assumed distinct, as a directory's are.
  void Add(std::string_view name);
  // Whether `name` was added.
  bool Contains(std::string_view name) const;
  size_t size() const { return from_digests_ ? digest_count_ : starts_.size(); }
  // Drops every name (a listing that failed half-way).
  void Clear();

  // NameDigest() of every name, sorted: what a remembered listing keeps.
  std::vector<uint32_t> Digests() const;
  // A listing rebuilt from Digests(). Its Contains() compares digests, so a
  // gone file whose digest equals that of a name still in the folder counts
  // as listed: odds of about 1 in 40 million for a folder of 100 names, and
  // the cost is a later archive (when the folder changes or the listing
  // expires), never a wrong one.
  static DirListing FromDigests(const std::vector<uint32_t>& digests);

 private:
  std::string_view At(uint32_t i) const;
  void Rehash(size_t slots);

  std::string bytes_;              // every name, each followed by a NUL
  std::vector<uint32_t> starts_;   // where each name begins in bytes_
  std::vector<uint32_t> slots_;    // 0 = empty, else 1 + index into starts_
  // FromDigests: an open-addressing set of the digests, 0 = empty slot
  // (digest 0 is kept in has_zero_).
  bool from_digests_ = false;
  bool has_zero_ = false;
  size_t digest_count_ = 0;
  std::vector<uint32_t> digest_slots_;
};

}  // namespace recsync
