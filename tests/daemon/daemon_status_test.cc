#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "daemon/daemon_status.h"

namespace recsync::testing {
namespace {

RootView Root(const std::string& id, RootState state, std::string reason = "") {
  RootView v;
  v.id = id;
  v.spellings = {id};
  v.status.path = id;
  v.status.state = state;
  v.status.reason = std::move(reason);
  v.armed = state != RootState::kOffline;
  return v;
}

bool Has(const std::vector<std::string>& lines, const std::string& part) {
  return std::any_of(lines.begin(), lines.end(),
                     [&](const std::string& l) { return l.find(part) != std::string::npos; });
}

TEST_CASE("a healthy daemon's status has nothing degraded") {
  DaemonStatus s;
  s.roots_loaded = true;
  s.roots = {Root("/rec", RootState::kOnline)};
  s.database.connected = true;
  CHECK(DegradedLines(s).empty());
  CHECK(StatusToJson(s)["degraded"].empty());
}

TEST_CASE("each fault is one degraded line naming the thing and what to do") {
  DaemonStatus s;
  s.roots = {Root("/rec/a", RootState::kOffline, "not mounted"), Root("/rec/b", RootState::kOnline)};
  s.sweep.refused["/rec/b"] = "storage /rec/b: the periodic sweep archived nothing: ...";
  s.database.error = "cannot connect";
  s.journal_error = "disk full";
  s.events.failed = 2;
  s.events.pending = 5;
  s.events.retry_error = "read-only";
  const auto lines = DegradedLines(s);
  CHECK(Has(lines, "storage /rec/a is offline: not mounted"));
  CHECK(Has(lines, "storage /rec/b: the periodic sweep archived nothing"));
  CHECK(Has(lines, "database: cannot connect"));
  CHECK(Has(lines, "journal: disk full"));
  CHECK(Has(lines, "2 events failed; see recsync journal list --state failed"));
  CHECK(Has(lines, "5 events wait to be retried: read-only"));
  CHECK(Has(lines, "storage roots not loaded yet"));
}

TEST_CASE("a refused root that is no longer configured is not reported") {
  DaemonStatus s;
  s.roots_loaded = true;
  s.roots = {Root("/rec/a", RootState::kOnline)};
  s.sweep.refused["/rec/gone"] = "storage /rec/gone: the periodic sweep archived nothing";
  CHECK(DegradedLines(s).empty());
}

TEST_CASE("status JSON lists a root's other spellings only when it has some") {
  DaemonStatus s;
  RootView linked = Root("/mnt/nas/rec", RootState::kOnline);
  linked.spellings = {"/var/lib/bluecherry/recordings", "/mnt/nas/rec"};
  s.roots = {linked, Root("/rec", RootState::kOnline)};
  const auto json = StatusToJson(s);
  REQUIRE(json["roots"].size() == 2);
  CHECK(json["roots"][0]["also_configured_as"] ==
        nlohmann::json::array({"/var/lib/bluecherry/recordings"}));
  CHECK_FALSE(json["roots"][1].contains("also_configured_as"));
  CHECK(json["sweep"]["last"].is_null());
}

}  // namespace
}  // namespace recsync::testing
