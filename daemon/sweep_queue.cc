#include "daemon/sweep_queue.h"

#include <algorithm>

namespace recsync {
namespace {

// The union of two root lists, where empty means "all".
std::vector<std::string> UniteRoots(const std::vector<std::string>& a,
                                    const std::vector<std::string>& b) {
  if (a.empty() || b.empty()) return {};
  std::vector<std::string> out = a;
  for (const auto& r : b) {
    if (std::find(out.begin(), out.end(), r) == out.end()) out.push_back(r);
  }
  return out;
}

}  // namespace

void SweepQueue::Add(SweepRequest request) {
  for (auto& queued : queue_) {
    if (queued.dry_run != request.dry_run || queued.force != request.force ||
        queued.relist != request.relist) {
      continue;
    }
    queued.roots = UniteRoots(queued.roots, request.roots);
    for (auto& w : request.waiters) queued.waiters.push_back(std::move(w));
    return;
  }
  queue_.push_back(std::move(request));
}

std::optional<SweepRequest> SweepQueue::StartNext() {
  if (running_ || queue_.empty()) return std::nullopt;
  SweepRequest next = std::move(queue_.front());
  queue_.pop_front();
  running_ = true;
  return next;
}

}  // namespace recsync
