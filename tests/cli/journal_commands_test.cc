#include "cli/journal_commands.h"

#include <CLI/CLI.hpp>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "common/clock.h"
#include "journal/journal.h"
#include "tests/support/temp_dir.h"

namespace recsync::testing {
namespace {

using nlohmann::json;

constexpr int64_t kDayMs = 24LL * 3600 * 1000;

struct CliResult {
  int code = -1;
  std::string out, err;
};

// Parses `args` (without the program name) as `recsync args...` on an app that
// also carries global options of the same names the real app defines, and runs
// the selected journal command.
CliResult RunCli(const Settings& settings, const std::vector<std::string>& args) {
  CLI::App app("recsync");
  std::string global_journal;
  bool global_json = false;
  app.add_option("--journal", global_journal);
  app.add_option("--config");
  app.add_flag("--json", global_json);
  app.require_subcommand(1);
  CommandRunner runner;
  AddJournalCommands(app, &runner);
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  app.parse(reversed);  // CLI11 consumes the vector from the back
  REQUIRE(runner);
  Settings effective = settings;
  if (!global_journal.empty()) effective.journal = global_journal;
  std::ostringstream out, err;
  CliResult result;
  result.code = runner(effective, out, err);
  result.out = out.str();
  result.err = err.str();
  return result;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<json> JsonLines(const std::string& text) {
  std::vector<json> objects;
  for (const auto& line : Lines(text)) {
    INFO(line);
    json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
    REQUIRE_FALSE(j.is_discarded());
    REQUIRE(j.is_object());
    objects.push_back(std::move(j));
  }
  return objects;
}

// Whether `line` is a note under a row (indented) rather than a row.
bool IsNote(const std::string& line) { return line.rfind("    ", 0) == 0; }

// Checks that every row starts each column where the header does.
void CheckAligned(const std::string& table, const std::vector<std::string>& columns) {
  auto lines = Lines(table);
  REQUIRE_FALSE(lines.empty());
  const std::string& header = lines[0];
  for (const auto& column : columns) {
    size_t at = header.find(column);
    REQUIRE(at != std::string::npos);
    if (at == 0) continue;
    for (size_t i = 1; i < lines.size(); ++i) {
      if (IsNote(lines[i])) continue;
      INFO("row: " << lines[i] << "\ncolumn: " << column);
      REQUIRE(lines[i].size() > at);
      CHECK(lines[i][at - 1] == ' ');
      CHECK(lines[i][at] != ' ');
    }
  }
}

// A journal with events of every state, two sweeps and their actions.
class CliFixture {
 public:
  CliFixture() {
    settings.journal = dir.Sub("journal.db");
    auto opened = Journal::Open(settings.journal, Journal::Mode::kReadWrite);
    REQUIRE(opened.ok());
    auto& journal = **opened;
    const int64_t now = SystemClock().NowMs();
    auto seqs = journal.AppendEvents(
        {NewEvent::Of(EventKind::kDeleted, now - 40 * kDayMs, "/rec/cam1/old.mp4"),
         NewEvent::Of(EventKind::kDeleted, now - 3 * kDayMs, "/rec/cam1/new\nline.mp4"),
         NewEvent::Of(EventKind::kMovedFrom, now - 2 * kDayMs, std::string("/rec/bad\xff.mp4")),
         NewEvent::Of(EventKind::kOverflow, now - 3600 * 1000, "/rec/cam2/x.mkv")});
    REQUIRE(seqs.ok());
    seq = *seqs;
    REQUIRE(journal
                .SettleEvents(
                    {EventOutcome::Applied(seq[0], {1}), EventOutcome::Failed(seq[1], "lock wait timeout", {2, 3})},
                    now)
                .ok());
    sweep1 = *journal.BeginSweep("startup", false, now - 2 * kDayMs);
    sweep2 = *journal.BeginSweep("manual", true, now - 1000);
    SweepRecord done{sweep2,
                     "manual",
                     now - 1000,
                     now,
                     "done",
                     true,
                     10,
                     2,
                     1,
                     2,
                     R"({"roots":[{"path":"/rec","state":"online","missing":2}]})"};
    REQUIRE(journal.FinishSweep(done).ok());
    REQUIRE(
        journal
            .RecordActions(
                {ActionRecord::Archive(1, "/rec/cam1/old.mp4", now - kDayMs, Cause::kSweep, sweep1),
                 ActionRecord::Archive(7, "/rec/a\tb.mp4", now - 500, Cause::kSweep, sweep2),
                 ActionRecord::Repath(8, "/rec/c.mp4", "/rec/d.mp4", now - 400, Cause::kEvent,
                                      seq[2])})
            .ok());
  }

  TempDir dir;
  Settings settings;
  std::vector<int64_t> seq;
  int64_t sweep1 = 0, sweep2 = 0;
};

TEST_CASE_METHOD(CliFixture, "journal list --json prints one parseable object per event") {
  auto r = RunCli(settings, {"journal", "list", "--json"});
  REQUIRE(r.code == 0);
  CHECK(r.err.empty());
  auto events = JsonLines(r.out);
  REQUIRE(events.size() == 4);
  CHECK(events[0]["seq"] == seq[3]);  // newest first
  CHECK(events[2]["path"] == "/rec/cam1/new\nline.mp4");
  CHECK(events[2]["media_ids"] == json::array({2, 3}));
  CHECK(events[2]["last_error"] == "lock wait timeout");
  CHECK(events[1]["path"] == "/rec/bad\xef\xbf\xbd.mp4");  // invalid UTF-8 replaced, no throw
}

TEST_CASE_METHOD(CliFixture,
                 "journal list prints an aligned table, one line per event and its "
                 "error under it") {
  auto r = RunCli(settings, {"journal", "list"});
  REQUIRE(r.code == 0);
  auto lines = Lines(r.out);
  REQUIRE(lines.size() == 6);  // header + 4 events, the newline path escaped, + 1 error
  CHECK(r.out.find("new\\nline.mp4") != std::string::npos);
  CHECK(r.out.find("bad\\xff.mp4") != std::string::npos);
  CheckAligned(r.out, {"SEQ", "TIME", "KIND", "STATE", "TRIES", "MEDIA", "PATH"});
  for (const auto& line : lines) CHECK(line.back() != ' ');  // no padding after the last cell
  // The failed event's row, then its error on a line of its own.
  CHECK(lines[3].rfind(std::to_string(seq[1]) + " ", 0) == 0);
  const std::string shown = "/rec/cam1/new\\nline.mp4";  // the path, escaped, ends the row
  REQUIRE(lines[3].size() > shown.size());
  CHECK(lines[3].substr(lines[3].size() - shown.size()) == shown);
  CHECK(lines[4] == "    error: lock wait timeout");
}

// A root path of 200 bytes, as deep NAS mounts have.
std::string LongRoot() {
  std::string root = "/mnt";
  while (root.size() < 200) root += "/deep-nas-share-folder";
  return root.substr(0, 200);
}

TEST_CASE(
    "with a 200-byte path, journal list and actions keep every column before the path "
    "and the path last") {
  TempDir dir;
  Settings settings;
  settings.journal = dir.Sub("journal.db");
  auto journal = Journal::Open(settings.journal, Journal::Mode::kReadWrite);
  REQUIRE(journal.ok());
  const std::string long_path = LongRoot() + "/2026/11/20/000001/10-00-00.mp4";
  auto seqs = (*journal)->AppendEvents({NewEvent::Of(EventKind::kDeleted, 1000, long_path),
                                        NewEvent::Of(EventKind::kDeleted, 2000, "/r/a.mp4")});
  REQUIRE(seqs.ok());
  REQUIRE((*journal)->SettleEvents({EventOutcome::Failed((*seqs)[0], "Data too long")}, 3000).ok());
  REQUIRE(
      (*journal)
          ->RecordActions({ActionRecord::Repath(5, long_path, long_path + ".2", 4000, Cause::kEvent,
                                                (*seqs)[0]),
                           ActionRecord::Archive(6, "/r/a.mp4", 5000, Cause::kEvent, (*seqs)[1])})
          .ok());

  auto list = RunCli(settings, {"journal", "list"});
  REQUIRE(list.code == 0);
  CheckAligned(list.out, {"SEQ", "TIME", "KIND", "STATE", "TRIES", "MEDIA", "PATH"});
  auto lines = Lines(list.out);
  REQUIRE(lines.size() == 4);
  const size_t path_at = lines[0].find("PATH");
  CHECK(path_at < 80);  // the short columns are not pushed right by the long path
  CHECK(lines[1].substr(path_at) == "/r/a.mp4");
  CHECK(lines[2].substr(path_at) == long_path);  // last on its line: nothing after it
  CHECK(lines[3] == "    error: Data too long");

  auto actions = RunCli(settings, {"journal", "actions"});
  REQUIRE(actions.code == 0);
  CheckAligned(actions.out, {"ID", "TIME", "ACTION", "MEDIA_ID", "CAUSE", "PATH"});
  lines = Lines(actions.out);
  REQUIRE(lines.size() == 4);
  const size_t action_path_at = lines[0].find("PATH");
  CHECK(action_path_at < 80);
  CHECK(lines[1].substr(action_path_at) == long_path);
  CHECK(lines[2] == "    now: " + long_path + ".2");  // the re-point's new path
  CHECK(lines[3].substr(action_path_at) == "/r/a.mp4");
}

TEST_CASE_METHOD(CliFixture, "a negative --limit is a usage error, not \"no limit\"") {
  for (auto args : std::vector<std::vector<std::string>>{{"journal", "list", "--limit", "-1"},
                                                         {"journal", "sweeps", "--limit", "-5"},
                                                         {"journal", "actions", "--limit", "-1"}}) {
    auto r = RunCli(settings, args);
    INFO(r.err);
    CHECK(r.code == 2);
    CHECK(r.out.empty());
    CHECK(r.err == "recsync: journal " + args[1] + ": --limit must be 0 (all) or more, not " +
                       args[3] + "\n");
  }
  CHECK(RunCli(settings, {"journal", "list", "--limit", "0"}).code == 0);
}

TEST_CASE_METHOD(CliFixture, "journal list filters by state, kind, since, path and limit") {
  auto seqs_of = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"journal", "list", "--json"});
    auto r = RunCli(settings, args);
    INFO(r.err);
    REQUIRE(r.code == 0);
    std::vector<int64_t> out;
    for (const auto& j : JsonLines(r.out)) out.push_back(j["seq"].get<int64_t>());
    return out;
  };
  CHECK(seqs_of({"--state", "failed"}) == std::vector<int64_t>{seq[1]});
  CHECK(seqs_of({"--state", "pending"}) == std::vector<int64_t>{seq[3], seq[2]});
  CHECK(seqs_of({"--kind", "overflow"}) == std::vector<int64_t>{seq[3]});
  CHECK(seqs_of({"--since", "7d"}) == std::vector<int64_t>{seq[3], seq[2], seq[1]});
  CHECK(seqs_of({"--path", "/rec/cam1/*"}) == std::vector<int64_t>{seq[1], seq[0]});
  CHECK(seqs_of({"--limit", "1"}) == std::vector<int64_t>{seq[3]});
  CHECK(seqs_of({"--since", "2h", "--kind", "deleted"}).empty());
}

