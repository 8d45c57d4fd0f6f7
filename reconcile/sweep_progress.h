// SweepProgress: how far a running sweep has got, for the fronts that show it
// while it runs (`recsync status`, the HTTP API's progress bar).
//
// The sweep's thread publishes its figures (SweepRun: at each phase change,
// every few thousand rows while they stream, and after each batch it
// archives) and any thread reads Snapshot(). Each figure is a relaxed atomic
// store: publishing costs a few stores every few thousand rows, never one
// per row. A snapshot is a set of recent figures, each true at some moment,
// not one instant: rows_seen may come from a later publish than missing.
//
// Thread rules: Publish() from the sweep's thread only; Snapshot() from any
// thread. The object must outlive the sweep (its owner keeps it while the
// sweep runs, as SweepOptions::progress says).
#pragma once

#include <atomic>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

namespace recsync {

// What the sweep is doing, in the order it does it (reconcile/sweep_run.h).
enum class SweepPhase {
  kStarting,   // recorded in the journal, crash leftovers settled, roots assessed
  kChecking,   // the rows streamed and their files checked (batches of a root
               // the guards can no longer refuse may be archived meanwhile)
  kArchiving,  // the missing rows checked again and archived, batch by batch
  kFinishing,  // the roots' baselines and the sweep's record written
};

constexpr std::string_view ToText(SweepPhase phase) {
  switch (phase) {
    case SweepPhase::kStarting: return "starting";
    case SweepPhase::kChecking: return "checking";
    case SweepPhase::kArchiving: return "archiving";
    case SweepPhase::kFinishing: return "finishing";
  }
  return "unknown";
}

struct SweepProgressSnapshot {
  SweepPhase phase = SweepPhase::kStarting;
  int64_t sweep_id = 0;   // the journal's id; 0 until the sweep has one
  int64_t rows_seen = 0;  // active rows read from the catalog so far
  // About how many active rows the catalog holds: while the rows stream, the
  // rows seen plus those the ids still to read would hold at the density of
  // active rows among the ids read so far (ids of archived rows are gaps);
  // exactly rows_seen once the stream ended; 0 before the first estimate.
  int64_t rows_expected = 0;
  int64_t folders_listed = 0;  // directory listings taken so far
  int64_t missing = 0;         // rows whose file was found gone so far
  int64_t archived = 0;        // rows archived so far (none in a dry run)
  int64_t would_archive = 0;   // a dry run: rows that would be archived so far

  bool operator==(const SweepProgressSnapshot&) const = default;
};

class SweepProgress {
 public:
  // Makes `figures` the sweep's progress. The sweep's thread.
  void Publish(const SweepProgressSnapshot& figures);
  // The figures last published. Any thread.
  SweepProgressSnapshot Snapshot() const;

 private:
  std::atomic<SweepPhase> phase_{SweepPhase::kStarting};
  std::atomic<int64_t> sweep_id_{0}, rows_seen_{0}, rows_expected_{0}, folders_listed_{0},
      missing_{0}, archived_{0}, would_archive_{0};
};

// {"rows_seen", "rows_expected", "folders_listed", "missing", "archived",
//  "would_archive"}: the progress object of the API (the phase is apart:
// ToText(phase)).
nlohmann::json SweepProgressToJson(const SweepProgressSnapshot& progress);

}  // namespace recsync
