// When a sweep may archive a root's missing rows before its check ends
// (sweep_check.h): only when no way the rows still to come can turn out
// would make the guards refuse the root at the end.
#include <catch2/catch.hpp>
#include <spdlog/spdlog.h>

#include <random>

#include "reconcile/sweep_check.h"

using namespace recsync;
using namespace recsync::sweep_internal;

namespace {

// The guards log each refusal; thousands of them would bury the test's output.
struct QuietLog {
  QuietLog() : was(spdlog::get_level()) { spdlog::set_level(spdlog::level::off); }
  ~QuietLog() { spdlog::set_level(was); }
  spdlog::level::level_enum was;
};

// Whether the guards refuse a root that ended with `report`'s figures.
bool Refused(const RootReport& report, const SweepOptions& opt) {
  RootWork w;
  w.report = report;
  w.report.state = RootState::kOnline;
  ApplyGuards(w, opt);
  return w.report.refused;
}

}  // namespace

TEST_CASE("the ratio guard is settled exactly when no outcome of the undecided rows trips it") {
  QuietLog quiet;
  std::mt19937 rng(20261125);
  for (int round = 0; round < 3000; ++round) {
    RootReport r;
    r.rows = 1000;
    r.checked = static_cast<int64_t>(rng() % 30);
    r.unknown = static_cast<int64_t>(rng() % static_cast<uint32_t>(r.checked + 1));
    r.missing = static_cast<int64_t>(rng() % static_cast<uint32_t>(r.checked - r.unknown + 1));
    const int64_t undecided = static_cast<int64_t>(rng() % 9);
    SweepOptions opt;
    opt.max_missing_ratio = static_cast<double>(rng() % 11) / 10;
    // Each undecided row ends missing, unknown, present, or never checked
    // (young, under another root, or the stream ended sooner).
    bool can_trip = false;
    for (int64_t x = 0; x <= undecided; ++x) {
      for (int64_t y = 0; x + y <= undecided; ++y) {
        for (int64_t z = 0; x + y + z <= undecided; ++z) {
          RootReport end = r;
          end.checked += x + y + z;
          end.missing += x;
          end.unknown += y;
          can_trip |= Refused(end, opt);
        }
      }
    }
    INFO("checked " << r.checked << " unknown " << r.unknown << " missing " << r.missing
                    << " undecided " << undecided << " ratio " << opt.max_missing_ratio);
    REQUIRE(RatioGuardSettled(r, undecided, opt.max_missing_ratio) == !can_trip);
  }
}

TEST_CASE("archiving early needs an online root the suspect guard cannot refuse") {
  RootWork w;
  w.report.state = RootState::kOnline;
  w.report.checked = 100;
  w.report.missing = 10;
  SweepOptions opt;  // max_missing_ratio 0.5
  CHECK(MayArchiveEarly(w, 50, opt));
  CHECK_FALSE(MayArchiveEarly(w, 90, opt));  // 100 missing of 190 would be refused

  // Rows waiting for a lister are as undecided as rows still to stream.
  for (int i = 0; i < 40; ++i) w.pending[0].Add(i + 1, 0, "/r/2026/11/23/000001/x.mp4", 0);
  CHECK_FALSE(MayArchiveEarly(w, 50, opt));

  opt.force = true;  // the ratio guard does not apply
  CHECK(MayArchiveEarly(w, 1000000, opt));

  w.status.empty = true;  // suspect, but forced
  CHECK(MayArchiveEarly(w, 0, opt));
  opt.force = false;
  CHECK_FALSE(MayArchiveEarly(w, 0, opt));

  w.status.empty = false;
  w.report.state = RootState::kOffline;
  opt.force = true;
  CHECK_FALSE(MayArchiveEarly(w, 0, opt));
}
