#include "cli/app.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <optional>
#include <ostream>

#include "cli/daemon_commands.h"
#include "cli/global_flags.h"
#include "cli/journal_commands.h"
#include "cli/report.h"
#include "cli/retry_command.h"
#include "cli/sweep_command.h"
#include "cli/token_command.h"
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

// Thrown by the hidden --print-settings-markdown flag while parsing, as
// CLI11 does for --help, so that no command is required.
struct PrintSettingsMarkdown {};

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

// The app before any option or command is added: their defaults come from it.
void ConfigureApp(CLI::App& app) {
  app.name("recsync");
  app.require_subcommand(1);
  // A repeated option takes its last value (GNU convention), so a wrapper or
  // an alias can set a default that a later flag overrides. Subcommands copy
  // these defaults when they are added, so every command's options get it;
  // a list (--storage), which accumulates, opts out (cli/global_flags.cc).
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  // Options of the root app are also accepted after the command word.
  app.fallthrough();
  // Hidden: prints README.md's settings reference, generated from the table.
  app.add_flag_callback("--print-settings-markdown", [] { throw PrintSettingsMarkdown(); })
      ->group("");
}

void AddCommands(CLI::App& app, const GlobalFlags& flags, CommandRunner* runner) {
  AddSweepCommand(app, runner, &flags.given());
  AddJournalCommands(app, runner);
  AddRetryCommand(app, runner);
  AddTokenCommand(app, runner);
  // Re-reads the file and re-applies the flags: what SIGHUP does for `run`.
  AddDaemonCommands(app, runner, [&flags] { return flags.Load(); });
}

// nullopt when a command is to run; else the exit code (help, usage errors).
std::optional<int> Parse(CLI::App& app, int argc, const char* const* argv, std::ostream& out,
                         std::ostream& err) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    out << app.help();
    return kExitOk;
  } catch (const CLI::CallForAllHelp&) {
    out << app.help("", CLI::AppFormatMode::All);
    return kExitOk;
  } catch (const PrintSettingsMarkdown&) {
    out << SettingsMarkdown();
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    err << "recsync: " << ParseErrorText(app, e) << " (see recsync --help)\n";
    return kExitUsage;
  }
  return std::nullopt;
}

// Runs the parsed command with logs set up as `settings` say.
int RunCommand(const CommandRunner& runner, const Settings& settings, std::ostream& out,
               std::ostream& err) {
  // The logger writes to `err`, which may not outlive this call (tests pass a
  // string stream): put the previous logger back on the way out.
  struct RestoreLogger {
    std::shared_ptr<spdlog::logger> previous = spdlog::default_logger();
    ~RestoreLogger() { spdlog::set_default_logger(previous); }
  } restore_logger;
  if (Status logging = SetUpLogging(settings, err); !logging.ok()) {
    err << "recsync: " << logging.message() << "\n";
    return kExitUsage;
  }
  if (!runner) {
    err << "recsync: no command given (see recsync --help)\n";
    return kExitUsage;
  }
  return runner(settings, out, err);
}

}  // namespace

int RunCli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app{"recsync keeps Bluecherry's media database true to the recordings on disk."};
  ConfigureApp(app);
  GlobalFlags flags(app);
  CommandRunner runner;
  AddCommands(app, flags, &runner);
  if (auto exit = Parse(app, argc, argv, out, err)) return *exit;
  flags.NoteGiven();
  auto settings = flags.Load();
  if (!OkOrReport(settings, err)) return kExitUsage;
  return RunCommand(runner, *settings, out, err);
}

}  // namespace recsync
