// Control-socket requests are read with their types checked: a wrong type,
// a value out of range or an unknown field is one line naming the field and
// what it must be, never a JSON library's exception.
#include "daemon/control_request.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace recsync::testing {
namespace {

using nlohmann::json;

// The message of a refused parse (fails the test when it was accepted).
template <typename T>
std::string Refused(const Result<T>& r) {
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kInvalid);
  CHECK(r.status().message().find('\n') == std::string::npos);
  return r.status().message();
}

TEST_CASE("a sweep request carries its flags and per-sweep overrides") {
  auto ask = ParseSweepRequest(json::parse(
      R"({"cmd":"sweep","dry_run":true,"relist":true,"min_age":0,"max_missing_ratio":1,
          "batch_size":250,"storage":["/srv/a/","/srv/b"]})"));
  REQUIRE(ask.ok());
  CHECK(ask->spec.dry_run);
  CHECK_FALSE(ask->spec.force);
  CHECK(ask->spec.relist);
  CHECK(ask->spec.min_age_s == 0);
  CHECK(ask->spec.max_missing_ratio == 1.0);
  CHECK(ask->spec.batch_size == 250);
  CHECK(ask->storage == std::vector<std::string>{"/srv/a/", "/srv/b"});

  auto plain = ParseSweepRequest(json{{"cmd", "sweep"}});
  REQUIRE(plain.ok());
  CHECK(plain->spec == SweepSpec{});
  CHECK(plain->storage.empty());
}

TEST_CASE("a wrongly typed or out-of-range sweep field names the field and the expected type") {
  auto sweep = [](json fields) {
    fields["cmd"] = "sweep";
    return ParseSweepRequest(fields);
  };
  CHECK(Refused(sweep({{"dry_run", "yes"}})) == "dry_run must be true or false");
  CHECK(Refused(sweep({{"force", 1}})) == "force must be true or false");
  CHECK(Refused(sweep({{"relist", nullptr}})) == "relist must be true or false");
  CHECK(Refused(sweep({{"min_age", -1}})) ==
        "min_age must be a whole number of seconds, 0 or more");
  CHECK(Refused(sweep({{"min_age", 1.5}})) ==
        "min_age must be a whole number of seconds, 0 or more");
  CHECK(Refused(sweep({{"min_age", "120"}})) ==
        "min_age must be a whole number of seconds, 0 or more");
  CHECK(Refused(sweep({{"max_missing_ratio", 1.5}})) ==
        "max_missing_ratio must be a number between 0 and 1");
  CHECK(Refused(sweep({{"max_missing_ratio", "0.5"}})) ==
        "max_missing_ratio must be a number between 0 and 1");
  CHECK(Refused(sweep({{"batch_size", 0}})) ==
        "batch_size must be a whole number between 1 and 100000");
  CHECK(Refused(sweep({{"batch_size", 100001}})) ==
        "batch_size must be a whole number between 1 and 100000");
  CHECK(Refused(sweep({{"batch_size", 18446744073709551615ull}})) ==
        "batch_size must be a whole number between 1 and 100000");
  CHECK(Refused(sweep({{"storage", "/srv/a"}}))
            .rfind("storage must be a list of absolute paths", 0) == 0);
  CHECK(Refused(sweep({{"storage", {"srv/a"}}})).rfind("storage must be a list", 0) == 0);
  CHECK(Refused(sweep({{"storage", {1}}})).rfind("storage must be a list", 0) == 0);
}

TEST_CASE("a field a command does not take is refused, never ignored") {
  CHECK(Refused(ParseSweepRequest(json{{"cmd", "sweep"}, {"min-age", 0}})) ==
        "a sweep request has no field \"min-age\" (it takes dry_run, force, relist, min_age, "
        "max_missing_ratio, batch_size, storage)");
  CHECK(CheckKnownFields(json{{"cmd", "sync"}, {"timeout", 5}}, "sync", {}).message() ==
        "a sync request has no field \"timeout\" (it takes none)");
  CHECK(CheckKnownFields(json{{"cmd", "sync"}}, "sync", {}).ok());
}

