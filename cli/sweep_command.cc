#include "cli/sweep_command.h"

#include <CLI/CLI.hpp>
#include <ostream>

#include "catalog/catalog.h"
#include "cli/app.h"
#include "common/clock.h"
#include "common/json.h"
#include "journal/journal.h"
#include "reconcile/sweep.h"
#include "reconcile/sweep_report.h"

namespace recsync {
namespace {

struct SweepFlags {
  bool dry_run = false;
  bool force = false;
  bool json = false;
};

int RunSweep(const SweepFlags& flags, const Settings& settings, std::ostream& out,
             std::ostream& err) {
  auto db = LoadBluecherryDb(settings.bluecherry_conf);
  if (!db.ok()) {
    err << "recsync: " << db.status().message() << "\n";
    return kExitUsage;
  }
  // The journal first: a read-only or locked journal must stop us before we
  // touch the database, since every change has to be recorded.
  auto journal = Journal::Open(settings.journal, Journal::Mode::kReadWrite);
  if (!journal.ok()) {
    err << "recsync: " << journal.status().message() << "\n";
    return kExitError;
  }
  auto catalog = Catalog::Connect(*db, CatalogOptions{});
  if (!catalog.ok()) {
    err << "recsync: " << catalog.status().message() << "\n";
    return kExitError;
  }
  SweepOptions options;
  options.trigger = "manual";
  options.dry_run = flags.dry_run;
  options.force = flags.force;
  options.min_age_s = settings.min_age;
  options.max_missing_ratio = settings.max_missing_ratio;
  options.batch_size = settings.batch_size;
  options.probe_timeout = std::chrono::seconds(settings.probe_timeout);
  options.roots = settings.storage;

  SystemClock clock;
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

void AddSweepCommand(CLI::App& app, CommandRunner* runner) {
  auto flags = std::make_shared<SweepFlags>();
  CLI::App* sweep = app.add_subcommand(
      "sweep", "Reconcile the whole catalog against the disk once, then exit");
  sweep->add_flag("--dry-run", flags->dry_run, "Change nothing; list what would be archived");
  sweep->add_flag("--force", flags->force,
                  "Archive even where the suspect-root or missing-ratio guard refuses "
                  "(never on an offline root)");
  sweep->add_flag("--json", flags->json, "Print one JSON object instead of the summary");
  sweep->callback([flags, runner] {
    *runner = [flags](const Settings& s, std::ostream& out, std::ostream& err) {
      return RunSweep(*flags, s, out, err);
    };
  });
}

}  // namespace recsync
