// SyncTracker: `recsync sync`, watchman's cookie protocol carried through
// the journal and the reconciler.
//
// A sync is answered once every filesystem event that happened before it
// was (1) read from the kernel: a cookie file created in each online root
// has come back as an event, and inotify keeps order on one fd; (2)
// committed to the journal: the ingest has committed as many events as the
// loop had submitted when the last cookie came back; and (3) settled: the
// reconciler has caught up to the seq of that commit, the sync point.
// Caught up means settled or held: what did not end applied or ignored up to
// the sync point is what SyncAnswer() reports, so `recsync sync` can say so
// and exit non-zero. Loop thread only (SyncAnswer: any thread).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>

#include "journal/journal.h"

namespace recsync {

// The answer to a sync whose point is `up_to_seq`:
//   {"ok": true, "up_to_seq": N,
//    "failed":  {"count": F, "latest_seq": S, "reason": "..."},
//    "pending": {"count": P, "latest_seq": S, "reason": "..."}}
// (latest_seq and reason only when count > 0). The reason is the latest
// event's: its last error for a failed one; for a pending one, "held" with
// the root's reason when it lies under a root in `offline` (root -> why),
// else what it waits for. Roots the sync could not cover (offline, not
// watched, or its cookie could not be made: root -> why) are listed as
//   "not_covered": [{"root": "...", "reason": "..."}]
// when there are any: events under them may not have been read.
nlohmann::json SyncAnswer(int64_t up_to_seq, const UnsettledEvents& unsettled,
                          const std::map<std::string, std::string>& offline,
                          const std::map<std::string, std::string>& not_covered = {});

class SyncTracker {
 public:
  // Runs with the sync point: the seq every event before the sync is at or below.
  using Done = std::function<void(int64_t up_to_seq)>;

  // The journal's last seq at start-up: a sync must wait for the replay.
  explicit SyncTracker(int64_t last_seq) : last_seq_(last_seq) {}

  // Starts a sync; `done` runs (once) when it is complete. Returns its id.
  uint64_t Begin(Done done);
  // The cookies of sync `id` were created in `roots` (possibly none).
  void Expect(uint64_t id, std::set<std::string> roots, int64_t submitted);
  // The cookie of sync `id` came back from `root`'s watch.
  void Seen(uint64_t id, const std::string& root, int64_t submitted);
  // The ingest has committed `total` events, the last with seq `last_seq`.
  void Committed(int64_t total, int64_t last_seq);
  // Every event up to `seq` is settled (or held for an offline root).
  void CaughtUp(int64_t seq);
  // Settled events from `seq` on are pending again (`recsync journal
  // retry`): a sync must wait for the reconciler to catch up once more
  // rather than take its earlier catching up for theirs. (A round of the
  // reconciler that began before the retry and reports after it can still
  // answer such a sync; the retried events then count as pending in its
  // answer, never as applied.)
  void Reopened(int64_t seq);
  // Drops a sync without answering it.
  void Cancel(uint64_t id);

  size_t active() const { return syncs_.size(); }

 private:
  struct Sync {
    Done done;
    std::optional<std::set<std::string>> expected;
    std::set<std::string> seen;
    std::optional<int64_t> ingest_target;  // events submitted before the last cookie
    std::optional<int64_t> seq_target;
  };
  void Advance(uint64_t id, int64_t submitted);
  void AdvanceAll();

  uint64_t next_id_ = 1;
  int64_t committed_ = 0;
  int64_t last_seq_ = 0;
  int64_t caught_up_ = -1;
  std::map<uint64_t, Sync> syncs_;
};

}  // namespace recsync