TEST_CASE_METHOD(CliFixture, "invalid --state, --kind or --since values are usage errors") {
  for (auto args :
       std::vector<std::vector<std::string>>{{"journal", "list", "--state", "done"},
                                             {"journal", "list", "--kind", "removed"},
                                             {"journal", "list", "--since", "last tuesday"},
                                             {"journal", "actions", "--since", "2026-13-01"}}) {
    auto r = RunCli(settings, args);
    INFO(r.err);
    CHECK(r.code == 2);
    CHECK(r.out.empty());
    CHECK(Lines(r.err).size() == 1);
    CHECK(r.err.rfind("recsync: journal ", 0) == 0);
  }
  auto r = RunCli(settings, {"journal", "list", "--state", "done"});
  CHECK(r.err.find("pending, applied, ignored, failed") != std::string::npos);
}

TEST_CASE("a missing journal is one line and exit 1 for every reading command") {
  TempDir dir;
  Settings settings;
  settings.journal = dir.Sub("nowhere/journal.db");
  for (auto args : std::vector<std::vector<std::string>>{{"journal", "list"},
                                                         {"journal", "show", "1"},
                                                         {"journal", "sweeps"},
                                                         {"journal", "actions"},
                                                         {"journal", "stats", "--json"}}) {
    auto r = RunCli(settings, args);
    CHECK(r.code == 1);
    CHECK(r.out.empty());
    CHECK(r.err == "recsync: journal " + settings.journal +
                       " does not exist (no sweep or daemon has run yet, or set --journal)\n");
  }
  CHECK_FALSE(Exists(dir.Sub("nowhere")));
}

