#include "journal/journal_json.h"

#include "common/time_text.h"

namespace recsync {

using json = nlohmann::ordered_json;

json EventJson(const EventRecord& e) {
  return json{{"seq", e.seq},
              {"time_ms", e.time_ms},
              {"time", FormatTimeIso(e.time_ms)},
              {"path", e.path},
              {"kind", ToText(e.kind)},
              {"state", ToText(e.state)},
              {"media_ids", e.media_ids},
              {"attempts", e.attempts},
              {"last_error", e.last_error},
              {"updated_ms", e.updated_ms},
              {"cookie", e.cookie},
              {"is_dir", e.is_dir}};
}

json SweepJson(const SweepRecord& s) {
  json report = json::parse(s.report_json, nullptr, /*allow_exceptions=*/false);
  if (report.is_discarded()) report = s.report_json.empty() ? json() : json(s.report_json);
  return json{{"id", s.id},
              {"trigger", s.trigger},
              {"started_ms", s.started_ms},
              {"started", FormatTimeIso(s.started_ms)},
              {"finished_ms", s.finished_ms},
              {"outcome", s.outcome},
              {"dry_run", s.dry_run},
              {"checked", s.checked},
              {"missing", s.missing},
              {"unknown", s.unknown},
              {"archived", s.archived},
              {"report", std::move(report)}};
}

json ActionJson(const ActionRecord& a) {
  return json{{"id", a.id},
              {"media_id", a.media_id},
              {"path", a.path},
              {"time_ms", a.time_ms},
              {"time", FormatTimeIso(a.time_ms)},
              {"action", ToText(a.action)},
              {"cause", ToText(a.cause)},
              {"cause_id", a.cause_id},
              {"detail", a.detail}};
}

json StatsJson(const JournalStats& s) {
  json j{{"path", s.path},
         {"schema_version", s.schema_version},
         {"size_bytes", s.size_bytes},
         {"events",
          {{"total", s.events_total},
           {"pending", s.events_pending},
           {"applied", s.events_applied},
           {"ignored", s.events_ignored},
           {"failed", s.events_failed}}},
         {"oldest_pending_ms", s.oldest_pending_ms},
         {"sweeps", s.sweeps},
         {"actions", s.actions},
         {"last_sweep", nullptr}};
  if (s.last_sweep) j["last_sweep"] = SweepJson(*s.last_sweep);
  return j;
}

}  // namespace recsync
