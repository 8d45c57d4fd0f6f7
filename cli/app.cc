#include "cli/app.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <ostream>

#include "cli/daemon_commands.h"
#include "cli/journal_commands.h"
#include "cli/sweep_command.h"
#include "config/config.h"

namespace recsync {
namespace {

// Logs go to the same stream as errors (stderr in the binary, which journald
// collects under systemd) and, when log_file is set, to that file as well.
Status SetUpLogging(const Settings& settings, std::ostream& err) {
  std::vector<spdlog::sink_ptr> sinks;
  sinks.push_back(std::make_shared<spdlog::sinks::ostream_sink_mt>(err, /*force_flush=*/true));
  if (!settings.log_file.empty()) {
    try {
      sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(settings.log_file));
    } catch (const spdlog::spdlog_ex& e) {
      return Status(Code::kInvalid, "cannot open log_file " + settings.log_file + ": " +
                                        e.what() + " (fix the path or its permissions)");
    }
  }
  auto logger = std::make_shared<spdlog::logger>("recsync", sinks.begin(), sinks.end());
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  logger->set_level(spdlog::level::from_str(settings.log_level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  return Status::Ok();
}

// Command-line values for every config key; applied only when given.
struct GlobalFlags {
  std::string config = kDefaultRecsyncConf;
  std::string bluecherry_conf, journal, control_socket, log_level, log_file, fstab, watcher;
  std::vector<std::string> storage;
  int64_t min_age = 0, batch_size = 0, sweep_interval = 0, journal_retention_days = 0,
          probe_timeout = 0;
  double max_missing_ratio = 0;
};

}  // namespace

int RunCli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app{"recsync keeps Bluecherry's media database true to the recordings on disk."};
  app.name("recsync");
  app.require_subcommand(1);
  // Options of the root app are also accepted after the command word.
  app.fallthrough();

  GlobalFlags g;
  auto* config = app.add_option("--config", g.config, "recsync's config file")
                     ->capture_default_str();
  struct Override {
    CLI::Option* option;
    std::function<void(SettingsOverrides&)> apply;
  };
  std::vector<Override> overrides;
  auto add = [&](const char* name, auto& value, const char* help, auto apply) {
    overrides.push_back({app.add_option(name, value, help), apply});
  };
  add("--bluecherry-conf", g.bluecherry_conf, "Bluecherry's config, for DB credentials",
      [&](SettingsOverrides& o) { o.bluecherry_conf = g.bluecherry_conf; });
  add("--journal", g.journal, "The journal database",
      [&](SettingsOverrides& o) { o.journal = g.journal; });
  add("--storage", g.storage, "A storage root (repeat for several; default: Storage table)",
      [&](SettingsOverrides& o) { o.storage = g.storage; });
  add("--min-age", g.min_age, "Seconds a row must be old before a sweep may archive it",
      [&](SettingsOverrides& o) { o.min_age = g.min_age; });
  add("--max-missing-ratio", g.max_missing_ratio,
      "Largest share of missing files a sweep archives without --force",
      [&](SettingsOverrides& o) { o.max_missing_ratio = g.max_missing_ratio; });
  add("--batch-size", g.batch_size, "Rows archived per transaction",
      [&](SettingsOverrides& o) { o.batch_size = g.batch_size; });
  add("--sweep-interval", g.sweep_interval, "Seconds between the daemon's periodic sweeps",
      [&](SettingsOverrides& o) { o.sweep_interval = g.sweep_interval; });
  add("--control-socket", g.control_socket, "The daemon's control socket",
      [&](SettingsOverrides& o) { o.control_socket = g.control_socket; });
  add("--journal-retention-days", g.journal_retention_days,
      "Days applied/ignored events are kept",
      [&](SettingsOverrides& o) { o.journal_retention_days = g.journal_retention_days; });
  add("--log-level", g.log_level, "trace, debug, info, warn, error or off",
      [&](SettingsOverrides& o) { o.log_level = g.log_level; });
  add("--log-file", g.log_file, "Also append logs to this file",
      [&](SettingsOverrides& o) { o.log_file = g.log_file; });
  add("--probe-timeout", g.probe_timeout,
      "Seconds a storage probe may take before the root counts as unresponsive",
      [&](SettingsOverrides& o) { o.probe_timeout = g.probe_timeout; });
  add("--fstab", g.fstab, "The fstab whose declared mount points must be mounted",
      [&](SettingsOverrides& o) { o.fstab = g.fstab; });
  add("--watcher", g.watcher, "The daemon's file-event backend: auto, inotify or fanotify",
      [&](SettingsOverrides& o) { o.watcher = g.watcher; });
  for (auto& o : overrides) {
    // One value per occurrence; --storage may be repeated.
    o.option->expected(1)->allow_extra_args(false);
  }
  overrides[2].option->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);

  CommandRunner runner;
  AddSweepCommand(app, &runner);
  AddJournalCommands(app, &runner);
  SettingsOverrides ov;
  // Re-reads the file and re-applies the flags: what SIGHUP does for `run`.
  auto reload = [&]() -> Result<Settings> {
    auto loaded = LoadSettings(g.config, /*required=*/config->count() > 0);
    if (!loaded.ok()) return loaded.status();
    return ApplyOverrides(*loaded, ov);
  };
  AddDaemonCommands(app, &runner, reload);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    out << app.help();
    return kExitOk;
  } catch (const CLI::CallForAllHelp&) {
    out << app.help("", CLI::AppFormatMode::All);
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    err << "recsync: " << e.what() << " (see recsync --help)\n";
    return kExitUsage;
  }

  auto settings = LoadSettings(g.config, /*required=*/config->count() > 0);
  if (!settings.ok()) {
    err << "recsync: " << settings.status().message() << "\n";
    return kExitUsage;
  }
  for (auto& o : overrides) {
    if (o.option->count() > 0) o.apply(ov);
  }
  auto final_settings = ApplyOverrides(*settings, ov);
  if (!final_settings.ok()) {
    err << "recsync: " << final_settings.status().message() << "\n";
    return kExitUsage;
  }
  // The logger writes to `err`, which may not outlive this call (tests pass a
  // string stream): put the previous logger back on the way out.
  struct RestoreLogger {
    std::shared_ptr<spdlog::logger> previous = spdlog::default_logger();
    ~RestoreLogger() { spdlog::set_default_logger(previous); }
  } restore_logger;
  if (Status logging = SetUpLogging(*final_settings, err); !logging.ok()) {
    err << "recsync: " << logging.message() << "\n";
    return kExitUsage;
  }
  if (!runner) {
    err << "recsync: no command given (see recsync --help)\n";
    return kExitUsage;
  }
  return runner(*final_settings, out, err);
}

}  // namespace recsync
