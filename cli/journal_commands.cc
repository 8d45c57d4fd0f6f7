// The `recsync journal ...` commands. Options are parsed into a plain struct
// when the subcommand is parsed; the runner gets a copy, so it outlives the
// CLI::App. Validation that needs the clock (--since) happens in the runner.
#include "cli/journal_commands.h"

#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include "cli/journal_format.h"
#include "cli/report.h"
#include "common/clock.h"
#include "common/event_kind.h"
#include "common/time_text.h"
#include "journal/journal.h"

namespace recsync {
namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

struct JournalArgs {
  std::optional<std::string> state, kind, since, path_glob;
  std::optional<int64_t> sweep_id, older_than_days;
  int64_t seq = 0;
  int64_t limit = 0;
  bool json = false;
};

// The raw option values, written by CLI11 during parsing.
struct RawArgs {
  std::string state, kind, since, path_glob;
  int64_t sweep_id = 0, older_than_days = 0;
  JournalArgs args;
  CLI::Option *state_opt = nullptr, *kind_opt = nullptr, *since_opt = nullptr, *path_opt = nullptr,
              *sweep_opt = nullptr, *older_opt = nullptr;
};

template <typename T>
std::optional<T> IfGiven(const CLI::Option* opt, const T& value) {
  return opt != nullptr && opt->count() > 0 ? std::optional<T>(value) : std::nullopt;
}

JournalArgs Collect(const RawArgs& raw) {
  JournalArgs a = raw.args;
  a.state = IfGiven(raw.state_opt, raw.state);
  a.kind = IfGiven(raw.kind_opt, raw.kind);
  a.since = IfGiven(raw.since_opt, raw.since);
  a.path_glob = IfGiven(raw.path_opt, raw.path_glob);
  a.sweep_id = IfGiven(raw.sweep_opt, raw.sweep_id);
  a.older_than_days = IfGiven(raw.older_opt, raw.older_than_days);
  return a;
}

using JournalRunner = int (*)(const JournalArgs&, const Settings&, std::ostream&, std::ostream&);

// Adds subcommand `name` whose parse hands `run` a copy of its arguments.
CLI::App* AddSubcommand(CLI::App& journal, const std::string& name, const std::string& description,
                        CommandRunner* runner, const std::shared_ptr<RawArgs>& raw,
                        JournalRunner run) {
  CLI::App* sub = journal.add_subcommand(name, description);
  sub->fallthrough();  // global options (--journal, --config) may follow
  sub->callback([raw, runner, run] {
    JournalArgs args = Collect(*raw);
    *runner = [args, run](const Settings& s, std::ostream& out, std::ostream& err) {
      return run(args, s, out, err);
    };
  });
  return sub;
}

void AddJsonFlag(CLI::App* sub, RawArgs& raw) {
  sub->add_flag("--json", raw.args.json, "One JSON object per line instead of a table");
}

int Usage(std::ostream& err, const std::string& command, const std::string& message) {
  err << "recsync: journal " << command << ": " << message << '\n';
  return kExitUsage;
}

std::unique_ptr<Journal> OpenOrReport(const Settings& s, Journal::Mode mode, std::ostream& err) {
  auto journal = Journal::Open(s.journal, mode);
  if (!OkOrReport(journal, err)) return nullptr;
  return std::move(*journal);
}

// --limit N: 0 means all; a negative N would read as "all" to SQLite, which
// is not what anyone typing it meant.
bool LimitOk(const JournalArgs& a, const std::string& command, std::ostream& err) {
  if (a.limit >= 0) return true;
  Usage(err, command, "--limit must be 0 (all) or more, not " + std::to_string(a.limit));
  return false;
}

int RunList(const JournalArgs& a, const Settings& s, std::ostream& out, std::ostream& err) {
  if (!LimitOk(a, "list", err)) return kExitUsage;
  EventFilter filter;
  if (a.state) {
    filter.state = ParseEventState(*a.state);
    if (!filter.state) {
      return Usage(err, "list",
                   "invalid --state '" + *a.state + "' (expected " + JoinTexts(kEventStates) + ")");
    }
  }
  if (a.kind) {
    filter.kind = ParseJournaledKind(*a.kind);
    if (!filter.kind) {
      return Usage(err, "list", "invalid --kind '" + *a.kind + "' (expected " +
                                    JoinTexts(kJournaledKinds) + ")");
    }
  }
  if (a.since) {
    auto since = ParseTimeSpec(*a.since, SystemClock().NowMs());
    if (!since.ok()) return Usage(err, "list", "--since: " + since.status().message());
    filter.since_ms = *since;
  }
  filter.path_glob = a.path_glob;
  filter.limit = a.limit;
  auto journal = OpenOrReport(s, Journal::Mode::kReadOnly, err);
  if (!journal) return kExitFailure;
  auto events = journal->ListEvents(filter);
  if (!OkOrReport(events, err)) return kExitFailure;
  if (a.json) {
    for (const auto& e : *events) PrintJsonLine(out, EventJson(e));
    return 0;
  }
  TextTable table({"SEQ", "TIME", "KIND", "STATE", "TRIES", "MEDIA", "PATH"});
  for (const auto& e : *events) {
    table.AddRow({std::to_string(e.seq), FormatTimeIso(e.time_ms), std::string(ToText(e.kind)),
                  std::string(ToText(e.state)),
                  std::to_string(e.attempts), e.media_ids.empty() ? "-" : JoinMediaIds(e.media_ids),
                  e.path});
    table.AddNote("error", e.last_error);
  }
  table.Print(out);
  return 0;
}

int RunShow(const JournalArgs& a, const Settings& s, std::ostream& out, std::ostream& err) {
  auto journal = OpenOrReport(s, Journal::Mode::kReadOnly, err);
  if (!journal) return kExitFailure;
  auto event = journal->GetEvent(a.seq);
  if (!OkOrReport(event, err)) return kExitFailure;
  if (!event->has_value()) {
    err << "recsync: journal " << s.journal << " has no event " << a.seq
        << " (it may have been pruned; see `recsync journal list`)\n";
    return kExitFailure;
  }
  if (a.json) {
    PrintJsonLine(out, EventJson(**event));
  } else {
    PrintEventDetail(out, **event);
  }
  return 0;
}

int RunSweeps(const JournalArgs& a, const Settings& s, std::ostream& out, std::ostream& err) {
  if (!LimitOk(a, "sweeps", err)) return kExitUsage;
  auto journal = OpenOrReport(s, Journal::Mode::kReadOnly, err);
  if (!journal) return kExitFailure;
  if (a.sweep_id) {
    auto sweep = journal->GetSweep(*a.sweep_id);
    if (!OkOrReport(sweep, err)) return kExitFailure;
    if (!sweep->has_value()) {
      err << "recsync: journal " << s.journal << " has no sweep " << *a.sweep_id << '\n';
      return kExitFailure;
    }
    if (a.json) {
      PrintJsonLine(out, SweepJson(**sweep));
    } else {
      PrintSweepDetail(out, **sweep);
    }
    return 0;
  }
  auto sweeps = journal->ListSweeps(a.limit);
  if (!OkOrReport(sweeps, err)) return kExitFailure;
  if (a.json) {
    for (const auto& w : *sweeps) PrintJsonLine(out, SweepJson(w));
    return 0;
  }
  TextTable table({"ID", "TRIGGER", "STARTED", "DURATION", "OUTCOME", "CHECKED", "MISSING",
                   "UNKNOWN", "ARCHIVED"});
  for (const auto& w : *sweeps) {
    table.AddRow({std::to_string(w.id), w.trigger, FormatTimeIso(w.started_ms),
                  w.finished_ms > 0 ? FormatDurationMs(w.finished_ms - w.started_ms) : "-",
                  w.outcome + (w.dry_run ? " (dry run)" : ""), std::to_string(w.checked),
                  std::to_string(w.missing), std::to_string(w.unknown),
                  std::to_string(w.archived)});
  }
  table.Print(out);
  return 0;
}

int RunActions(const JournalArgs& a, const Settings& s, std::ostream& out, std::ostream& err) {
  if (!LimitOk(a, "actions", err)) return kExitUsage;
  ActionFilter filter;
  filter.sweep_id = a.sweep_id;
  filter.limit = a.limit;
  if (a.since) {
    auto since = ParseTimeSpec(*a.since, SystemClock().NowMs());
    if (!since.ok()) return Usage(err, "actions", "--since: " + since.status().message());
    filter.since_ms = *since;
  }
  auto journal = OpenOrReport(s, Journal::Mode::kReadOnly, err);
  if (!journal) return kExitFailure;
  auto actions = journal->ListActions(filter);
  if (!OkOrReport(actions, err)) return kExitFailure;
  if (a.json) {
    for (const auto& x : *actions) PrintJsonLine(out, ActionJson(x));
    return 0;
  }
  TextTable table({"ID", "TIME", "ACTION", "MEDIA_ID", "CAUSE", "PATH"});
  for (const auto& x : *actions) {
    table.AddRow({std::to_string(x.id), FormatTimeIso(x.time_ms), std::string(ToText(x.action)),
                  std::to_string(x.media_id),
                  std::string(ToText(x.cause)) + " " + std::to_string(x.cause_id), x.path});
    // A re-point's detail is the new path: as long as the old one.
    table.AddNote(x.action == ActionKind::kRepath ? "now" : "detail", x.detail);
  }
  table.Print(out);
  return 0;
}

int RunStats(const JournalArgs& a, const Settings& s, std::ostream& out, std::ostream& err) {
  auto journal = OpenOrReport(s, Journal::Mode::kReadOnly, err);
  if (!journal) return kExitFailure;
  auto stats = journal->Stats();
  if (!OkOrReport(stats, err)) return kExitFailure;
  if (a.json) {
    PrintJsonLine(out, StatsJson(*stats));
  } else {
    PrintStats(out, *stats, SystemClock().NowMs());
  }
  return 0;
}

int RunPrune(const JournalArgs& a, const Settings& s, std::ostream& out, std::ostream& err) {
  const int64_t days = a.older_than_days.value_or(s.journal_retention_days);
  if (days < 0) return Usage(err, "prune", "--older-than must be >= 0 days");
  auto journal = OpenOrReport(s, Journal::Mode::kReadWrite, err);
  if (!journal) return kExitFailure;
  auto pruned = journal->Prune(days, SystemClock().NowMs());
  if (!OkOrReport(pruned, err)) return kExitFailure;
  out << "pruned " << *pruned << " applied/ignored events older than " << days << " days from "
      << PrintableText(s.journal) << '\n';
  return 0;
}

}  // namespace