TEST_CASE_METHOD(CliFixture, "journal show prints one event and an unknown seq exits 1") {
  auto r = RunCli(settings, {"journal", "show", std::to_string(seq[1]), "--json"});
  REQUIRE(r.code == 0);
  auto objects = JsonLines(r.out);
  REQUIRE(objects.size() == 1);
  CHECK(objects[0]["state"] == "failed");

  auto human = RunCli(settings, {"journal", "show", std::to_string(seq[1])});
  REQUIRE(human.code == 0);
  CHECK(human.out.find("lock wait timeout") != std::string::npos);
  CHECK(human.out.find("new\\nline.mp4") != std::string::npos);

  auto missing = RunCli(settings, {"journal", "show", "9999"});
  CHECK(missing.code == 1);
  CHECK(missing.out.empty());
  CHECK(missing.err.find("no event 9999") != std::string::npos);
}

TEST_CASE_METHOD(CliFixture, "journal sweeps shows a table and --json carries the report") {
  auto table = RunCli(settings, {"journal", "sweeps"});
  REQUIRE(table.code == 0);
  auto lines = Lines(table.out);
  REQUIRE(lines.size() == 3);
  CheckAligned(table.out, {"ID", "TRIGGER", "STARTED", "DURATION", "OUTCOME", "CHECKED", "MISSING",
                           "UNKNOWN", "ARCHIVED"});
  CHECK(lines[1].rfind(std::to_string(sweep2), 0) == 0);  // newest first
  CHECK(lines[1].find("done (dry run)") != std::string::npos);

  auto js = RunCli(settings, {"journal", "sweeps", "--json", "--limit", "1"});
  REQUIRE(js.code == 0);
  auto sweeps = JsonLines(js.out);
  REQUIRE(sweeps.size() == 1);
  CHECK(sweeps[0]["report"]["roots"][0]["missing"] == 2);
  CHECK(sweeps[0]["dry_run"] == true);

  auto one = RunCli(settings, {"journal", "sweeps", "--id", std::to_string(sweep2)});
  REQUIRE(one.code == 0);
  CHECK(one.out.find("\"missing\": 2") != std::string::npos);
}

