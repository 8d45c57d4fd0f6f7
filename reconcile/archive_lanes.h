// ArchiveLanes: the connections a sweep archives its batches on, in
// parallel; internal to reconcile/sweep*.cc.
//
// A lane is a catalog + journal connection pair with at most one batch in
// flight. Batches touch disjoint rows, and each commits (with its journal
// intent, ArchiveAudited) on its own, so a crash still leaves whole
// batches. Lanes take batches in turn. A batch's outcome is collected
// before its lane takes the next one, or by CollectAll(): its rows go into
// the report (SweepReport::List) and are counted under their root.
//
// Threads: owned by the sweep's thread. Each batch runs on a thread of its
// own (AsyncOrInline) that uses only its lane's connections and its job,
// which stay alive, and untouched by the sweep's thread, until collected.
#pragma once

#include <cstdint>
#include <future>
#include <map>
#include <memory>
#include <vector>

#include "catalog/catalog.h"
#include "common/clock.h"
#include "journal/journal.h"
#include "reconcile/sweep.h"
#include "reconcile/sweep_check.h"

namespace recsync::sweep_internal {

// One batch being archived on a lane: its rows and actions live here, not on
// the stack, while the lane's thread reads them.
struct ArchiveJob {
  RootWork* root;
  bool early;  // sent while the rows still streamed
  std::vector<MediaRow> gone;
  std::map<int64_t, ActionRecord> actions;
  std::future<Result<std::vector<int64_t>>> result;
};

class ArchiveLanes {
 public:
  struct Lane {
    Catalog* catalog;
    Journal* journal;
    std::unique_ptr<ArchiveJob> job;  // the batch in flight on this lane
  };

  // `catalog` and `journal` are the sweep's own connections: AddMain() makes
  // them a lane; Open() opens further ones like them. `report` receives the
  // archived rows.
  ArchiveLanes(Catalog& catalog, Journal& journal, const Clock& clock, SweepReport& report);

  bool empty() const { return lanes_.empty(); }
  size_t size() const { return lanes_.size(); }

  // Makes the sweep's own connections a lane (once they are free).
  void AddMain();
  // Opens a lane on connections of its own; false when it cannot.
  bool Open();

  // The lane to send the next batch to: with `wait`, the next in turn
  // (Send then waits for its batch in flight); without, the next free one,
  // or nullptr when none is.
  Lane* Next(bool wait);
  // Sends `job` on `lane`, after collecting the lane's batch in flight. Not
  // sent, and that batch's error returned, when it failed.
  Status Send(Lane& lane, std::unique_ptr<ArchiveJob> job);
  // Collects every batch in flight, the oldest first; the first error.
  Status CollectAll();

 private:
  // Collects `lane`'s batch in flight, if any.
  Status Collect(Lane& lane);

  Catalog& catalog_;
  Journal& journal_;
  const Clock& clock_;
  SweepReport& report_;
  std::vector<std::unique_ptr<Catalog>> catalogs_;  // of the lanes opened
  std::vector<std::unique_ptr<Journal>> journals_;
  std::vector<Lane> lanes_;
  size_t next_ = 0;  // batches go to the lanes in turn
  int64_t total_archived_ = 0;
};

}  // namespace recsync::sweep_internal
