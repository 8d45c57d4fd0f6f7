#include "fs/dir_listing.h"

#include <algorithm>

#include "common/hash.h"

namespace recsync {

uint32_t NameDigest(std::string_view name) { return static_cast<uint32_t>(ShortHash(name) >> 32); }

std::vector<uint32_t> DirListing::Digests() const {
  std::vector<uint32_t> out;
  if (from_digests_) {
    if (has_zero_) out.push_back(0);
    for (uint32_t d : digest_slots_) {
      if (d != 0) out.push_back(d);
    }
  } else {
    out.reserve(starts_.size());
    for (uint32_t i = 0; i < starts_.size(); ++i) out.push_back(NameDigest(At(i)));
  }
  std::sort(out.begin(), out.end());
  return out;
}

DirListing DirListing::FromDigests(const std::vector<uint32_t>& digests) {
  DirListing listing;
  listing.from_digests_ = true;
  listing.digest_count_ = digests.size();
  size_t slots = 16;
  while (slots < digests.size() * 2) slots *= 2;
  listing.digest_slots_.assign(slots, 0);
  const size_t mask = slots - 1;
  for (uint32_t d : digests) {
    if (d == 0) {
      listing.has_zero_ = true;
      continue;
    }
    size_t slot = d & mask;
    while (listing.digest_slots_[slot] != 0 && listing.digest_slots_[slot] != d) {
      slot = (slot + 1) & mask;
    }
    listing.digest_slots_[slot] = d;
  }
  return listing;
}

void DirListing::Add(std::string_view name) {
  // 256 slots hold a day of one camera's recordings without a rehash.
  if ((starts_.size() + 1) * 2 > slots_.size()) Rehash(std::max<size_t>(256, slots_.size() * 2));
  starts_.push_back(static_cast<uint32_t>(bytes_.size()));
  bytes_.append(name);
  bytes_.push_back('\0');
  const size_t mask = slots_.size() - 1;
  size_t slot = ShortHash(name) & mask;
  while (slots_[slot] != 0) slot = (slot + 1) & mask;
  slots_[slot] = static_cast<uint32_t>(starts_.size());
}

bool DirListing::Contains(std::string_view name) const {
  if (from_digests_) {
    const uint32_t d = NameDigest(name);
    if (d == 0) return has_zero_;
    const size_t mask = digest_slots_.size() - 1;
    for (size_t slot = d & mask; digest_slots_[slot] != 0; slot = (slot + 1) & mask) {
      if (digest_slots_[slot] == d) return true;
    }
    return false;
  }
  if (slots_.empty()) return false;
  const size_t mask = slots_.size() - 1;
  for (size_t slot = ShortHash(name) & mask; slots_[slot] != 0;
       slot = (slot + 1) & mask) {
    if (At(slots_[slot] - 1) == name) return true;
  }
  return false;
}

void DirListing::Clear() {
  bytes_.clear();
  starts_.clear();
  slots_.clear();
  from_digests_ = false;
  has_zero_ = false;
  digest_count_ = 0;
  digest_slots_.clear();
}

std::string_view DirListing::At(uint32_t i) const {
  const char* begin = bytes_.data() + starts_[i];
  const size_t end = i + 1 < starts_.size() ? starts_[i + 1] : bytes_.size();
  return std::string_view(begin, end - starts_[i] - 1);  // without its NUL
}

// Slots stay at least twice the names, so probes are short; `slots` is a
// power of two so a mask picks the slot.
void DirListing::Rehash(size_t slots) {
  slots_.assign(slots, 0);
  const size_t mask = slots - 1;
  for (uint32_t i = 0; i < starts_.size(); ++i) {
    size_t slot = ShortHash(At(i)) & mask;
    while (slots_[slot] != 0) slot = (slot + 1) & mask;
    slots_[slot] = i + 1;
  }
}

}  // namespace recsync