TEST_CASE_METHOD(CliFixture, "journal actions lists the audit trail, filtered by sweep") {
  auto all = RunCli(settings, {"journal", "actions"});
  REQUIRE(all.code == 0);
  CHECK(Lines(all.out).size() == 5);  // header, 3 actions, the re-point's new path
  CHECK(all.out.find("a\\tb.mp4") != std::string::npos);
  CHECK(all.out.find("\n    now: /rec/d.mp4\n") != std::string::npos);
  CheckAligned(all.out, {"ID", "TIME", "ACTION", "MEDIA_ID", "CAUSE", "PATH"});

  auto of_sweep =
      RunCli(settings, {"journal", "actions", "--sweep", std::to_string(sweep2), "--json"});
  REQUIRE(of_sweep.code == 0);
  auto actions = JsonLines(of_sweep.out);
  REQUIRE(actions.size() == 1);
  CHECK(actions[0]["media_id"] == 7);
  CHECK(actions[0]["path"] == "/rec/a\tb.mp4");
}

TEST_CASE_METHOD(CliFixture, "journal stats --json is one object with the counts") {
  auto r = RunCli(settings, {"journal", "stats", "--json"});
  REQUIRE(r.code == 0);
  auto objects = JsonLines(r.out);
  REQUIRE(objects.size() == 1);
  const json& s = objects[0];
  CHECK(s["events"]["total"] == 4);
  CHECK(s["events"]["pending"] == 2);
  CHECK(s["events"]["failed"] == 1);
  CHECK(s["sweeps"] == 2);
  CHECK(s["actions"] == 3);
  CHECK(s["last_sweep"]["id"] == sweep2);
  CHECK(s["schema_version"] == kJournalSchemaVersion);

  auto human = RunCli(settings, {"journal", "stats"});
  REQUIRE(human.code == 0);
  CHECK(human.out.find("2 pending") != std::string::npos);
}

TEST_CASE_METHOD(CliFixture, "journal prune deletes old settled events using the retention") {
  settings.journal_retention_days = 30;
  auto r = RunCli(settings, {"journal", "prune"});
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK(r.out.find("pruned 1 ") != std::string::npos);
  auto list = RunCli(settings, {"journal", "list", "--json"});
  CHECK(JsonLines(list.out).size() == 3);

  auto again = RunCli(settings, {"journal", "prune", "--older-than", "0"});
  REQUIRE(again.code == 0);
  CHECK(again.out.find("pruned 0 ") != std::string::npos);  // failed/pending stay
  CHECK(RunCli(settings, {"journal", "prune", "--older-than", "-1"}).code == 2);
}

TEST_CASE_METHOD(CliFixture, "journal subcommands leave global options to the root app") {
  Settings elsewhere = settings;
  elsewhere.journal = dir.Sub("other.db");
  // --journal after the subcommand still reaches the root; --json stays local.
  auto r = RunCli(elsewhere, {"journal", "list", "--json", "--journal", settings.journal});
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK(JsonLines(r.out).size() == 4);
  CHECK_THROWS_AS(RunCli(settings, {"journal"}), CLI::ParseError);
}

}  // namespace
}  // namespace recsync::testing
