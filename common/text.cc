#include "common/text.h"

#include <grp.h>
#include <pwd.h>

#include <cstdio>
#include <vector>

namespace recsync {
namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 when it is not one
// (truncated, overlong, surrogate or beyond U+10FFFF).
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char lead = byte(i);
  size_t len = 0;
  unsigned char lo = 0x80, hi = 0xbf;  // allowed range of the second byte
  if (lead >= 0xc2 && lead <= 0xdf) {
    len = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    len = 3;
    if (lead == 0xe0) lo = 0xa0;
    if (lead == 0xed) hi = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    len = 4;
    if (lead == 0xf0) lo = 0x90;
    if (lead == 0xf4) hi = 0x8f;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < len; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xbf) return 0;
  }
  return len;
}

}  // namespace

std::string PrintableText(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (size_t i = 0; i < bytes.size();) {
    const unsigned char c = static_cast<unsigned char>(bytes[i]);
    if (c >= 0x80) {
      if (size_t len = Utf8SequenceLength(bytes, i)) {
        out.append(bytes.substr(i, len));
        i += len;
        continue;
      }
    }
    ++i;
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c >= 0x7f) {
      char hex[5];
      std::snprintf(hex, sizeof(hex), "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

namespace {

// getpwuid_r or getgrgid_r (`lookup`) for `id`: the entry's name, printable,
// or `fallback` followed by the number.
template <typename Entry, typename Lookup>
std::string NameOf(Lookup lookup, unsigned id, char* Entry::*name, size_t buffer,
                   const char* fallback) {
  std::vector<char> buf(buffer);
  Entry entry;
  Entry* found = nullptr;
  if (lookup(id, &entry, buf.data(), buf.size(), &found) == 0 && found != nullptr) {
    return PrintableText(found->*name);
  }
  return std::string(fallback) + " " + std::to_string(id);
}

}  // namespace

std::string UserName(unsigned uid) {
  return NameOf<struct passwd>(::getpwuid_r, uid, &passwd::pw_name, 4096, "uid");
}

std::string GroupName(unsigned gid) {
  return NameOf<struct group>(::getgrgid_r, gid, &group::gr_name, 16384, "gid");
}

}  // namespace recsync
