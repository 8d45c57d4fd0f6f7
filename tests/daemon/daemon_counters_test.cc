// The daemon's counters from the reports that reach its loop: sweeps by
// trigger and result, the roots they left alone in a few fixed words, and
// the reconciler's rounds.
#include "daemon/daemon_counters.h"

#include <catch2/catch.hpp>

using namespace recsync;

namespace {

RootReport Root(RootState state, bool refused = false, std::string reason = "") {
  RootReport r;
  r.path = "/rec";
  r.state = state;
  r.refused = refused;
  r.reason = std::move(reason);
  return r;
}

SweepOutcome Swept(std::vector<RootReport> roots, bool dry_run = false, int64_t archived = 0) {
  SweepOutcome o;
  o.report.dry_run = dry_run;
  o.report.started_ms = 1000000;
  o.report.duration_ms = 2500;
  if (!roots.empty()) roots.front().archived = archived;
  o.report.roots = std::move(roots);
  return o;
}

}  // namespace

TEST_CASE("a root a sweep left alone counts under one of four words") {
  CHECK(RefusalOf(Root(RootState::kOnline)) == std::nullopt);
  CHECK(RefusalOf(Root(RootState::kOffline, false, "not mounted")) == RefusalReason::kOffline);
  CHECK(RefusalOf(Root(RootState::kOffline, false, "unresponsive: no answer within 10 s")) ==
        RefusalReason::kUnresponsive);
  CHECK(RefusalOf(Root(RootState::kSuspect, true, "the directory is empty")) ==
        RefusalReason::kSuspect);
  CHECK(RefusalOf(Root(RootState::kOnline, true)) == RefusalReason::kRatio);
  // Suspect but forced: swept.
  CHECK(RefusalOf(Root(RootState::kSuspect, false, "the directory is empty")) == std::nullopt);
}

TEST_CASE("sweeps count by trigger and result; only those that may change the catalog count rows and refusals") {
  DaemonCounters c;
  c.CountSweep(SweepTrigger::kStartup, Swept({Root(RootState::kOnline)}, false, 3));
  c.CountSweep(SweepTrigger::kPeriodic,
               Swept({Root(RootState::kOnline, true), Root(RootState::kOffline, false, "gone")}));
  c.CountSweep(SweepTrigger::kManual, Swept({Root(RootState::kOnline, true)}, true, 9));
  SweepOutcome failed;
  failed.status = Status(Code::kUnavailable, "the database is away");
  c.CountSweep(SweepTrigger::kOverflow, failed);

  CHECK(c.sweeps[{SweepTrigger::kStartup, SweepResult::kDone}] == 1);
  CHECK(c.sweeps[{SweepTrigger::kPeriodic, SweepResult::kPartial}] == 1);
  CHECK(c.sweeps[{SweepTrigger::kManual, SweepResult::kPreview}] == 1);
  CHECK(c.sweeps[{SweepTrigger::kOverflow, SweepResult::kFailed}] == 1);
  // The preview's "archived" rows were not archived, its refusal changed nothing.
  CHECK(c.rows_archived_by_sweeps == 3);
  CHECK(c.refusals[RefusalReason::kRatio] == 1);
  CHECK(c.refusals[RefusalReason::kOffline] == 1);
  // Three sweeps ran to their end (the failed one has no duration).
  CHECK(c.sweep_duration_s.count() == 3);
  CHECK(c.sweep_duration_s.sum() == Approx(7.5));
  CHECK(c.last_sweep_success_ms == 1002500);

  const auto json = CountersToJson(c);
  CHECK(json["sweeps"]["periodic"]["partial"] == 1);
  CHECK(json["sweeps"]["online"]["done"] == 0);
  CHECK(json["sweep_refusals"]["ratio"] == 1);
  CHECK(json["rows"]["archived_by_sweeps"] == 3);
}

TEST_CASE("a reconciler round adds its settled events, rows and delete-to-archive times") {
  DaemonCounters c;
  ApplyStats round;
  round.settled[{EventKind::kDeleted, EventState::kApplied}] = 2;
  round.settled[{EventKind::kCreated, EventState::kIgnored}] = 1;
  round.archived = 4;
  round.repathed = 1;
  round.restored = 1;
  round.delete_to_archive_ms = {40, 1500};
  c.CountRound(round);
  c.CountRound(round);
  CHECK(c.events[{EventKind::kDeleted, EventState::kApplied}] == 4);
  CHECK(c.rows_archived_by_events == 8);
  CHECK(c.rows_repointed == 2);
  CHECK(c.rows_restored == 2);
  CHECK(c.delete_to_archive_s.count() == 4);
  CHECK(c.delete_to_archive_s.sum() == Approx(3.08));
  const auto json = CountersToJson(c);
  CHECK(json["events"]["deleted"]["applied"] == 4);
  CHECK(json["events"]["created"]["ignored"] == 2);
  CHECK(json["events"]["moved_from"]["failed"] == 0);
}
