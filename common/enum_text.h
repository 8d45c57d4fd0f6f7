// EnumText: turning a domain enum into the text stored in the journal or
// shown in JSON and log lines, and back. Text lives only at those edges;
// everywhere else the enum is passed.
//
// Each enum provides, next to its definition:
//   constexpr std::string_view ToText(E value);   // a switch, so a new
//       enumerator without text fails to compile (-Wswitch, -Werror)
//   inline constexpr E k<Values>[] = {...};       // every value, in the
//       order error messages list them
// and these helpers do the rest for every such enum.
//
// Thread-safety: stateless.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace recsync {

// The value among `values` whose text is `text` (exact bytes), if any.
template <typename E, size_t N>
constexpr std::optional<E> ParseAmong(const E (&values)[N], std::string_view text) {
  for (E value : values) {
    if (ToText(value) == text) return value;
  }
  return std::nullopt;
}

// "a, b, c": the texts of `values`, for a message naming what is expected.
template <typename E, size_t N>
std::string JoinTexts(const E (&values)[N]) {
  std::string out;
  for (E value : values) {
    if (!out.empty()) out += ", ";
    out += ToText(value);
  }
  return out;
}

}  // namespace recsync
