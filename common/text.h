// Paths and names for humans: bytes that may hold newlines or invalid UTF-8,
// shown so that one record always stays one line.
#pragma once

#include <string>
#include <string_view>

namespace recsync {

// Valid UTF-8 is kept; backslash, tab, CR and LF become \\, \t, \r, \n;
// other control bytes and invalid UTF-8 bytes become \xNN.
std::string PrintableText(std::string_view bytes);

// The name of user `uid` ("bluecherry"), or "uid 998" when it has none. May
// consult NSS (LDAP, ...): not for the event loop.
std::string UserName(unsigned uid);
// The same for a group.
std::string GroupName(unsigned gid);

}  // namespace recsync
