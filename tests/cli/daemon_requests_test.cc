// What `recsync sweep`, `sync` and `journal retry` ask of a running daemon
// means what it says: per-sweep options are honoured or refused, a sync
// reports the events that did not settle, failed events can be retried, and
// a malformed request is one line naming the field. Real daemon process,
// real MariaDB, real inotify.
#include <catch2/catch.hpp>
#include <chrono>
#include <ctime>

#include "common/instance_lock.h"
#include "control/control_client.h"
#include "journal/journal.h"
#include "tests/cli/daemon_process.h"

using namespace recsync;
using namespace recsync::testing;

namespace {

const std::string kDay = "2026/11/20/000001/";

// Waits for the daemon's startup sweep, so rows added afterwards are only
// seen by the sweeps the test asks for.
void AwaitStartupSweep(DaemonProcess& d) {
  REQUIRE(d.AwaitStatus([](const nlohmann::json& s) {
    return s["sweep"]["last"].is_object() && !s["sweep"]["running"].get<bool>();
  }));
}

nlohmann::json Ask(DaemonProcess& d, const nlohmann::json& request) {
  auto answer = ControlRequest(d.socket, request, std::chrono::seconds(30));
  INFO((answer.ok() ? answer->dump() : answer.status().message()));
  REQUIRE(answer.ok());
  return *answer;
}

// A failed "deleted" event for `path`, journaled before the daemon starts,
// as a non-transient catalog error leaves one after five attempts.
int64_t JournalFailedDeletion(const std::string& journal, const std::string& path) {
  auto j = Journal::Open(journal, Journal::Mode::kReadWrite);
  REQUIRE(j.ok());
  auto seqs = (*j)->AppendEvents({NewEvent::Of(EventKind::kDeleted, 1000, path)});
  REQUIRE(seqs.ok());
  for (int attempt = 0; attempt < 5; ++attempt) {
    const std::string error = "Lock wait timeout exceeded; try restarting transaction";
    REQUIRE((*j)->SettleEvents({attempt < 4 ? EventOutcome::Pending(seqs->front(), error)
                                            : EventOutcome::Failed(seqs->front(), error)},
                               2000)
                .ok());
  }
  return seqs->front();
}

EventState StateOf(const std::string& journal, int64_t seq) {
  auto j = Journal::Open(journal, Journal::Mode::kReadOnly);
  REQUIRE(j.ok());
  auto e = (*j)->GetEvent(seq);
  REQUIRE(e.ok());
  REQUIRE(e->has_value());
  return (*e)->state;
}

}  // namespace

TEST_CASE("sweep through the daemon honours --min-age, --max-missing-ratio and --batch-size") {
  DaemonProcess d;
  for (int i = 0; i < 2; ++i) d.AddRecording(kDay + "09-00-0" + std::to_string(i) + ".mp4");
  d.Start();
  AwaitStartupSweep(d);
  // Gone while nobody watched, and younger than the default min_age (120 s).
  const int64_t now = std::time(nullptr);
  std::vector<int64_t> young;
  for (int i = 0; i < 3; ++i) {
    young.push_back(
        d.db->InsertMedia(d.PathOf(kDay + "10-00-0" + std::to_string(i) + ".mp4"), now));
  }

  // As configured: too young to be checked.
  auto plain = d.Cli({"sweep", "--json"});
  INFO(plain.err << d.Log());
  REQUIRE(plain.exit_code == 0);
  CHECK(nlohmann::json::parse(plain.out)["checked"] == 2);
  CHECK(d.db->ArchivedMediaIds().empty());

  // --min-age 0: checked, but 3 of 5 missing is over the configured ratio 0.5.
  auto young_only = d.Cli({"sweep", "--json", "--min-age", "0"});
  CHECK(young_only.exit_code == 3);
  auto refused = nlohmann::json::parse(young_only.out);
  CHECK(refused["checked"] == 5);
  CHECK(refused["roots"][0]["refused"] == true);
  CHECK(d.db->ArchivedMediaIds().empty());

  // And with the ratio lifted, in batches of one (the last value of a
  // repeated option counts).
  auto r = d.Cli({"sweep", "--json", "--min-age", "0", "--max-missing-ratio", "1", "--batch-size",
                  "500", "--batch-size", "1"});
  INFO(r.err << d.Log());
  REQUIRE(r.exit_code == 0);
  CHECK(nlohmann::json::parse(r.out)["archived"] == 3);
  CHECK(d.db->ArchivedMediaIds() == young);
  // It ran inside the daemon, with the options it was given.
  CHECK_THAT(d.Log(), Catch::Contains("manual sweep starting (min_age 0 s, max_missing_ratio 1, "
                                      "batch_size 1)"));
  CHECK_THAT(d.Log(), Catch::Contains("Cleaned up batch of 1 orphaned entries (total: 3)"));
}

