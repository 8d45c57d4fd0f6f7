#include "cli/sweep_command.h"

#include <CLI/CLI.hpp>
#include <optional>
#include <ostream>

#include "app/sweep_options.h"
#include "catalog/catalog.h"
#include "cli/app.h"
#include "cli/report.h"
#include "common/clock.h"
#include "common/instance_lock.h"
#include "common/json.h"
#include "control/control_client.h"
#include "daemon/daemon.h"
#include "journal/journal.h"
#include "journal/journal_lock.h"
#include "reconcile/sweep.h"
#include "reconcile/sweep_report.h"

namespace recsync {
namespace {

struct SweepFlags {
  bool dry_run = false;
  bool force = false;
  bool relist = false;
  bool json = false;
};

// The daemon's sweep request: the flags, and the per-sweep settings given on
// this command line (the daemon's own configuration stands for the rest, as
// it is the same file). --storage names some of the daemon's roots.
nlohmann::json DaemonSweepRequest(const SweepFlags& flags, const SettingsOverrides& given) {
  nlohmann::json request = {{"cmd", "sweep"},
                            {"dry_run", flags.dry_run},
                            {"force", flags.force},
                            {"relist", flags.relist}};
  if (auto* v = given.Find(&Settings::min_age)) request["min_age"] = *v;
  if (auto* v = given.Find(&Settings::max_missing_ratio)) request["max_missing_ratio"] = *v;
  if (auto* v = given.Find(&Settings::batch_size)) request["batch_size"] = *v;
  if (auto* v = given.Find(&Settings::storage)) request["storage"] = *v;
  return request;
}

// A running daemon sweeps for us, so two sweepers never race; nullopt when
// none answers.
std::optional<int> SweepViaDaemon(const SweepFlags& flags, const SettingsOverrides& given,
                                  const Settings& settings, std::ostream& out, std::ostream& err) {
  // A sweep of a large catalog on slow storage can take long; the daemon
  // answers when it is done.
  constexpr std::chrono::hours kSweepTimeout{24};
  auto answer =
      ControlRequest(settings.control_socket, DaemonSweepRequest(flags, given), kSweepTimeout);
  if (!answer.ok()) {
    if (answer.status().code() == Code::kNotFound) return std::nullopt;
    err << "recsync: asking the daemon to sweep: " << answer.status().message() << "\n";
    return kExitError;
  }
  if (!answer->value("ok", false)) {
    const int exit = answer->value("exit", kExitError);
    err << "recsync: "
        << (exit == kExitUsage ? "the daemon on " + settings.control_socket + " refused the sweep: "
                               : std::string())
        << answer->value("error", std::string("no reason given")) << "\n";
    return exit;
  }
  if (flags.json) {
    out << DumpJson((*answer)["report"]) << "\n";
  } else {
    out << answer->value("summary", "");
  }
  return answer->value("exit", kExitOk);
}

int RunSweep(const SweepFlags& flags, const SettingsOverrides& given, const Settings& settings,
             std::ostream& out, std::ostream& err) {
  if (auto via_daemon = SweepViaDaemon(flags, given, settings, out, err)) return *via_daemon;
  // No daemon answers. Hold the journal's lock while we sweep, so a daemon
  // started meanwhile waits for us instead of sweeping alongside. A lock file
  // we cannot create is left to the journal's own clearer error below.
  // Both locks (the lock file and the journal file itself, journal_lock.h),
  // so a deleted lock file does not let a sweep run beside a daemon. The
  // lock outlives the Journal opened below (fcntl locks: see there).
  std::optional<JournalLock> lock;
  auto locked = JournalLock::Acquire(settings.journal);
  if (locked.ok()) {
    lock.emplace(std::move(*locked));
  } else if (locked.status().code() == Code::kBusy) {
    err << "recsync: another recsync holds journal " << settings.journal << " ("
        << locked.status().message() << ") but no daemon answers on " << settings.control_socket
        << "; check that both use the same control_socket, or wait for the other sweep\n";
    return kExitError;
  }
  auto db = LoadBluecherryDb(settings.bluecherry_conf);
  if (!OkOrReport(db, err)) return kExitUsage;
  // The journal first: a read-only or locked journal must stop us before we
  // touch the database, since every change has to be recorded.
  auto journal = Journal::Open(settings.journal, Journal::Mode::kReadWrite);
  if (!OkOrReport(journal, err)) return kExitError;
  auto catalog = Catalog::Connect(*db, CatalogOptions{});
  if (!OkOrReport(catalog, err)) return kExitError;
  SystemClock clock;
  SweepOptions options = SweepOptionsFor(settings, SweepTrigger::kManual);
  // We hold the journal's lock: intents older than now are from a crash.
  options.settle_intents_before_ms = clock.NowMs();
  options.dry_run = flags.dry_run;
  options.force = flags.force;
  options.reuse_listings = !flags.relist;

  Sweeper sweeper(**catalog, **journal, MakeRealDisk(settings.fstab), clock);
  auto report = sweeper.Run(options);
  if (!report.ok()) {
    err << "recsync: sweep failed: " << report.status().message() << "\n";
    return kExitError;
  }
  if (flags.json) {
    out << DumpJson(SweepReportToJson(*report)) << "\n";
  } else {
    PrintSweepSummary(*report, out);
  }
  return report->incomplete() ? kExitIncomplete : kExitOk;
}

}  // namespace

void AddSweepCommand(CLI::App& app, CommandRunner* runner, const SettingsOverrides* given) {
  auto flags = std::make_shared<SweepFlags>();
  CLI::App* sweep = app.add_subcommand(
      "sweep", "Reconcile the whole catalog against the disk once, then exit");
  sweep->add_flag("--dry-run", flags->dry_run, "Change nothing; list what would be archived");
  sweep->add_flag("--force", flags->force,
                  "Archive even where the suspect-root or missing-ratio guard refuses "
                  "(never on an offline root)");
  sweep->add_flag("--relist", flags->relist,
                  "List every folder, not reusing the listings of folders unchanged since an "
                  "earlier sweep");
  sweep->add_flag("--json", flags->json, "Print one JSON object instead of the summary");
  sweep->callback([flags, runner, given] {
    *runner = [flags, given](const Settings& s, std::ostream& out, std::ostream& err) {
      return RunSweep(*flags, *given, s, out, err);
    };
  });
}

}  // namespace recsync