void AddJournalCommands(CLI::App& app, CommandRunner* runner) {
  CLI::App* journal = app.add_subcommand(
      "journal", "Read, prune or retry the local journal (works without the database)");
  journal->fallthrough();
  journal->require_subcommand(1);

  auto list = std::make_shared<RawArgs>();
  list->args.limit = 100;
  CLI::App* sub = AddSubcommand(*journal, "list", "Events, newest first", runner, list, RunList);
  list->state_opt = sub->add_option("--state", list->state, "pending, applied, ignored or failed");
  list->kind_opt = sub->add_option("--kind", list->kind, "deleted, moved_from, moved_to, ...");
  list->since_opt = sub->add_option("--since", list->since, "2026-11-24[T10:00[:00]] or 2h, 7d");
  list->path_opt = sub->add_option("--path", list->path_glob, "Glob on the path ('*' spans '/')");
  sub->add_option("--limit", list->args.limit, "At most N events (0: all)")->capture_default_str();
  AddJsonFlag(sub, *list);

  auto show = std::make_shared<RawArgs>();
  sub = AddSubcommand(*journal, "show", "One event in full", runner, show, RunShow);
  sub->add_option("seq", show->args.seq, "The event's sequence number")->required();
  AddJsonFlag(sub, *show);

  auto sweeps = std::make_shared<RawArgs>();
  sweeps->args.limit = 20;
  sub = AddSubcommand(*journal, "sweeps", "Sweeps, newest first", runner, sweeps, RunSweeps);
  sub->add_option("--limit", sweeps->args.limit, "At most N sweeps (0: all)")
      ->capture_default_str();
  sweeps->sweep_opt =
      sub->add_option("--id", sweeps->sweep_id, "Show this sweep in full, with its report");
  AddJsonFlag(sub, *sweeps);

  auto actions = std::make_shared<RawArgs>();
  sub = AddSubcommand(*journal, "actions", "The audit trail of archived rows, oldest first", runner,
                      actions, RunActions);
  actions->sweep_opt = sub->add_option("--sweep", actions->sweep_id, "Only this sweep's actions");
  actions->since_opt = sub->add_option("--since", actions->since, "2026-11-24[T10:00] or 2h, 7d");
  sub->add_option("--limit", actions->args.limit, "At most N actions (0: all)")
      ->capture_default_str();
  AddJsonFlag(sub, *actions);

  auto stats = std::make_shared<RawArgs>();
  sub =
      AddSubcommand(*journal, "stats", "Counts, sizes and the last sweep", runner, stats, RunStats);
  AddJsonFlag(sub, *stats);

  auto prune = std::make_shared<RawArgs>();
  sub = AddSubcommand(*journal, "prune",
                      "Delete applied and ignored events (never pending, failed or actions)",
                      runner, prune, RunPrune);
  prune->older_opt = sub->add_option("--older-than", prune->older_than_days,
                                     "Age in days (default: journal_retention_days)");
}

}  // namespace recsync
