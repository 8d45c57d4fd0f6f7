#include <catch2/catch.hpp>
#include <string>

#include "daemon/sync_tracker.h"

namespace recsync::testing {
namespace {

TEST_CASE("a sync completes only when its cookies are back, the ingest committed what was "
          "submitted and the reconciler caught up to that commit") {
  SyncTracker t(0);
  int done = 0;
  const uint64_t id = t.Begin([&](int64_t) { ++done; });
  t.Expect(id, {"/rec/a", "/rec/b"}, /*submitted=*/5);
  t.Committed(5, 50);
  t.CaughtUp(50);
  CHECK(done == 0);  // no cookie back yet: events may still be in the kernel

  t.Seen(id, "/rec/a", 6);
  t.Committed(6, 60);
  t.CaughtUp(60);
  CHECK(done == 0);  // the cookie of /rec/b is still out

  t.Seen(id, "/rec/b", /*submitted=*/8);
  CHECK(done == 0);
  t.Committed(7, 70);
  t.CaughtUp(70);
  CHECK(done == 0);  // event 8 is not committed yet

  t.Committed(8, 85);
  CHECK(done == 0);  // committed, not yet settled
  t.CaughtUp(84);
  CHECK(done == 0);
  t.CaughtUp(85);
  CHECK(done == 1);
  CHECK(t.active() == 0);

  // Later reports do not answer it again.
  t.Committed(20, 200);
  t.CaughtUp(200);
  t.Seen(id, "/rec/a", 20);
  CHECK(done == 1);
}

TEST_CASE(
    "a sync waits for the seq of the commit that covered its events, not an earlier one, "
    "and is answered with that seq as its point") {
  SyncTracker t(0);
  int done = 0;
  int64_t point = -1;
  const uint64_t id = t.Begin([&](int64_t up_to_seq) {
    ++done;
    point = up_to_seq;
  });
  t.Expect(id, {"/rec/a"}, 3);
  t.Seen(id, "/rec/a", 4);
  t.Committed(4, 40);  // events 1..4 end at seq 40
  t.Committed(9, 90);  // later events, not needed by the sync
  t.CaughtUp(40);
  CHECK(done == 1);
  CHECK(point == 40);  // what the sync reports on: the events up to it
}

TEST_CASE("after a retry a sync waits for the reconciler to catch up again") {
  SyncTracker t(0);
  t.Committed(5, 50);
  t.CaughtUp(50);  // everything settled, seq 20 as failed
  t.Reopened(20);  // journal retry: seq 20 is pending again
  int done = 0;
  const uint64_t id = t.Begin([&](int64_t) { ++done; });
  t.Expect(id, {}, 5);
  CHECK(done == 0);  // the earlier catching up did not include seq 20 pending
  t.CaughtUp(50);
  CHECK(done == 1);
}

TEST_CASE("a sync's answer counts failed and pending events with the latest one's reason") {
  UnsettledEvents none;
  auto clean = SyncAnswer(40, none, {});
  CHECK(clean["ok"] == true);
  CHECK(clean["up_to_seq"] == 40);
  CHECK(clean["failed"] == nlohmann::json{{"count", 0}});
  CHECK(clean["pending"] == nlohmann::json{{"count", 0}});

  UnsettledEvents u;
  u.failed = 2;
  u.latest_failed = EventRecord{};
  u.latest_failed->seq = 31;
  u.latest_failed->last_error = "Data too long for column 'filepath'";
  u.pending = 3;
  u.latest_pending = EventRecord{};
  u.latest_pending->seq = 39;
  u.latest_pending->kind = EventKind::kDeleted;
  u.latest_pending->path = "/rec/b/2026/x.mp4";
  u.latest_pending->last_error = "an old error";
  auto held = SyncAnswer(40, u, {{"/rec/a", "not mounted"}, {"/rec/b", "unresponsive"}});
  CHECK(held["failed"]["count"] == 2);
  CHECK(held["failed"]["latest_seq"] == 31);
  CHECK(held["failed"]["reason"] == "Data too long for column 'filepath'");
  CHECK(held["pending"]["count"] == 3);
  CHECK(held["pending"]["latest_seq"] == 39);
  CHECK(held["pending"]["reason"] == "held: storage /rec/b is offline: unresponsive");

  // Not under an offline root: what it waits for.
  CHECK(SyncAnswer(40, u, {})["pending"]["reason"] == "an old error");
  u.latest_pending->kind = EventKind::kOverflow;
  u.latest_pending->path = "";
  CHECK(SyncAnswer(40, u, {})["pending"]["reason"].get<std::string>().find("overflowed") !=
        std::string::npos);
}

TEST_CASE("a cookie that comes back before its sync expects it still counts") {
  SyncTracker t(0);
  int done = 0;
  const uint64_t id = t.Begin([&](int64_t) { ++done; });
  t.Seen(id, "/rec/a", 2);  // the watch beat the probe worker's report
  CHECK(done == 0);
  t.Expect(id, {"/rec/a"}, 3);
  t.Committed(3, 30);
  t.CaughtUp(30);
  CHECK(done == 1);
}

TEST_CASE("a cookie from a root the sync did not expect does not complete it") {
  SyncTracker t(0);
  int done = 0;
  const uint64_t id = t.Begin([&](int64_t) { ++done; });
  t.Expect(id, {"/rec/a"}, 0);
  t.Seen(id, "/rec/other", 1);
  t.Committed(1, 10);
  t.CaughtUp(10);
  CHECK(done == 0);
  t.Seen(id, "/rec/a", 1);
  CHECK(done == 1);
}

TEST_CASE("a sync with no roots to expect completes once the submitted events are committed and "
          "settled") {
  SyncTracker t(0);
  int done = 0;
  const uint64_t id = t.Begin([&](int64_t) { ++done; });
  t.Expect(id, {}, /*submitted=*/2);
  CHECK(done == 0);
  t.Committed(1, 10);
  t.CaughtUp(10);
  CHECK(done == 0);
  t.Committed(2, 20);
  CHECK(done == 0);
  t.CaughtUp(20);
  CHECK(done == 1);
}

TEST_CASE("an idle daemon answers a sync with no roots at once") {
  SyncTracker t(0);
  t.Committed(2, 20);
  t.CaughtUp(20);
  int done = 0;
  const uint64_t id = t.Begin([&](int64_t) { ++done; });
  CHECK(done == 0);  // nothing known about it until Expect
  t.Expect(id, {}, 2);
  CHECK(done == 1);
}

TEST_CASE("after start-up a sync waits for the replay of the journal's backlog") {
  SyncTracker t(/*last_seq=*/50);
  int done = 0;
  const uint64_t id = t.Begin([&](int64_t) { ++done; });
  t.Expect(id, {"/rec/a"}, 0);
  t.Seen(id, "/rec/a", 0);  // nothing new submitted since start-up
  CHECK(done == 0);
  t.CaughtUp(10);
  t.CaughtUp(49);
  CHECK(done == 0);  // pending events 11..50 from before the start are not settled
  t.CaughtUp(50);
  CHECK(done == 1);
}

TEST_CASE("Cancel drops a sync without ever answering it") {
  SyncTracker t(0);
  int cancelled = 0, kept = 0;
  const uint64_t a = t.Begin([&](int64_t) { ++cancelled; });
  const uint64_t b = t.Begin([&](int64_t) { ++kept; });
  CHECK(a != b);
  t.Expect(a, {"/rec/a"}, 1);
  t.Expect(b, {"/rec/a"}, 1);
  CHECK(t.active() == 2);
  t.Cancel(a);
  CHECK(t.active() == 1);

  t.Seen(a, "/rec/a", 1);
  t.Seen(b, "/rec/a", 1);
  t.Committed(1, 10);
  t.CaughtUp(10);
  CHECK(cancelled == 0);
  CHECK(kept == 1);
  CHECK(t.active() == 0);
}

TEST_CASE("concurrent syncs are each answered exactly once, when their own conditions hold") {
  SyncTracker t(0);
  int first = 0, second = 0;
  const uint64_t a = t.Begin([&](int64_t) { ++first; });
  const uint64_t b = t.Begin([&](int64_t) { ++second; });
  t.Expect(a, {"/rec/a"}, 1);
  t.Expect(b, {"/rec/a"}, 1);
  t.Seen(a, "/rec/a", 1);
  t.Committed(1, 10);
  t.Seen(b, "/rec/a", 3);  // more events arrived before b's cookie
  t.CaughtUp(10);
  CHECK(first == 1);
  CHECK(second == 0);
  t.Committed(3, 30);
  t.CaughtUp(30);
  t.CaughtUp(31);
  t.Committed(4, 40);
  CHECK(first == 1);
  CHECK(second == 1);
  CHECK(t.active() == 0);
}

}  // namespace
}  // namespace recsync::testing