TEST_CASE(
    "sweep --storage through the daemon sweeps that root, and refuses one it does not "
    "manage, naming its roots") {
  DaemonProcess d;
  const std::string second = d.tmp.Sub("rec2");
  MakeDirs(second + "/" + kDay);
  for (int i = 0; i < 3; ++i)
    WriteFile(second + "/" + kDay + "08-00-0" + std::to_string(i) + ".mp4");
  d.db->InsertStorage(2, second);
  d.Start();
  AwaitStartupSweep(d);
  const int64_t gone = d.db->InsertMedia(second + "/" + kDay + "08-30-00.mp4");
  for (int i = 0; i < 3; ++i)
    d.db->InsertMedia(second + "/" + kDay + "08-00-0" + std::to_string(i) + ".mp4");

  // A trailing slash is the same root.
  auto r = d.Cli({"sweep", "--json", "--storage", second + "/"});
  INFO(r.err << d.Log());
  REQUIRE(r.exit_code == 0);
  auto report = nlohmann::json::parse(r.out);
  REQUIRE_FALSE(report["roots"].empty());
  CHECK(report["roots"][0]["path"] == second);
  CHECK(report["roots"][0]["configured"] == true);
  CHECK(d.db->ArchivedMediaIds() == std::vector<int64_t>{gone});

  const std::string elsewhere = d.tmp.Sub("elsewhere");
  MakeDirs(elsewhere);
  auto bad = d.Cli({"sweep", "--storage", second, "--storage", elsewhere});
  CHECK(bad.exit_code == 2);
  CHECK(bad.out.empty());
  CHECK(bad.err == "recsync: the daemon on " + d.socket + " refused the sweep: storage " +
                       elsewhere + " is not one of the daemon's roots (" + d.root + ", " + second +
                       "); sweep some of those, or add it to the Storage table or the storage "
                       "setting and reload the daemon\n");
  CHECK(d.Log().find("manual sweep starting") == d.Log().rfind("manual sweep starting"));
}

TEST_CASE("a wrongly typed or unknown field on the control socket is one line naming it") {
  DaemonProcess d;
  d.Start();
  auto typed = Ask(d, {{"cmd", "sweep"}, {"dry_run", "yes"}});
  CHECK(typed ==
        nlohmann::json{{"ok", false}, {"error", "dry_run must be true or false"}, {"exit", 2}});
  auto ratio = Ask(d, {{"cmd", "sweep"}, {"max_missing_ratio", "0.9"}});
  CHECK(ratio["error"] == "max_missing_ratio must be a number between 0 and 1");
  auto cmd = Ask(d, {{"cmd", 5}});
  CHECK(cmd["error"] == "cmd must be a string: status, sweep, sync or retry");
  auto unknown = Ask(d, {{"cmd", "sync"}, {"timeout", 5}});
  CHECK(unknown["error"] == "a sync request has no field \"timeout\" (it takes none)");
  auto retry = Ask(d, {{"cmd", "retry"}, {"seqs", {"1"}}});
  CHECK(retry["error"] == "seqs must be a list of event seqs (whole numbers, 1 or more)");
  // None of them swept, and the daemon still answers.
  CHECK(d.Log().find("manual sweep") == std::string::npos);
  CHECK(d.Status()["ok"] == true);
}

TEST_CASE(
    "sync exits 3 while an event up to it failed, and journal retry through the daemon "
    "applies it at once") {
  DaemonProcess d;
  // Young, so no sweep archives it: only its event can. Another recording
  // keeps the root from looking empty (suspect).
  d.AddRecording(kDay + "10-00-00.mp4");
  const std::string path = d.PathOf(kDay + "11-00-00.mp4");
  const int64_t id = d.db->InsertMedia(path, std::time(nullptr));
  const int64_t seq = JournalFailedDeletion(d.journal, path);
  d.Start();

  auto sync = d.Cli({"sync", "--timeout", "30"});
  INFO(sync.err << d.Log());
  CHECK(sync.exit_code == 3);
  CHECK(sync.err == "recsync: sync: of the events up to seq " + std::to_string(seq) +
                        ", 1 failed (latest: seq " + std::to_string(seq) +
                        ", Lock wait timeout exceeded; try restarting transaction); see recsync "
                        "journal list --state failed, then recsync journal retry\n");
  auto status = d.Status();
  INFO(status["degraded"].dump());
  REQUIRE(status["degraded"].size() == 1);
  CHECK(status["degraded"][0] ==
        "1 events failed; see recsync journal list --state failed, and recsync journal retry "
        "--all to run them again");
  CHECK_FALSE(d.db->MediaArchived(id));

  auto retry = d.Cli({"journal", "retry", std::to_string(seq)});
  INFO(retry.err);
  REQUIRE(retry.exit_code == 0);
  CHECK(retry.out == "made 1 failed events pending again (" + std::to_string(seq) +
                         "); the daemon is applying them now (recsync sync waits for them)\n");
  d.Sync();  // exit 0: nothing failed or pending any more
  CHECK(d.db->MediaArchived(id));
  CHECK(StateOf(d.journal, seq) == EventState::kApplied);

  // A seq that is not a failed event is named, and the exit is 1.
  auto again = d.Cli({"journal", "retry", std::to_string(seq), "999"});
  CHECK(again.exit_code == 1);
  CHECK(again.err == "recsync: journal retry: left alone, not failed: " + std::to_string(seq) +
                         " (applied), 999 (not in the journal) (see recsync journal list --state "
                         "failed)\n");
}

