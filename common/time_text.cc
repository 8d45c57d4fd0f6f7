#include "common/time_text.h"

#include <cstdio>
#include <ctime>
#include <limits>
#include <optional>

namespace recsync {
namespace {

constexpr int64_t kMsPerSecond = 1000;

// Reads exactly `digits` decimal digits at text[pos], advancing pos.
std::optional<int> Digits(std::string_view text, size_t& pos, size_t digits) {
  if (pos + digits > text.size()) return std::nullopt;
  int value = 0;
  for (size_t i = 0; i < digits; ++i) {
    char c = text[pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  pos += digits;
  return value;
}

bool Consume(std::string_view text, size_t& pos, char c) {
  if (pos < text.size() && text[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

bool IsLeap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeap(year) ? 29 : kDays[month - 1];
}

std::optional<int64_t> ParseRelative(std::string_view text, int64_t now_ms) {
  if (text.size() < 2) return std::nullopt;
  int64_t unit_ms = 0;
  switch (text.back()) {
    case 's':
      unit_ms = kMsPerSecond;
      break;
    case 'm':
      unit_ms = 60 * kMsPerSecond;
      break;
    case 'h':
      unit_ms = 3600 * kMsPerSecond;
      break;
    case 'd':
      unit_ms = 86400 * kMsPerSecond;
      break;
    default:
      return std::nullopt;
  }
  int64_t count = 0;
  for (char c : text.substr(0, text.size() - 1)) {
    if (c < '0' || c > '9') return std::nullopt;
    if (count > (std::numeric_limits<int64_t>::max() / unit_ms - 9) / 10) return std::nullopt;
    count = count * 10 + (c - '0');
  }
  return now_ms - count * unit_ms;
}

std::optional<int64_t> ParseAbsolute(std::string_view text) {
  size_t pos = 0;
  auto year = Digits(text, pos, 4);
  if (!year || !Consume(text, pos, '-')) return std::nullopt;
  auto month = Digits(text, pos, 2);
  if (!month || !Consume(text, pos, '-')) return std::nullopt;
  auto day = Digits(text, pos, 2);
  if (!day || *month < 1 || *month > 12 || *day < 1 || *day > DaysInMonth(*year, *month)) {
    return std::nullopt;
  }
  int hour = 0, minute = 0, second = 0, millis = 0;
  if (Consume(text, pos, 'T') || Consume(text, pos, ' ')) {
    auto h = Digits(text, pos, 2);
    if (!h || !Consume(text, pos, ':')) return std::nullopt;
    auto m = Digits(text, pos, 2);
    if (!m) return std::nullopt;
    hour = *h;
    minute = *m;
    if (Consume(text, pos, ':')) {
      auto s = Digits(text, pos, 2);
      if (!s) return std::nullopt;
      second = *s;
      if (Consume(text, pos, '.')) {
        // 1 to 3 fraction digits: .1 is 100 ms.
        int scale = 100, digits = 0;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9' && digits < 3) {
          millis += (text[pos++] - '0') * scale;
          scale /= 10;
          ++digits;
        }
        if (digits == 0) return std::nullopt;
      }
    }
    if (hour > 23 || minute > 59 || second > 59) return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = *year - 1900;
  tm.tm_mon = *month - 1;
  tm.tm_mday = *day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  time_t seconds;
  if (pos == text.size()) {
    tm.tm_isdst = -1;  // local time: let the zone rules decide
    seconds = ::mktime(&tm);
  } else {
    int offset_minutes = 0;
    if (!Consume(text, pos, 'Z')) {
      int sign = Consume(text, pos, '+') ? 1 : Consume(text, pos, '-') ? -1 : 0;
      if (sign == 0) return std::nullopt;
      auto oh = Digits(text, pos, 2);
      if (!oh) return std::nullopt;
      Consume(text, pos, ':');
      auto om = Digits(text, pos, 2);
      if (!om || *oh > 23 || *om > 59) return std::nullopt;
      offset_minutes = sign * (*oh * 60 + *om);
    }
    if (pos != text.size()) return std::nullopt;
    seconds = ::timegm(&tm) - static_cast<time_t>(offset_minutes) * 60;
  }
  return static_cast<int64_t>(seconds) * kMsPerSecond + millis;
}

}  // namespace

Result<int64_t> ParseTimeSpec(std::string_view text, int64_t now_ms) {
  if (auto ms = ParseRelative(text, now_ms)) return *ms;
  if (auto ms = ParseAbsolute(text)) return *ms;
  return Status(Code::kInvalid, "invalid time '" + std::string(text) +
                                    "' (expected e.g. 2026-11-24, 2026-11-24T10:00:00, "
                                    "2026-11-24T10:00:00+01:00, or 30s, 15m, 2h, 7d before now)");
}

std::string FormatTimeIso(int64_t ms) {
  // Floor division so times before 1970 still print their millisecond right.
  int64_t seconds = ms / kMsPerSecond;
  int64_t millis = ms % kMsPerSecond;
  if (millis < 0) {
    millis += kMsPerSecond;
    --seconds;
  }
  time_t t = static_cast<time_t>(seconds);
  std::tm tm{};
  if (::localtime_r(&t, &tm) == nullptr) return std::to_string(ms) + "ms";
  long offset = tm.tm_gmtoff / 60;
  char sign = offset < 0 ? '-' : '+';
  if (offset < 0) offset = -offset;
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03d%c%02ld:%02ld",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(millis), sign, offset / 60, offset % 60);
  return buf;
}

std::string FormatDurationMs(int64_t ms) {
  if (ms < 0) {
    // Appended rather than "-" + ..., which trips GCC 12's false -Wrestrict.
    std::string negative = "-";
    negative.append(FormatDurationMs(ms == std::numeric_limits<int64_t>::min() ? 0 : -ms));
    return negative;
  }
  char buf[48];
  if (ms < kMsPerSecond) {
    std::snprintf(buf, sizeof(buf), "%lldms", static_cast<long long>(ms));
  } else if (ms < 60 * kMsPerSecond) {
    // Truncated, not rounded, so 59999 ms stays below "1m".
    std::snprintf(buf, sizeof(buf), "%lld.%llds", static_cast<long long>(ms / kMsPerSecond),
                  static_cast<long long>(ms % kMsPerSecond / 100));
  } else {
    long long s = ms / kMsPerSecond;
    if (s < 3600) {
      std::snprintf(buf, sizeof(buf), "%lldm%02llds", s / 60, s % 60);
    } else if (s < 86400) {
      std::snprintf(buf, sizeof(buf), "%lldh%02lldm", s / 3600, s % 3600 / 60);
    } else {
      std::snprintf(buf, sizeof(buf), "%lldd%02lldh", s / 86400, s % 86400 / 3600);
    }
  }
  return buf;
}

}  // namespace recsync
