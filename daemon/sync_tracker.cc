#include "daemon/sync_tracker.h"

#include <algorithm>
#include <vector>

namespace recsync {

uint64_t SyncTracker::Begin(Done done) {
  const uint64_t id = next_id_++;
  syncs_[id].done = std::move(done);
  return id;
}

void SyncTracker::Expect(uint64_t id, std::set<std::string> roots, int64_t submitted) {
  auto it = syncs_.find(id);
  if (it == syncs_.end()) return;
  it->second.expected = std::move(roots);
  Advance(id, submitted);
}

void SyncTracker::Seen(uint64_t id, const std::string& root, int64_t submitted) {
  auto it = syncs_.find(id);
  if (it == syncs_.end()) return;
  it->second.seen.insert(root);
  Advance(id, submitted);
}

void SyncTracker::Committed(int64_t total, int64_t last_seq) {
  committed_ = std::max(committed_, total);
  last_seq_ = std::max(last_seq_, last_seq);
  AdvanceAll();
}

void SyncTracker::CaughtUp(int64_t seq) {
  caught_up_ = std::max(caught_up_, seq);
  AdvanceAll();
}

void SyncTracker::Cancel(uint64_t id) { syncs_.erase(id); }

void SyncTracker::Advance(uint64_t id, int64_t submitted) {
  auto it = syncs_.find(id);
  if (it == syncs_.end()) return;
  Sync& s = it->second;
  if (!s.ingest_target) {
    if (!s.expected) return;
    for (const auto& root : *s.expected) {
      if (!s.seen.count(root)) return;
    }
    s.ingest_target = submitted;
  }
  if (!s.seq_target) {
    if (committed_ < *s.ingest_target) return;
    s.seq_target = last_seq_;
  }
  if (caught_up_ < *s.seq_target) return;
  Done done = std::move(s.done);
  syncs_.erase(it);
  if (done) done();
}

void SyncTracker::AdvanceAll() {
  std::vector<uint64_t> ids;
  for (const auto& [id, s] : syncs_) {
    if (s.ingest_target) ids.push_back(id);
  }
  // Syncs past their cookie stage no longer need the submitted count.
  for (uint64_t id : ids) Advance(id, 0);
}

}  // namespace recsync
