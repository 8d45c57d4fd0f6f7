#include "daemon/daemon_status.h"

#include "common/text.h"

namespace recsync {
namespace {

nlohmann::json RootJson(const RootView& v) {
  nlohmann::json r = {{"path", v.id},
                      {"state", RootStateName(v.status.state)},
                      {"reason", v.status.reason},
                      {"fs_type", v.status.fs_type},
                      {"mount_point", v.status.mount_point},
                      {"watched", v.armed},
                      {"max_thresh", v.max_thresh}};
  nlohmann::json also = nlohmann::json::array();
  for (const auto& s : v.spellings) {
    if (s != v.id) also.push_back(s);
  }
  if (!also.empty()) r["also_configured_as"] = std::move(also);
  if (v.used_percent >= 0) r["used_percent"] = v.used_percent;
  if (!v.arm_error.empty()) r["watch_error"] = v.arm_error;
  return r;
}

void AddRootLines(const DaemonStatus& s, std::vector<std::string>& out) {
  for (const auto& v : s.roots) {
    if (!v.online()) {
      out.push_back("storage " + PrintableText(v.id) + " is offline: " + v.status.reason);
    } else if (!v.armed && !v.arming && !v.arm_error.empty()) {
      out.push_back("storage " + PrintableText(v.id) + " is not watched: " + v.arm_error);
    }
  }
  for (const auto& [root, line] : s.sweep.refused) {
    // A root no longer configured has nothing left to fix.
    for (const auto& v : s.roots) {
      if (v.id == root) out.push_back(line);
    }
  }
}

nlohmann::json LastSweepJson(const std::optional<SweepOutcome>& last) {
  if (!last) return nullptr;
  const auto& r = last->report;
  return {{"trigger", r.trigger},
          {"ok", last->status.ok()},
          {"error", last->status.message()},
          {"sweep_id", r.sweep_id},
          {"started_ms", r.started_ms},
          {"duration_ms", r.duration_ms},
          {"checked", r.checked()},
          {"missing", r.missing()},
          {"unknown", r.unknown()},
          {"archived", r.archived()},
          {"incomplete", r.incomplete()}};
}

nlohmann::json CurrentSweepJson(const std::optional<RunningSweep>& current) {
  if (!current) return nullptr;
  return {{"id", current->id},
          {"trigger", std::string(ToText(current->trigger))},
          {"dry_run", current->dry_run},
          {"cancelling", current->cancelling},
          {"phase", std::string(ToText(current->progress.phase))},
          {"progress", SweepProgressToJson(current->progress)}};
}

}  // namespace

std::vector<std::string> DegradedLines(const DaemonStatus& s) {
  std::vector<std::string> out;
  AddRootLines(s, out);
  if (!s.watcher.degraded.empty()) out.push_back(s.watcher.degraded);
  if (!s.database.error.empty()) out.push_back("database: " + s.database.error);
  if (!s.journal_error.empty()) out.push_back("journal: " + s.journal_error);
  out.insert(out.end(), s.journal_faults.begin(), s.journal_faults.end());
  if (s.events.failed > 0) {
    out.push_back(std::to_string(s.events.failed) +
                  " events failed; see recsync journal list --state failed, and "
                  "recsync journal retry --all to run them again");
  }
  if (!s.roots_loaded) out.push_back("storage roots not loaded yet");
  if (s.events.pending > 0 && !s.events.retry_error.empty()) {
    out.push_back(std::to_string(s.events.pending) +
                  " events wait to be retried: " + s.events.retry_error);
  }
  return out;
}

nlohmann::json StatusToJson(const DaemonStatus& s) {
  nlohmann::json roots = nlohmann::json::array();
  for (const auto& v : s.roots) roots.push_back(RootJson(v));
  return {{"ok", true},
          {"pid", s.pid},
          {"version", s.version},
          {"uptime_s", s.uptime_s},
          {"ready", s.ready},
          {"journal", s.journal},
          {"watcher",
           {{"backend", s.watcher.backend},
            {"requested", s.watcher.requested},
            {"watches", s.watcher.watches},
            {"overflows", s.watcher.overflows}}},
          {"http", {{"listen", s.http_listen}}},
          {"database",
           {{"server", s.database_server},
            {"connected", s.database.connected},
            {"error", s.database.error}}},
          {"events",
           {{"pending", s.events.pending},
            {"failed", s.events.failed},
            {"received", s.events.received},
            {"committed", s.events.committed},
            {"rows_archived", s.events.rows_archived}}},
          {"roots", std::move(roots)},
          {"sweep",
           {{"running", s.sweep.running},
            {"running_trigger", s.sweep.running_trigger},
            {"queued", s.sweep.queued},
            {"last", LastSweepJson(s.sweep.last)},
            {"current", CurrentSweepJson(s.sweep.current)}}},
          {"counters", CountersToJson(s.counters)},
          {"degraded", DegradedLines(s)}};
}

}  // namespace recsync
