// The event applier over a real recordings tree, a real MariaDB database and
// a real journal, with a clock that moves only when told (no test sleeps).
#pragma once

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "reconcile/event_applier.h"
#include "tests/reconcile/sweep_fixture.h"

namespace recsync::testing {

struct ApplierFixture : SweepFixture {
  static constexpr int64_t kNow = 1800000000000;  // ms; any fixed instant

  // Appends one event stamped `age_ms` before now and returns its seq.
  int64_t Add(EventKind kind, const std::string& path, uint32_t cookie = 0, int64_t age_ms = 0,
              bool is_dir = false) {
    NewEvent e = NewEvent::Of(kind, now.NowMs() - age_ms, path);
    e.cookie = cookie;
    e.is_dir = is_dir;
    auto seqs = journal->AppendEvents({e});
    INFO(seqs.status().message());
    REQUIRE(seqs.ok());
    return seqs->at(0);
  }

  EventRecord Get(int64_t seq) {
    auto e = journal->GetEvent(seq);
    INFO(e.status().message());
    REQUIRE(e.ok());
    REQUIRE(e->has_value());
    return **e;
  }

  // Options for a test whose clock does not move: deletions apply at once
  // (settling is tested on its own, with the clock advanced).
  static ApplierOptions Options() {
    ApplierOptions options;
    options.settle = std::chrono::milliseconds(0);
    return options;
  }

  EventApplier Applier(ApplierOptions options = Options(),
                       std::shared_ptr<DiskInterface> disk = MakeRealDisk()) {
    return EventApplier(*catalog, *journal, resolver, std::move(disk), now, std::move(options));
  }

  static ApplyStats Pass(EventApplier& applier, int64_t after_seq = 0) {
    auto stats = applier.ApplyPending(after_seq);
    INFO(stats.status().message());
    REQUIRE(stats.ok());
    return *stats;
  }

  std::vector<ActionRecord> Actions() {
    auto actions = journal->ListActions({});
    REQUIRE(actions.ok());
    return *actions;
  }

  // Renames on disk, making the target's parent first.
  static void Rename(const std::string& from, const std::string& to) {
    MakeDirs(to.substr(0, to.rfind('/')));
    REQUIRE(std::rename(from.c_str(), to.c_str()) == 0);
  }

  // Bluecherry 3.1.14's index on Media(filepath): the resolver then asks the
  // catalog instead of keeping its own map. Call before the first pass.
  void AddFilepathIndex() {
    db.ExecFile(RECSYNC_SOURCE_DIR "/scripts/bluecherry-filepath-index.sql");
  }

  ManualClock now{kNow};
  std::unique_ptr<Catalog> catalog = Connect(db.config());
  std::unique_ptr<Journal> journal = OpenJournal();
  PathResolver resolver{*catalog};
};

}  // namespace recsync::testing
