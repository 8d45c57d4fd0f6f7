// SweepQueue: which sweep runs next. One sweep runs at a time; requests that
// arrive meanwhile wait, and requests that ask for the same thing coalesce
// into one follow-up, so a storm of overflows or clients costs one sweep.
// A request merged into another keeps its callbacks: its waiters get the
// outcome and its on_started the id of the one sweep that serves both.
//
// Two requests coalesce when their SweepSpecs are equal (dry_run, force,
// relist and every per-sweep override: a client's --min-age 0 must not be
// served by a sweep with the configured min_age); their roots are united
// (an empty list means every root, which covers any other list) and their
// waiters are all answered by the one sweep. The first trigger named is
// kept. Loop thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "reconcile/sweep.h"
#include "reconcile/sweep_trigger.h"

namespace recsync {

// How a sweep ended: its report, or the error that stopped it. A sweep an
// operator cancelled ended Ok, with report.cancelled.
struct SweepOutcome {
  Status status;
  SweepReport report;
};

// The sweep running now, as the fronts show it (SweepScheduler::running()).
struct RunningSweep {
  int64_t id = 0;  // its journal id; 0 until it has one
  SweepTrigger trigger = SweepTrigger::kManual;
  bool dry_run = false;
  bool cancelling = false;  // an operator asked to cancel it
  SweepProgressSnapshot progress;
};

// What one sweep is asked to do beyond what the settings configure. Unset
// overrides take the daemon's settings as they are when the sweep starts.
struct SweepSpec {
  bool dry_run = false;
  bool force = false;
  bool relist = false;  // SweepOptions::reuse_listings = false
  std::optional<int64_t> min_age_s;
  std::optional<double> max_missing_ratio;
  std::optional<int64_t> batch_size;

  bool operator==(const SweepSpec&) const = default;
};

// Puts `spec` over `options` (made from the settings by SweepOptionsFor).
void ApplySweepSpec(const SweepSpec& spec, SweepOptions& options);
// The spec's flags and overrides for the log: "" when it has none, else
// e.g. " (dry run, min_age 0 s, batch_size 100)".
std::string DescribeSweepSpec(const SweepSpec& spec);

class SweepRequest {
 public:
  using Waiter = std::function<void(const SweepOutcome&)>;
  // Called with the journal id of the sweep that serves the request, on the
  // loop, once it has one: before its waiters, and never when the sweep
  // failed before the journal gave it an id (then only the waiters hear).
  using Started = std::function<void(int64_t sweep_id)>;

  // A sweep the daemon starts itself (startup, periodic, overflow, pressure,
  // online): of `roots` (empty: every root), as the settings configure it.
  static SweepRequest Internal(SweepTrigger trigger, std::vector<std::string> roots = {});
  // A client's sweep (`recsync sweep`, SweepTrigger::kManual) of `roots` (empty:
  // every root, else daemon roots as spelled in its list), `waiter` getting
  // the outcome and `on_started` (if any) the sweep's id.
  static SweepRequest Manual(SweepSpec spec, std::vector<std::string> roots, Waiter waiter,
                             Started on_started = nullptr);

  SweepTrigger trigger = SweepTrigger::kManual;
  SweepSpec spec;
  std::vector<std::string> roots;  // empty: every root
  // Called with the outcome once the sweep that served the request ends.
  std::vector<Waiter> waiters;
  std::vector<Started> on_started;

 private:
  SweepRequest() = default;
};

class SweepQueue {
 public:
  // Queues `request`, merging it into a queued one that agrees with it.
  void Add(SweepRequest request);
  // The next request to run, when none is running; marks it running.
  std::optional<SweepRequest> StartNext();
  // The running sweep ended.
  void Finished() { running_ = false; }
  bool running() const { return running_; }
  size_t queued() const { return queue_.size(); }

 private:
  std::deque<SweepRequest> queue_;
  bool running_ = false;
};

}  // namespace recsync
