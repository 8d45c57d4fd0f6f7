#include "cli/daemon_commands.h"

#include <ostream>

#include "cli/app.h"
#include "cli/journal_format.h"
#include "common/json.h"
#include "common/time_text.h"
#include "control/control_client.h"
#include "daemon/daemon.h"

namespace recsync {
namespace {

constexpr std::chrono::seconds kStatusTimeout{10};

// One row per root, the path last (it can be long), why it is not online
// and why it is not watched on lines of their own.
void PrintRoots(const nlohmann::json& roots, std::ostream& out) {
  TextTable table({"STATE", "FS", "USED", "WATCHED", "PATH"});
  for (const auto& r : roots) {
    const std::string fs = r.value("fs_type", std::string());
    table.AddRow(
        {r.value("state", ""), fs.empty() ? "-" : fs,
         r.contains("used_percent")
             ? std::to_string(static_cast<int>(r["used_percent"].get<double>() + 0.5)) + "%"
             : "-",
         r.value("watched", false) ? "yes" : "no", r.value("path", "")});
    table.AddNote("reason", r.value("reason", std::string()));
    table.AddNote("watch error", r.value("watch_error", std::string()));
    if (r.contains("also_configured_as")) {
      for (const auto& other : r["also_configured_as"]) {
        table.AddNote("also configured as", other.get<std::string>() + " (the same directory)");
      }
    }
  }
  table.Print(out, "  ");
}

void PrintStatus(const nlohmann::json& s, std::ostream& out) {
  const auto& w = s["watcher"];
  const auto& db = s["database"];
  const auto& ev = s["events"];
  out << "recsync " << s.value("version", "") << ": running, pid " << s.value("pid", 0)
      << ", up " << s.value("uptime_s", int64_t{0}) << " s"
      << (s.value("ready", false) ? "" : " (starting)") << "\n";
  out << "watcher:  " << w.value("backend", "") << ", " << w.value("watches", 0) << " watches";
  if (w.value("overflows", 0) > 0) out << ", " << w.value("overflows", 0) << " overflows";
  out << "\n";
  const std::string db_error = db.value("error", std::string());
  // Not connected without an error: the first attempt has not ended yet.
  out << "database: " << db.value("server", "") << ", "
      << (db.value("connected", false) ? std::string("connected")
          : db_error.empty()           ? std::string("connecting")
                                       : "not connected: " + db_error)
      << "\n";
  out << "events:   " << ev.value("pending", 0) << " pending, " << ev.value("failed", 0)
      << " failed, " << ev.value("received", 0) << " received since start, "
      << ev.value("rows_archived", 0) << " rows archived\n";
  out << "roots:\n";
  PrintRoots(s["roots"], out);
  const auto& sw = s["sweep"];
  if (sw.value("running", false)) {
    out << "sweep:    " << sw.value("running_trigger", "") << " sweep running";
    const auto cur = sw.value("current", nlohmann::json());
    if (cur.is_object()) {
      const auto p = cur.value("progress", nlohmann::json::object());
      if (cur.value("id", 0) > 0) out << " (#" << cur.value("id", 0) << ")";
      out << ": " << cur.value("phase", "") << ", " << p.value("rows_seen", 0);
      if (p.value("rows_expected", 0) > 0) out << " of about " << p.value("rows_expected", 0);
      out << " rows read, " << p.value("missing", 0) << " missing, " << p.value("archived", 0)
          << " archived" << (cur.value("cancelling", false) ? "; cancelling" : "");
    }
    out << "\n";
  }
  const auto& last = sw["last"];
  if (last.is_object()) {
    out << "last sweep: " << last.value("trigger", "");
    if (last.value("ok", false)) {
      out << " #" << last.value("sweep_id", 0) << " at "
          << FormatTimeIso(last.value("started_ms", int64_t{0})) << ": "
          << last.value("checked", 0) << " checked, " << last.value("missing", 0)
          << " missing, " << last.value("unknown", 0) << " unknown, "
          << last.value("archived", 0) << " archived"
          << (last.value("incomplete", false) ? " (incomplete)" : "") << "\n";
    } else {
      out << " failed: " << last.value("error", "") << "\n";
    }
  } else {
    out << "last sweep: none since start\n";
  }
  for (const auto& d : s["degraded"]) out << "degraded: " << d.get<std::string>() << "\n";
}

int RunStatus(bool json, const Settings& settings, std::ostream& out, std::ostream& err) {
  auto answer = ControlRequest(settings.control_socket, {{"cmd", "status"}}, kStatusTimeout);
  if (!answer.ok()) {
    if (json) out << DumpJson({{"ok", false}, {"running", false}, {"error", answer.status().message()}}) << "\n";
    err << "recsync: "
        << (answer.status().code() == Code::kNotFound ? NoDaemonMessage(settings.control_socket)
                                                       : answer.status().message())
        << "\n";
    return kExitError;
  }
  if (!answer->value("ok", false)) {
    // Refused (too many control connections, ...): not a status to print.
    if (json) out << DumpJson(*answer) << "\n";
    err << "recsync: " << answer->value("error", std::string("the daemon refused the request"))
        << "\n";
    return kExitError;
  }
  if (json) {
    out << DumpJson(*answer) << "\n";
  } else {
    PrintStatus(*answer, out);
  }
  return kExitOk;
}

// "N failed (latest: seq S, reason)"; "" when none.
std::string Tally(const nlohmann::json& tally, const char* state) {
  const int64_t count = tally.value("count", int64_t{0});
  if (count == 0) return "";
  return std::to_string(count) + " " + state + " (latest: seq " +
         std::to_string(tally.value("latest_seq", int64_t{0})) + ", " +
         tally.value("reason", std::string("no reason given")) + ")";
}

// A sync is done once the daemon has dealt with every earlier event; those
// that failed or are still pending (held for an offline root, waiting for a
// sweep) are not in the catalog yet: one line saying so, and exit 3.
int ReportUnsettled(const nlohmann::json& answer, std::ostream& err) {
  const std::string failed = Tally(answer.value("failed", nlohmann::json::object()), "failed");
  const std::string pending =
      Tally(answer.value("pending", nlohmann::json::object()), "still pending");
  const auto not_covered = answer.value("not_covered", nlohmann::json::array());
  for (const auto& r : not_covered) {
    err << "recsync: sync: storage " << r.value("root", "") << " was not covered ("
        << r.value("reason", "") << "): events under it wait until it answers\n";
  }
  if (failed.empty() && pending.empty()) return not_covered.empty() ? kExitOk : kExitIncomplete;
  err << "recsync: sync: of the events up to seq " << answer.value("up_to_seq", int64_t{0}) << ", "
      << failed << (failed.empty() || pending.empty() ? "" : " and ") << pending;
  if (!failed.empty()) {
    err << "; see recsync journal list --state failed, then recsync journal retry";
  }
  if (!pending.empty()) err << "; see recsync status";
  err << "\n";
  return kExitIncomplete;
}

int RunSync(int64_t timeout_s, const Settings& settings, std::ostream& err) {
  auto answer = ControlRequest(settings.control_socket, {{"cmd", "sync"}},
                               std::chrono::seconds(timeout_s));
  if (!answer.ok()) {
    if (answer.status().code() == Code::kNotFound) {
      err << "recsync: " << NoDaemonMessage(settings.control_socket) << "\n";
    } else if (answer.status().code() == Code::kTimeout) {
      err << "recsync: sync did not complete within " << timeout_s
          << " s: the daemon has not yet applied every earlier event (see recsync status)\n";
    } else {
      err << "recsync: " << answer.status().message() << "\n";
    }
    return kExitError;
  }
  if (!answer->value("ok", false)) {
    err << "recsync: sync failed: " << answer->value("error", "") << "\n";
    return kExitError;
  }
  return ReportUnsettled(*answer, err);
}

}  // namespace

std::string NoDaemonMessage(const std::string& socket) {
  return "no recsync daemon answers on " + socket +
         " (start it with systemctl start recsync, or check control_socket)";
}

void AddDaemonCommands(CLI::App& app, CommandRunner* runner,
                       std::function<Result<Settings>()> reload) {
  CLI::App* run = app.add_subcommand(
      "run", "Run the daemon in the foreground: watch the roots, archive deleted recordings");
  run->callback([runner, reload] {
    *runner = [reload](const Settings& s, std::ostream&, std::ostream& err) {
      return RunDaemon({s, reload}, err);
    };
  });

  auto json = std::make_shared<bool>(false);
  CLI::App* status = app.add_subcommand("status", "Show what the running daemon is doing");
  status->add_flag("--json", *json, "Print one JSON object");
  status->callback([runner, json] {
    *runner = [json](const Settings& s, std::ostream& out, std::ostream& err) {
      return RunStatus(*json, s, out, err);
    };
  });

  auto timeout = std::make_shared<int64_t>(60);
  CLI::App* sync = app.add_subcommand(
      "sync", "Wait until every file event before now has been journaled and applied");
  sync->add_option("--timeout", *timeout, "Seconds to wait at most")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{86400}));
  sync->callback([runner, timeout] {
    *runner = [timeout](const Settings& s, std::ostream&, std::ostream& err) {
      return RunSync(*timeout, s, err);
    };
  });
}

}  // namespace recsync
