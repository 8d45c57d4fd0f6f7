#include "cli/journal_format.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <ostream>

#include "common/time_text.h"

namespace recsync {
namespace {

using json = nlohmann::ordered_json;

size_t CodePoints(std::string_view utf8) {
  return static_cast<size_t>(std::count_if(utf8.begin(), utf8.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  }));
}

std::string OrDash(int64_t ms) { return ms > 0 ? FormatTimeIso(ms) : "-"; }

std::string SweepDuration(const SweepRecord& s) {
  return s.finished_ms > 0 ? FormatDurationMs(s.finished_ms - s.started_ms) : "-";
}

}  // namespace

TextTable::TextTable(std::vector<std::string> header) {
  for (auto& cell : header) cell = PrintableText(cell);
  rows_.push_back(std::move(header));
  notes_.emplace_back();
}

void TextTable::AddRow(std::vector<std::string> cells) {
  for (auto& cell : cells) cell = PrintableText(cell);
  rows_.push_back(std::move(cells));
  notes_.emplace_back();
}

void TextTable::AddNote(const std::string& label, const std::string& text) {
  if (!text.empty()) notes_.back().push_back(label + ": " + PrintableText(text));
}

void TextTable::Print(std::ostream& out, const std::string& indent) const {
  std::vector<size_t> widths;
  for (const auto& row : rows_) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], CodePoints(row[c]));
  }
  for (size_t r = 0; r < rows_.size(); ++r) {
    const auto& row = rows_[r];
    std::string line = indent;
    size_t content_end = 0;  // no padding after the last non-empty cell
    for (size_t c = 0; c < row.size(); ++c) {
      line += row[c];
      if (!row[c].empty()) content_end = line.size();
      if (c + 1 < row.size()) line.append(widths[c] - CodePoints(row[c]) + 2, ' ');
    }
    line.resize(content_end);
    out << line << '\n';
    for (const auto& note : notes_[r]) out << indent << "    " << note << '\n';
  }
}

void PrintJsonLine(std::ostream& out, const json& value) {
  out << value.dump(-1, ' ', false, json::error_handler_t::replace) << '\n';
}

std::string JoinMediaIds(const std::vector<int64_t>& ids) {
  std::string text;
  for (int64_t id : ids) {
    if (!text.empty()) text += ',';
    text += std::to_string(id);
  }
  return text;
}

void PrintEventDetail(std::ostream& out, const EventRecord& e) {
  TextTable t({"seq:", std::to_string(e.seq)});
  t.AddRow({"time:", FormatTimeIso(e.time_ms)});
  t.AddRow({"path:", e.path});
  t.AddRow({"kind:", std::string(ToText(e.kind))});
  t.AddRow({"state:", std::string(ToText(e.state))});
  t.AddRow({"media ids:", e.media_ids.empty() ? "-" : JoinMediaIds(e.media_ids)});
  t.AddRow({"attempts:", std::to_string(e.attempts)});
  t.AddRow({"last error:", e.last_error.empty() ? "-" : e.last_error});
  t.AddRow({"updated:", OrDash(e.updated_ms)});
  if (e.cookie != 0) t.AddRow({"cookie:", std::to_string(e.cookie)});
  if (e.is_dir) t.AddRow({"directory:", "yes (a whole directory moved)"});
  t.Print(out);
}

void PrintSweepDetail(std::ostream& out, const SweepRecord& s) {
  TextTable t({"sweep:", std::to_string(s.id)});
  t.AddRow({"trigger:", s.trigger});
  t.AddRow({"started:", FormatTimeIso(s.started_ms)});
  t.AddRow({"finished:", OrDash(s.finished_ms)});
  t.AddRow({"duration:", SweepDuration(s)});
  t.AddRow({"outcome:", s.outcome + (s.dry_run ? " (dry run)" : "")});
  t.AddRow({"checked:", std::to_string(s.checked)});
  t.AddRow({"missing:", std::to_string(s.missing)});
  t.AddRow({"unknown:", std::to_string(s.unknown)});
  t.AddRow({"archived:", std::to_string(s.archived)});
  t.Print(out);
  json report = json::parse(s.report_json, nullptr, false);
  if (!report.is_discarded()) {
    out << "report:\n" << report.dump(2, ' ', false, json::error_handler_t::replace) << '\n';
  } else if (!s.report_json.empty()) {
    out << "report:\n" << PrintableText(s.report_json) << '\n';
  }
}

void PrintStats(std::ostream& out, const JournalStats& s, int64_t now_ms) {
  TextTable t({"journal:", s.path});
  t.AddRow({"schema:", std::to_string(s.schema_version)});
  t.AddRow({"size:", std::to_string(s.size_bytes) + " bytes (with WAL)"});
  t.AddRow({"events:", std::to_string(s.events_total) + " total, " +
                           std::to_string(s.events_pending) + " pending, " +
                           std::to_string(s.events_applied) + " applied, " +
                           std::to_string(s.events_ignored) + " ignored, " +
                           std::to_string(s.events_failed) + " failed"});
  t.AddRow({"oldest pending:", s.oldest_pending_ms > 0
                                   ? FormatTimeIso(s.oldest_pending_ms) + " (" +
                                         FormatDurationMs(now_ms - s.oldest_pending_ms) + " ago)"
                                   : "-"});
  t.AddRow({"sweeps:", std::to_string(s.sweeps)});
  t.AddRow({"actions:", std::to_string(s.actions)});
  if (s.last_sweep) {
    const SweepRecord& w = *s.last_sweep;
    t.AddRow({"last sweep:",
              fmt::format("#{} {} {}{} at {}, checked {}, missing {}, archived {}", w.id,
                          w.trigger, w.outcome, w.dry_run ? " (dry run)" : "",
                          FormatTimeIso(w.started_ms), w.checked, w.missing, w.archived)});
  } else {
    t.AddRow({"last sweep:", "-"});
  }
  t.Print(out);
}

}  // namespace recsync
