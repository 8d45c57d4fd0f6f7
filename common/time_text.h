// Times as operators type and read them.
//
// Accepted by ParseTimeSpec():
//   absolute  2026-11-24                 local midnight
//             2026-11-24T10:00[:00[.123]] local time ('T' or one space)
//             ...Z, ...+01:00, ...-0530  that UTC offset
//   relative  30s, 15m, 2h, 7d           that long before now
// Printed by FormatTimeIso(): local time with milliseconds and the offset in
// force at that instant, e.g. 2026-11-24T10:00:00.123+01:00, which
// ParseTimeSpec() reads back to the same millisecond.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace recsync {

// Milliseconds since the Unix epoch, or kInvalid naming the text and the
// accepted forms.
Result<int64_t> ParseTimeSpec(std::string_view text, int64_t now_ms);

std::string FormatTimeIso(int64_t ms);

// A short human duration: 850ms, 12.3s, 4m05s, 2h03m, 3d04h.
std::string FormatDurationMs(int64_t ms);

}  // namespace recsync