TEST_CASE("cmd must be a string") {
  CHECK(Refused(RequestCommand(json{{"cmd", 7}})) ==
        "cmd must be a string: status, sweep, sync or retry");
  CHECK(Refused(RequestCommand(json::object())).rfind("cmd must be a string", 0) == 0);
  CHECK(*RequestCommand(json{{"cmd", "sync"}}) == "sync");
}

TEST_CASE("a status wait takes a number of milliseconds, capped at a day") {
  CHECK_FALSE(ParseStatusWait(json{{"cmd", "status"}})->has_value());
  CHECK(**ParseStatusWait(json{{"cmd", "status"}, {"wait_ms", 250}}) ==
        std::chrono::milliseconds(250));
  CHECK(**ParseStatusWait(json{{"cmd", "status"}, {"wait_ms", 1e12}}) == std::chrono::hours(24));
  CHECK(Refused(ParseStatusWait(json{{"cmd", "status"}, {"wait_ms", "5"}})) ==
        "wait_ms must be a number of milliseconds, 0 or more");
  CHECK(Refused(ParseStatusWait(json{{"cmd", "status"}, {"wait_ms", -1}})) ==
        "wait_ms must be a number of milliseconds, 0 or more");
}

TEST_CASE("a retry request takes all or a list of seqs, not both, not neither") {
  auto all = ParseRetryRequest(json{{"cmd", "retry"}, {"all", true}});
  REQUIRE(all.ok());
  CHECK(all->all);
  auto some = ParseRetryRequest(json{{"cmd", "retry"}, {"seqs", {3, 1}}});
  REQUIRE(some.ok());
  CHECK_FALSE(some->all);
  CHECK(some->seqs == std::vector<int64_t>{3, 1});

  const std::string one_of =
      R"(a retry request takes either "all": true or a non-empty "seqs" list)";
  CHECK(Refused(ParseRetryRequest(json{{"cmd", "retry"}})) == one_of);
  CHECK(Refused(ParseRetryRequest(json{{"cmd", "retry"}, {"all", true}, {"seqs", {1}}})) == one_of);
  CHECK(Refused(ParseRetryRequest(json{{"cmd", "retry"}, {"seqs", json::array()}})) == one_of);
  CHECK(Refused(ParseRetryRequest(json{{"cmd", "retry"}, {"all", "yes"}})) ==
        "all must be true or false");
  for (json bad : {json(5), json{0}, json{-2}, json{"7"}, json{1.5}}) {
    INFO(bad.dump());
    CHECK(Refused(ParseRetryRequest(json{{"cmd", "retry"}, {"seqs", bad}})) ==
          "seqs must be a list of event seqs (whole numbers, 1 or more)");
  }
}

TEST_CASE("requested roots must be the daemon's, under any of their spellings") {
  const std::vector<DaemonRoot> daemon = {{"/srv/a", {"/srv/a"}},
                                          {"/mnt/nas/b", {"/var/lib/bluecherry/b", "/mnt/nas/b"}}};
  auto matched = MatchDaemonRoots({"/var/lib/bluecherry/b/", "/srv//a", "/mnt/nas/b"}, daemon);
  REQUIRE(matched.ok());
  CHECK(*matched == std::vector<std::string>{"/mnt/nas/b", "/srv/a"});

  CHECK(Refused(MatchDaemonRoots({"/srv/a", "/srv/c"}, daemon)) ==
        "storage /srv/c is not one of the daemon's roots (/srv/a, /mnt/nas/b); sweep some of "
        "those, or add it to the Storage table or the storage setting and reload the daemon");
  // A root below one of them is not one of them.
  CHECK(Refused(MatchDaemonRoots({"/srv/a/2026"}, daemon)).find("/srv/a/2026 is not") !=
        std::string::npos);
  CHECK(Refused(MatchDaemonRoots({"/srv/a"}, {})).find("it has loaded none yet") !=
        std::string::npos);
}

}  // namespace
}  // namespace recsync::testing