TEST_CASE("sync exits 3 while an event is held for an offline root, and 0 once it is back") {
  DaemonProcess d;
  const std::string path = d.PathOf(kDay + "13-00-00.mp4");
  const int64_t id = d.db->InsertMedia(path, std::time(nullptr));
  // Seen deleted before a restart, still pending; and the root's mount
  // point is declared but not mounted, so the root is offline at start.
  {
    auto j = Journal::Open(d.journal, Journal::Mode::kReadWrite);
    REQUIRE(j.ok());
    REQUIRE((*j)->AppendEvents({NewEvent::Of(EventKind::kDeleted, 1000, path)}).ok());
  }
  WriteFile(d.fstab, "tmpfs " + d.root + " tmpfs defaults 0 0\n");
  d.Start();
  REQUIRE(d.Status()["roots"][0]["state"] == "offline");

  auto held = d.Cli({"sync", "--timeout", "30"});
  INFO(held.err << d.Log());
  CHECK(held.exit_code == 3);
  CHECK_THAT(held.err, Catch::StartsWith("recsync: sync: storage " + d.root +
                                         " was not covered (offline: "));
  CHECK_THAT(held.err, Catch::Contains("\nrecsync: sync: of the events up to seq 1, 1 still "
                                       "pending (latest: seq 1, held: storage " +
                                       d.root + " is offline: "));
  CHECK_THAT(held.err, Catch::EndsWith("; see recsync status\n"));
  CHECK_FALSE(d.db->MediaArchived(id));

  // The declaration goes: the root is online again and the event applied.
  WriteFile(d.fstab, "");
  REQUIRE(d.AwaitStatus([](const nlohmann::json& s) {
    return s["roots"][0]["state"] == "online" && s["events"]["pending"] == 0;
  }));
  d.Sync();
  CHECK(d.db->MediaArchived(id));
}

TEST_CASE(
    "journal retry without a daemon writes the journal, and refuses while a daemon holds "
    "it without answering") {
  TempDir tmp;
  const std::string journal = tmp.Sub("journal.db");
  const int64_t seq = JournalFailedDeletion(journal, "/rec/" + kDay + "12-00-00.mp4");
  const std::vector<std::string> common = {RECSYNC_BINARY, "--journal", journal, "--control-socket",
                                           tmp.Sub("nobody.sock")};
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), common.begin(), common.end());
    return RunProcess(args);
  };

  {
    // What a daemon that lost its socket looks like: the journal's lock held.
    auto held = InstanceLock::Acquire(journal + ".lock");
    REQUIRE(held.ok());
    auto refused = run({"journal", "retry", "--all"});
    CHECK(refused.exit_code == 1);
    CHECK(refused.err == "recsync: journal retry: a recsync daemon holds journal " + journal +
                             " but does not answer on " + tmp.Sub("nobody.sock") +
                             "; check that both use the same control_socket, then run this "
                             "again\n");
    CHECK(StateOf(journal, seq) == EventState::kFailed);
  }

  auto r = run({"journal", "retry", "--all"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out == "made 1 failed events pending again (" + std::to_string(seq) +
                     "); the daemon applies them when it starts (no daemon answers now)\n");
  auto j = Journal::Open(journal, Journal::Mode::kReadOnly);
  REQUIRE(j.ok());
  auto e = (*j)->GetEvent(seq);
  REQUIRE(e.ok());
  CHECK((*e)->state == EventState::kPending);
  CHECK((*e)->attempts == 0);

  CHECK(run({"journal", "retry", "--all"}).out == "no failed events to retry\n");
  auto usage = run({"journal", "retry"});
  CHECK(usage.exit_code == 2);
  CHECK(usage.err ==
        "recsync: journal retry: give the seqs of failed events or --all, not both "
        "(see recsync journal list --state failed)\n");
  CHECK(run({"journal", "retry", "--all", "3"}).exit_code == 2);
}
