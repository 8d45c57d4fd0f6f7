// JSON output helpers shared by every command that prints JSON.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace recsync {

// Serialises `value` on one line (or indented, when indent >= 0). Paths are
// bytes and may hold invalid UTF-8: such bytes become U+FFFD instead of
// throwing, so output never fails on a strange file name.
inline std::string DumpJson(const nlohmann::json& value, int indent = -1) {
  return value.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace recsync
