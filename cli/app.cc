#include "cli/app.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <ostream>

#include "cli/daemon_commands.h"
#include "cli/journal_commands.h"
#include "cli/retry_command.h"
#include "cli/sweep_command.h"
#include "common/unique_fd.h"
#include "config/config.h"

namespace recsync {
namespace {

// The mode of log_file: logs name every archived recording and the
// database server, which is the DVR owner's business (root and the adm
// group, as Debian keeps /var/log).
constexpr mode_t kLogFileMode = 0640;

// Creates log_file with mode 0640 whatever the umask, before spdlog opens it
// (it would create it 0666 & ~umask). An existing file keeps a mode within
// 0640 (an operator's 0600 stays); bits beyond it (group write, any access
// for others) are dropped, since a log others can write can be forged and
// one they can read leaks recording paths. A warning says so.
Status PrepareLogFile(const std::string& path, std::vector<std::string>* warnings) {
  UniqueFd fd(
      ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, kLogFileMode));
  const bool created = fd.valid();
  if (!created && errno == EEXIST) {
    fd = UniqueFd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC));
  }
  if (!fd.valid()) {
    return Status(Code::kInvalid, "cannot open log_file " + path + ": " + ErrnoText(errno) +
                                      " (fix the path or its permissions)");
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return ErrnoStatus(errno, "log_file " + path);
  const mode_t mode = st.st_mode & 07777;
  const mode_t wanted = created ? kLogFileMode : (mode & kLogFileMode);
  if (mode != wanted) {
    if (::fchmod(fd.get(), wanted) != 0) {
      warnings->push_back(
          fmt::format("cannot set log_file {} to mode {:04o}: {}", path, wanted, ErrnoText(errno)));
    } else if (!created) {
      warnings->push_back(
          fmt::format("log_file {} had mode {:04o}; set it to {:04o} (logs "
                      "name recordings; nobody but root and its group may read "
                      "them, only root may write them)",
                      path, mode, wanted));
    }
  }
  return Status::Ok();
}

// Logs go to the same stream as errors (stderr in the binary, which journald
// collects under systemd) and, when log_file is set, to that file as well.
Status SetUpLogging(const Settings& settings, std::ostream& err) {
  std::vector<spdlog::sink_ptr> sinks;
  sinks.push_back(std::make_shared<spdlog::sinks::ostream_sink_mt>(err, /*force_flush=*/true));
  std::vector<std::string> warnings;
  if (!settings.log_file.empty()) {
    RECSYNC_RETURN_IF_ERROR(PrepareLogFile(settings.log_file, &warnings));
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
  for (const auto& w : warnings) spdlog::warn("{}", w);
  return Status::Ok();
}

// CLI11 words an unknown command as "A subcommand is required" or "The
// following argument was not expected"; ours names it. Other errors keep
// CLI11's text.
std::string ParseErrorText(CLI::App& app, const CLI::ParseError& e) {
  // The command words parsed, e.g. " journal".
  std::string words;
  CLI::App* at = &app;
  for (auto parsed = at->get_subcommands(); !parsed.empty(); parsed = at->get_subcommands()) {
    at = parsed.front();
    words += " " + at->get_name();
  }
  const auto commands = at->get_subcommands([](CLI::App*) { return true; });
  if (commands.empty()) return e.what();
  for (const auto& arg : app.remaining(/*recurse=*/true)) {
    if (!arg.empty() && arg[0] != '-') return "unknown command" + words + " " + arg;
  }
  if (words.empty()) return "no command given";
  std::string names;
  for (const CLI::App* c : commands) names += (names.empty() ? "" : ", ") + c->get_name();
  return words.substr(1) + " needs a command: " + names;
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
  // A repeated option takes its last value (GNU convention), so a wrapper or
  // an alias can set a default that a later flag overrides. Subcommands copy
  // these defaults when they are added, so every command's options get it;
  // --storage, which accumulates roots, opts out below.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
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
  // Filled from the flags after parsing, before the command runs.
  SettingsOverrides ov;
  AddSweepCommand(app, &runner, &ov);
  AddJournalCommands(app, &runner);
  AddRetryCommand(app, &runner);
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
    err << "recsync: " << ParseErrorText(app, e) << " (see recsync --help)\n";
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
