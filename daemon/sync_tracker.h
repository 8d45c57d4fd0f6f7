// SyncTracker: `recsync sync`, watchman's cookie protocol carried through
// the journal and the reconciler.
//
// A sync is answered once every filesystem event that happened before it
// was (1) read from the kernel: a cookie file created in each online root
// has come back as an event, and inotify keeps order on one fd; (2)
// committed to the journal: the ingest has committed as many events as the
// loop had submitted when the last cookie came back; and (3) settled: the
// reconciler has caught up to the seq of that commit. Loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>

namespace recsync {

class SyncTracker {
 public:
  using Done = std::function<void()>;

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
