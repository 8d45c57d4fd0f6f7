#include "daemon/sync_tracker.h"

#include <algorithm>
#include <vector>

#include "common/path.h"
#include "common/text.h"

namespace recsync {
namespace {

// Why `e`, pending, is not applied yet.
std::string PendingReason(const EventRecord& e, const std::map<std::string, std::string>& offline) {
  for (const auto& [root, why] : offline) {
    if (IsUnder(e.path, root)) {
      return "held: storage " + PrintableText(root) + " is offline" +
             (why.empty() ? "" : ": " + why);
    }
  }
  if (e.kind == EventKind::kOverflow) {
    return "the kernel's event queue overflowed; settled by the next sweep of every root";
  }
  if (e.kind == EventKind::kRootGone) {
    return "storage " + PrintableText(e.path) + " went offline; settled once it is back and swept";
  }
  if (!e.last_error.empty()) return e.last_error;
  return "waiting to be applied";
}

nlohmann::json Tally(int64_t count, const std::optional<EventRecord>& latest,
                     const std::string& reason) {
  nlohmann::json out = {{"count", count}};
  if (count > 0 && latest) {
    out["latest_seq"] = latest->seq;
    out["reason"] = reason;
  }
  return out;
}

}  // namespace

nlohmann::json SyncAnswer(int64_t up_to_seq, const UnsettledEvents& unsettled,
                          const std::map<std::string, std::string>& offline,
                          const std::map<std::string, std::string>& not_covered) {
  const auto& f = unsettled.latest_failed;
  const auto& p = unsettled.latest_pending;
  const std::string failed_reason =
      f ? (f->last_error.empty() ? "no error was recorded" : f->last_error) : "";
  nlohmann::json answer = {
      {"ok", true},
      {"up_to_seq", up_to_seq},
      {"failed", Tally(unsettled.failed, f, failed_reason)},
      {"pending", Tally(unsettled.pending, p, p ? PendingReason(*p, offline) : "")}};
  if (!not_covered.empty()) {
    nlohmann::json roots = nlohmann::json::array();
    for (const auto& [root, why] : not_covered) roots.push_back({{"root", root}, {"reason", why}});
    answer["not_covered"] = std::move(roots);
  }
  return answer;
}

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

void SyncTracker::Reopened(int64_t seq) { caught_up_ = std::min(caught_up_, seq - 1); }

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
  const int64_t up_to_seq = *s.seq_target;
  syncs_.erase(it);
  if (done) done(up_to_seq);
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
