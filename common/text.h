// Paths and names for humans: bytes that may hold newlines or invalid UTF-8,
// shown so that one record always stays one line.
#pragma once

#include <string>
#include <string_view>

namespace recsync {

// Valid UTF-8 is kept; backslash, tab, CR and LF become \\, \t, \r, \n;
// other control bytes and invalid UTF-8 bytes become \xNN.
std::string PrintableText(std::string_view bytes);

}  // namespace recsync
