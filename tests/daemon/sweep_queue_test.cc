#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "daemon/sweep_queue.h"

namespace recsync::testing {
namespace {

SweepRequest Request(SweepTrigger trigger, std::vector<std::string> roots = {},
                     bool dry_run = false, bool force = false) {
  SweepRequest r = SweepRequest::Internal(trigger, std::move(roots));
  r.spec.dry_run = dry_run;
  r.spec.force = force;
  return r;
}

// A client's request whose waiter records `name` in `answered` when the sweep ends.
SweepRequest Waiting(std::vector<std::string>& answered, std::string name,
                     std::vector<std::string> roots = {}, SweepSpec spec = {}) {
  return SweepRequest::Manual(spec, std::move(roots),
                              [&answered, name](const SweepOutcome&) { answered.push_back(name); });
}

SweepSpec DryRun() {
  SweepSpec spec;
  spec.dry_run = true;
  return spec;
}

void Answer(const SweepRequest& request) {
  SweepOutcome outcome;
  for (const auto& w : request.waiters) w(outcome);
}

TEST_CASE("only one sweep runs at a time; the next starts when the running one finishes") {
  SweepQueue q;
  CHECK_FALSE(q.StartNext().has_value());  // nothing asked for

  q.Add(Request(SweepTrigger::kStartup));
  auto first = q.StartNext();
  REQUIRE(first.has_value());
  CHECK(first->trigger == SweepTrigger::kStartup);
  CHECK(q.running());

  q.Add(Request(SweepTrigger::kOverflow, {"/rec/a"}));
  CHECK_FALSE(q.StartNext().has_value());
  CHECK(q.queued() == 1);

  q.Finished();
  CHECK_FALSE(q.running());
  auto second = q.StartNext();
  REQUIRE(second.has_value());
  CHECK(second->trigger == SweepTrigger::kOverflow);
  CHECK(q.running());
  CHECK(q.queued() == 0);
}

TEST_CASE("a request made while a sweep runs gets a sweep of its own after it") {
  // The running sweep may already be past the files the new request is
  // about, so the request must not be folded into it.
  std::vector<std::string> answered;
  SweepQueue q;
  q.Add(Waiting(answered, "running", {"/rec/a"}));
  auto running = q.StartNext();
  REQUIRE(running.has_value());

  q.Add(Waiting(answered, "late", {"/rec/a"}));
  CHECK(q.queued() == 1);
  Answer(*running);
  CHECK(answered == std::vector<std::string>{"running"});

  q.Finished();
  auto next = q.StartNext();
  REQUIRE(next.has_value());
  Answer(*next);
  CHECK(answered == std::vector<std::string>{"running", "late"});
}

TEST_CASE("queued requests that agree on dry_run and force coalesce into one sweep for all "
          "waiters, their roots united") {
  std::vector<std::string> answered;
  SweepQueue q;
  q.Add(Request(SweepTrigger::kStartup));
  REQUIRE(q.StartNext().has_value());

  SweepRequest overflow = Request(SweepTrigger::kOverflow, {"/rec/a"});
  overflow.waiters.push_back([&](const SweepOutcome&) { answered.push_back("overflow"); });
  q.Add(std::move(overflow));
  q.Add(Waiting(answered, "client1", {"/rec/b", "/rec/a"}));
  q.Add(Waiting(answered, "client2", {"/rec/c"}));
  CHECK(q.queued() == 1);

  q.Finished();
  auto merged = q.StartNext();
  REQUIRE(merged.has_value());
  CHECK(merged->trigger == SweepTrigger::kOverflow);  // the first trigger named is kept
  CHECK_FALSE(merged->spec.dry_run);
  CHECK(merged->roots == std::vector<std::string>{"/rec/a", "/rec/b", "/rec/c"});
  REQUIRE(merged->waiters.size() == 3);
  Answer(*merged);
  CHECK(answered == std::vector<std::string>{"overflow", "client1", "client2"});
  CHECK(q.queued() == 0);
}

TEST_CASE("a request merged into a queued one still hears the id of the sweep that serves it") {
  SweepQueue q;
  q.Add(Request(SweepTrigger::kStartup));
  REQUIRE(q.StartNext().has_value());

  std::vector<std::string> heard;
  auto started = [&heard](std::string name) {
    return [&heard, name](int64_t id) { heard.push_back(name + " " + std::to_string(id)); };
  };
  q.Add(SweepRequest::Manual({}, {"/rec/a"}, nullptr, started("first")));
  q.Add(SweepRequest::Manual({}, {"/rec/b"}, nullptr, started("second")));
  q.Add(Request(SweepTrigger::kPeriodic));  // none to call
  CHECK(q.queued() == 1);

  q.Finished();
  auto merged = q.StartNext();
  REQUIRE(merged.has_value());
  REQUIRE(merged->on_started.size() == 2);
  for (const auto& s : merged->on_started) s(42);
  CHECK(heard == std::vector<std::string>{"first 42", "second 42"});
}

TEST_CASE("an empty root list means every root and covers any list it coalesces with") {
  SECTION("all roots first, then some") {
    SweepQueue q;
    q.Add(Request(SweepTrigger::kPeriodic));
    q.Add(Request(SweepTrigger::kOverflow, {"/rec/a"}));
    auto next = q.StartNext();
    REQUIRE(next.has_value());
    CHECK(next->roots.empty());
    CHECK(q.queued() == 0);
  }
  SECTION("some roots first, then all") {
    SweepQueue q;
    q.Add(Request(SweepTrigger::kOverflow, {"/rec/a"}));
    q.Add(Request(SweepTrigger::kPeriodic));
    auto next = q.StartNext();
    REQUIRE(next.has_value());
    CHECK(next->roots.empty());
    CHECK(next->trigger == SweepTrigger::kOverflow);
    CHECK(q.queued() == 0);
  }
}

TEST_CASE("a dry-run request never merges with a real one, nor a forced with an unforced, and "
          "order is kept") {
  std::vector<std::string> answered;
  SweepQueue q;
  q.Add(Waiting(answered, "real1", {"/rec/a"}));
  q.Add(Waiting(answered, "dry1", {"/rec/b"}, DryRun()));
  SweepRequest forced = Request(SweepTrigger::kManual, {"/rec/c"}, /*dry_run=*/false, /*force=*/true);
  forced.waiters.push_back([&](const SweepOutcome&) { answered.push_back("forced"); });
  q.Add(std::move(forced));
  q.Add(Waiting(answered, "dry2", {"/rec/d"}, DryRun()));
  q.Add(Waiting(answered, "real2", {"/rec/e"}));
  CHECK(q.queued() == 3);

  auto a = q.StartNext();
  REQUIRE(a.has_value());
  CHECK_FALSE(a->spec.dry_run);
  CHECK_FALSE(a->spec.force);
  CHECK(a->roots == std::vector<std::string>{"/rec/a", "/rec/e"});
  Answer(*a);
  CHECK(answered == std::vector<std::string>{"real1", "real2"});
  q.Finished();

  auto b = q.StartNext();
  REQUIRE(b.has_value());
  CHECK(b->spec.dry_run);
  CHECK(b->roots == std::vector<std::string>{"/rec/b", "/rec/d"});
  Answer(*b);
  CHECK(answered == std::vector<std::string>{"real1", "real2", "dry1", "dry2"});
  q.Finished();

  auto c = q.StartNext();
  REQUIRE(c.has_value());
  CHECK(c->spec.force);
  CHECK_FALSE(c->spec.dry_run);
  CHECK(c->roots == std::vector<std::string>{"/rec/c"});
  Answer(*c);
  CHECK(answered.back() == "forced");
  q.Finished();

  CHECK_FALSE(q.StartNext().has_value());
}

TEST_CASE("requests with different per-sweep overrides never coalesce; equal ones do") {
  std::vector<std::string> answered;
  SweepQueue q;
  q.Add(Request(SweepTrigger::kStartup));
  REQUIRE(q.StartNext().has_value());

  SweepSpec young;
  young.min_age_s = 0;
  SweepSpec lenient;
  lenient.max_missing_ratio = 1.0;
  SweepSpec small;
  small.batch_size = 10;
  q.Add(Request(SweepTrigger::kPeriodic));  // the configured options
  q.Add(Waiting(answered, "young1", {}, young));
  q.Add(Waiting(answered, "lenient", {}, lenient));
  q.Add(Waiting(answered, "small", {}, small));
  q.Add(Waiting(answered, "young2", {"/rec/a"}, young));
  q.Add(Waiting(answered, "default", {"/rec/a"}));
  CHECK(q.queued() == 4);

  std::vector<SweepSpec> order;
  for (q.Finished(); auto next = q.StartNext(); q.Finished()) {
    order.push_back(next->spec);
    Answer(*next);
  }
  CHECK(order == std::vector<SweepSpec>{SweepSpec{}, young, lenient, small});
  // The periodic sweep (configured options) served the client that set none.
  CHECK(answered == std::vector<std::string>{"default", "young1", "young2", "lenient", "small"});
}

TEST_CASE("a spec's overrides replace the configured options; unset ones keep them") {
  SweepOptions options;
  options.min_age_s = 120;
  options.max_missing_ratio = 0.5;
  options.batch_size = 5000;
  SweepSpec spec;
  spec.relist = true;
  spec.min_age_s = 0;
  ApplySweepSpec(spec, options);
  CHECK(options.min_age_s == 0);
  CHECK(options.max_missing_ratio == 0.5);
  CHECK(options.batch_size == 5000);
  CHECK_FALSE(options.reuse_listings);
  CHECK_FALSE(options.dry_run);

  spec.max_missing_ratio = 1.0;
  spec.batch_size = 7;
  spec.dry_run = true;
  ApplySweepSpec(spec, options);
  CHECK(options.max_missing_ratio == 1.0);
  CHECK(options.batch_size == 7);
  CHECK(options.dry_run);
  CHECK(DescribeSweepSpec(spec) ==
        " (dry run, relisting every folder, min_age 0 s, max_missing_ratio 1, batch_size 7)");
  CHECK(DescribeSweepSpec(SweepSpec{}).empty());
}

}  // namespace
}  // namespace recsync::testing
