#include "common/time_text.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>

namespace recsync {
namespace {

constexpr int64_t k20261124T10Z = 1795514400000;  // 2026-11-24T10:00:00Z
constexpr int64_t k20261124T00Z = 1795478400000;  // 2026-11-24T00:00:00Z
constexpr int64_t kHourMs = 3600 * 1000;

// Pins local time to a fixed UTC+01:00 zone (POSIX inverts the sign), so the
// tests do not depend on the machine's zone or on tzdata.
class FixedZone {
 public:
  explicit FixedZone(const char* tz) {
    if (const char* old = std::getenv("TZ")) old_ = old;
    ::setenv("TZ", tz, 1);
    ::tzset();
  }
  ~FixedZone() {
    if (old_) {
      ::setenv("TZ", old_->c_str(), 1);
    } else {
      ::unsetenv("TZ");
    }
    ::tzset();
  }

 private:
  std::optional<std::string> old_;
};

int64_t Parse(const std::string& text, int64_t now_ms = 0) {
  auto r = ParseTimeSpec(text, now_ms);
  INFO(text << ": " << r.status().message());
  REQUIRE(r.ok());
  return *r;
}

TEST_CASE("relative time specs count back from now") {
  const int64_t now = k20261124T10Z;
  CHECK(Parse("30s", now) == now - 30 * 1000);
  CHECK(Parse("15m", now) == now - 15 * 60 * 1000);
  CHECK(Parse("2h", now) == now - 2 * kHourMs);
  CHECK(Parse("7d", now) == now - 7 * 24 * kHourMs);
  CHECK(Parse("0s", now) == now);
}

TEST_CASE("ISO times with Z or an offset are absolute") {
  FixedZone zone("XXX-1");
  CHECK(Parse("2026-11-24T10:00:00Z") == k20261124T10Z);
  CHECK(Parse("2026-11-24T11:00:00+01:00") == k20261124T10Z);
  CHECK(Parse("2026-11-24T04:30:00-0530") == k20261124T10Z);
  CHECK(Parse("2026-11-24T10:00:00.123Z") == k20261124T10Z + 123);
  CHECK(Parse("2026-11-24T10:00:00.5Z") == k20261124T10Z + 500);
  CHECK(Parse("2026-11-24 10:00Z") == k20261124T10Z);
  CHECK(Parse("2024-02-29T12:30:15Z") == 1709209815000);
  CHECK(Parse("2026-11-24Z") == k20261124T00Z);
}

TEST_CASE("ISO times without an offset are local time") {
  FixedZone zone("XXX-1");
  CHECK(Parse("2026-11-24T11:00:00") == k20261124T10Z);
  CHECK(Parse("2026-11-24T11:00") == k20261124T10Z);
  CHECK(Parse("2026-11-24") == k20261124T00Z - kHourMs);
}

TEST_CASE("malformed time specs are kInvalid and quote the text") {
  for (const char* bad :
       {"", "yesterday", "7", "d", "-5m", "5w", "10x", "2026-13-01", "2026-02-29", "2026-11-31",
        "2026-11-24T25:00", "2026-11-24T10:60", "2026-11-24T10", "2026-11-24T10:00:00+1",
        "2026-11-24T10:00:00.Z", "2026-11-24T10:00:00Zjunk", "26-11-24", "99999999999999999999d"}) {
    auto r = ParseTimeSpec(bad, k20261124T10Z);
    INFO("spec '" << bad << "'");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Code::kInvalid);
    CHECK(r.status().message().find(std::string("'") + bad + "'") != std::string::npos);
  }
}

TEST_CASE("FormatTimeIso prints local time with milliseconds and offset") {
  FixedZone zone("XXX-1");
  CHECK(FormatTimeIso(k20261124T10Z + 123) == "2026-11-24T11:00:00.123+01:00");
  CHECK(FormatTimeIso(-1) == "1970-01-01T00:59:59.999+01:00");
  FixedZone west("YYY+5:30");
  CHECK(FormatTimeIso(k20261124T10Z) == "2026-11-24T04:30:00.000-05:30");
}

TEST_CASE("FormatTimeIso output parses back to the same millisecond") {
  FixedZone zone("CET-1CEST,M3.5.0,M10.5.0/3");  // with daylight saving time
  for (int64_t ms : {k20261124T10Z + 7, int64_t{1783000000123}, int64_t{0}}) {
    CHECK(Parse(FormatTimeIso(ms)) == ms);
  }
}

TEST_CASE("FormatDurationMs picks a readable unit") {
  CHECK(FormatDurationMs(0) == "0ms");
  CHECK(FormatDurationMs(850) == "850ms");
  CHECK(FormatDurationMs(12345) == "12.3s");
  CHECK(FormatDurationMs(59999) == "59.9s");
  CHECK(FormatDurationMs(245 * 1000) == "4m05s");
  CHECK(FormatDurationMs(2 * kHourMs + 3 * 60 * 1000) == "2h03m");
  CHECK(FormatDurationMs(76 * kHourMs) == "3d04h");
  CHECK(FormatDurationMs(-1500) == "-1.5s");
}

}  // namespace
}  // namespace recsync
