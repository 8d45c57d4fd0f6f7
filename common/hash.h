// ShortHash: a fast, non-cryptographic hash for short byte strings (file
// names, folder paths) looked up millions of times per sweep. Eight bytes at
// a time with a multiply-xorshift mix; not meant to resist chosen inputs
// (the keys are our own paths). Stored only as NameDigest (fs/dir_listing.h):
// a change here must change kNameDigestFormat there.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace recsync {

inline uint64_t ShortHash(std::string_view s) {
  const char* p = s.data();
  size_t n = s.size();
  uint64_t h = 0x9E3779B97F4A7C15ull ^ n;
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
    h ^= h >> 31;
    p += 8;
    n -= 8;
  }
  uint64_t w = 0;
  std::memcpy(&w, p, n);
  h = (h ^ w) * 0x94D049BB133111EBull;
  return h ^ (h >> 29);
}

// For unordered containers keyed by std::string and looked up by string_view.
struct ShortHasher {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return ShortHash(s); }
};

}  // namespace recsync
