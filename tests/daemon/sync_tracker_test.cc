#include <catch2/catch.hpp>
#include <string>

#include "daemon/sync_tracker.h"

namespace recsync::testing {
namespace {

TEST_CASE("a sync completes only when its cookies are back, the ingest committed what was "
          "submitted and the reconciler caught up to that commit") {
  SyncTracker t(0);
  int done = 0;
  const uint64_t id = t.Begin([&] { ++done; });
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

TEST_CASE("a sync waits for the seq of the commit that covered its events, not an earlier one") {
  SyncTracker t(0);
  int done = 0;
  const uint64_t id = t.Begin([&] { ++done; });
  t.Expect(id, {"/rec/a"}, 3);
  t.Seen(id, "/rec/a", 4);
  t.Committed(4, 40);  // events 1..4 end at seq 40
  t.Committed(9, 90);  // later events, not needed by the sync
  t.CaughtUp(40);
  CHECK(done == 1);
}

TEST_CASE("a cookie that comes back before its sync expects it still counts") {
  SyncTracker t(0);
  int done = 0;
  const uint64_t id = t.Begin([&] { ++done; });
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
  const uint64_t id = t.Begin([&] { ++done; });
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
  const uint64_t id = t.Begin([&] { ++done; });
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
  const uint64_t id = t.Begin([&] { ++done; });
  CHECK(done == 0);  // nothing known about it until Expect
  t.Expect(id, {}, 2);
  CHECK(done == 1);
}

TEST_CASE("after start-up a sync waits for the replay of the journal's backlog") {
  SyncTracker t(/*last_seq=*/50);
  int done = 0;
  const uint64_t id = t.Begin([&] { ++done; });
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
  const uint64_t a = t.Begin([&] { ++cancelled; });
  const uint64_t b = t.Begin([&] { ++kept; });
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
  const uint64_t a = t.Begin([&] { ++first; });
  const uint64_t b = t.Begin([&] { ++second; });
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
