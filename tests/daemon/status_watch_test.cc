#include "daemon/status_watch.h"

#include <uv.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "daemon/loop_mailbox.h"
#include "tests/support/test_loop.h"

namespace recsync::testing {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

// A daemon-like status the test changes on the loop thread.
struct Fixture {
  TestLoop loop;
  json state = {{"ok", true}, {"uptime_s", 1}, {"sweep", {{"last", nullptr}}}};
  std::vector<json> replies;
  std::unique_ptr<StatusWatch> watch =
      std::make_unique<StatusWatch>(loop.get(), [this] { return state; });
  ControlServer::Reply Recorder() {
    return [this](const json& r) { replies.push_back(r); };
  }
};

TEST_CASE("a waiting status request is answered once the status changes, not before") {
  Fixture f;
  LoopMailbox mailbox(f.loop.get());
  f.watch->Wait(f.state, std::chrono::hours(1), f.Recorder());
  f.loop.RunReady();
  CHECK(f.replies.empty());
  CHECK(f.watch->waiting() == 1);

  bool changed = false;
  mailbox.Post([&] {
    f.state["sweep"]["last"] = {{"trigger", "startup"}};
    changed = true;
  });
  REQUIRE(f.loop.RunUntil([&] { return !f.replies.empty(); }));
  CHECK(changed);
  REQUIRE(f.replies.size() == 1);
  CHECK(f.replies[0]["sweep"]["last"]["trigger"] == "startup");
  CHECK(f.watch->waiting() == 0);
}

TEST_CASE("uptime alone is no change") {
  Fixture f;
  LoopMailbox mailbox(f.loop.get());
  f.watch->Wait(f.state, std::chrono::hours(1), f.Recorder());
  bool ticked = false;
  mailbox.Post([&] {
    f.state["uptime_s"] = 2;
    ticked = true;
  });
  REQUIRE(f.loop.RunUntil([&] { return ticked; }));  // the check ran after it
  CHECK(f.replies.empty());
  mailbox.Post([&] { f.state["ok"] = false; });
  REQUIRE(f.loop.RunUntil([&] { return !f.replies.empty(); }));
  CHECK(f.replies[0]["uptime_s"] == 2);
  CHECK(StatusChanged({{"uptime_s", 1}, {"a", 1}}, {{"uptime_s", 9}, {"a", 2}}));
  CHECK_FALSE(StatusChanged({{"uptime_s", 1}, {"a", 1}}, {{"uptime_s", 9}, {"a", 1}}));
}

TEST_CASE("a status that already differs from the one seen is answered at once") {
  Fixture f;
  json seen = f.state;
  f.state["sweep"]["running"] = true;
  f.watch->Wait(seen, std::chrono::hours(1), f.Recorder());
  REQUIRE(f.replies.size() == 1);
  CHECK(f.replies[0]["sweep"]["running"] == true);
  // Nothing left to watch: no handle keeps the loop alive or wakes it.
  CHECK(uv_loop_alive(f.loop.get()) == 0);
}

TEST_CASE("a wait that sees no change ends at its deadline with the status as it is") {
  Fixture f;
  f.watch->Wait(f.state, milliseconds(1), f.Recorder());
  CHECK(f.replies.empty());
  REQUIRE(f.loop.RunUntil([&] { return !f.replies.empty(); }));
  CHECK(f.replies[0] == f.state);
  CHECK(uv_loop_alive(f.loop.get()) == 0);
}

TEST_CASE("waiters with different views of the status are each answered on their own terms") {
  Fixture f;
  LoopMailbox mailbox(f.loop.get());
  json old = f.state;
  f.state["events"] = 1;
  f.watch->Wait(f.state, std::chrono::hours(1), f.Recorder());  // up to date: waits
  f.watch->Wait(old, std::chrono::hours(1), f.Recorder());      // behind: answered now
  REQUIRE(f.replies.size() == 1);
  CHECK(f.replies[0]["events"] == 1);
  mailbox.Post([&] { f.state["events"] = 2; });
  REQUIRE(f.loop.RunUntil([&] { return f.replies.size() == 2; }));
  CHECK(f.replies[1]["events"] == 2);
}

TEST_CASE("a watch destroyed with requests waiting closes its handles") {
  Fixture f;
  f.watch->Wait(f.state, std::chrono::hours(1), f.Recorder());
  f.watch.reset();
  f.loop.RunReady();
  CHECK(f.replies.empty());
  CHECK(uv_loop_alive(f.loop.get()) == 0);
}

}  // namespace
}  // namespace recsync::testing
