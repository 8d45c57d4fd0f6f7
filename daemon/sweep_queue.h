// SweepQueue: which sweep runs next. One sweep runs at a time; requests that
// arrive meanwhile wait, and requests that ask for the same thing coalesce
// into one follow-up, so a storm of overflows or clients costs one sweep.
//
// Two requests coalesce when they agree on dry_run, force and relist; their roots are
// united (an empty list means every root, which covers any other list) and
// their waiters are all answered by the one sweep. The first trigger named
// is kept. Loop thread only.
#pragma once

#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "reconcile/sweep.h"

namespace recsync {

// How a sweep ended: its report, or the error that stopped it.
struct SweepOutcome {
  Status status;
  SweepReport report;
};

struct SweepRequest {
  std::string trigger;  // startup | periodic | manual | overflow | pressure | online
  bool dry_run = false;
  bool force = false;
  std::vector<std::string> roots;  // empty: every root
  // Called with the outcome once the sweep that served the request ends.
  std::vector<std::function<void(const SweepOutcome&)>> waiters;
  bool relist = false;  // SweepOptions::reuse_listings = false
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
