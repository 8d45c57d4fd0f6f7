// How the `journal` commands print records: aligned tables for people, one
// JSON object per line for programs.
#pragma once

#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/text.h"
#include "journal/journal.h"
#include "journal/journal_json.h"

namespace recsync {

// Columns padded to their widest cell (counted in code points); the last column
// is not padded so lines carry no trailing blanks. Cells are printed through
// PrintableText(), so a row is always one line. Put the cell that can be
// long (a path) last: a long one then only makes its own line longer. Text
// that can be long and is not in every row goes in a note: a line of its
// own under the row, indented, outside the columns.
class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header);
  void AddRow(std::vector<std::string> cells);
  // "<label>: <text>" under the last row added; nothing when text is empty.
  void AddNote(const std::string& label, const std::string& text);
  // Every line starts with `indent`.
  void Print(std::ostream& out, const std::string& indent = "") const;

 private:
  std::vector<std::vector<std::string>> rows_;  // rows_[0] is the header
  std::vector<std::vector<std::string>> notes_;  // notes_[i]: under rows_[i]
};

// One JSON line: never throws; invalid UTF-8 in paths becomes U+FFFD.
void PrintJsonLine(std::ostream& out, const nlohmann::ordered_json& value);


// The human forms of the records that are not tables.
void PrintEventDetail(std::ostream& out, const EventRecord& e);
void PrintSweepDetail(std::ostream& out, const SweepRecord& s);
void PrintStats(std::ostream& out, const JournalStats& s, int64_t now_ms);

std::string JoinMediaIds(const std::vector<int64_t>& ids);

}  // namespace recsync
