// What a sweep covered settles the daemon's "unmounted" and "overflow"
// events, and nothing it did not cover: on a real journal.
#include <catch2/catch.hpp>
#include <optional>

#include "reconcile/sweep_coverage.h"
#include "tests/support/temp_dir.h"

using namespace recsync;
using recsync::testing::TempDir;

namespace {

struct Fixture {
  TempDir tmp;
  std::unique_ptr<Journal> journal;
  Fixture() {
    auto j = Journal::Open(tmp.Sub("journal.db"), Journal::Mode::kReadWrite);
    REQUIRE(j.ok());
    journal = std::move(*j);
  }
  int64_t Append(NewEvent e) {
    auto seqs = journal->AppendEvents({std::move(e)});
    REQUIRE(seqs.ok());
    return seqs->front();
  }
  std::optional<EventState> StateOf(int64_t seq) {
    EventFilter all;
    all.limit = 0;
    auto events = journal->ListEvents(all);
    REQUIRE(events.ok());
    for (const auto& e : *events) {
      if (e.seq == seq) return e.state;
    }
    return std::nullopt;
  }
};

RootReport Root(const std::string& path, RootState state) {
  RootReport r;
  r.path = path;
  r.state = state;
  return r;
}

}  // namespace

TEST_CASE("a sweep settles the unmount of each root it checked, journaled before it began") {
  Fixture f;
  const int64_t checked = f.Append(NewEvent::Of(EventKind::kRootGone, 1000, "/srv/a"));
  const int64_t offline = f.Append(NewEvent::Of(EventKind::kRootGone, 1000, "/srv/b"));
  const int64_t seq_before = offline;
  const int64_t later = f.Append(NewEvent::Of(EventKind::kRootGone, 2000, "/srv/a"));
  SweepReport report;
  report.roots = {Root("/srv/a", RootState::kSuspect), Root("/srv/b", RootState::kOffline)};
  REQUIRE(SettleCoveredEvents(*f.journal, report, {seq_before, 1500, false}, 3000).ok());
  CHECK(f.StateOf(checked) == EventState::kApplied);
  CHECK(f.StateOf(offline) == EventState::kPending);  // swept when it is back
  CHECK(f.StateOf(later) == EventState::kPending);    // it may have gone after the sweep looked
}

TEST_CASE("only a sweep of everything settles the overflows seen before it began") {
  Fixture f;
  const int64_t before = f.Append(NewEvent::Of(EventKind::kOverflow, 1000, ""));
  const int64_t after = f.Append(NewEvent::Of(EventKind::kOverflow, 2000, ""));
  SweepReport report;
  report.roots = {Root("/srv/a", RootState::kOnline)};
  REQUIRE(SettleCoveredEvents(*f.journal, report, {after, 1500, false}, 3000).ok());
  CHECK(f.StateOf(before) == EventState::kPending);  // one root's sweep does not cover lost events
  REQUIRE(SettleCoveredEvents(*f.journal, report, {after, 1500, true}, 3000).ok());
  CHECK(f.StateOf(before) == EventState::kApplied);
  CHECK(f.StateOf(after) == EventState::kPending);  // seen after the sweep began, though committed before
}

TEST_CASE("a dry run settles nothing") {
  Fixture f;
  const int64_t unmounted = f.Append(NewEvent::Of(EventKind::kRootGone, 1000, "/srv/a"));
  const int64_t overflow = f.Append(NewEvent::Of(EventKind::kOverflow, 1000, ""));
  SweepReport report;
  report.dry_run = true;
  report.roots = {Root("/srv/a", RootState::kOnline)};
  REQUIRE(SettleCoveredEvents(*f.journal, report, {overflow, 1500, true}, 3000).ok());
  CHECK(f.StateOf(unmounted) == EventState::kPending);
  CHECK(f.StateOf(overflow) == EventState::kPending);
}
