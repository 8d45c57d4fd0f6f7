#include "daemon/sweep_queue.h"

#include <fmt/format.h>

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

void ApplySweepSpec(const SweepSpec& spec, SweepOptions& options) {
  options.dry_run = spec.dry_run;
  options.force = spec.force;
  options.reuse_listings = !spec.relist;
  if (spec.min_age_s) options.min_age_s = *spec.min_age_s;
  if (spec.max_missing_ratio) options.max_missing_ratio = *spec.max_missing_ratio;
  if (spec.batch_size) options.batch_size = *spec.batch_size;
}

std::string DescribeSweepSpec(const SweepSpec& spec) {
  std::vector<std::string> parts;
  if (spec.dry_run) parts.push_back("dry run");
  if (spec.force) parts.push_back("forced");
  if (spec.relist) parts.push_back("relisting every folder");
  if (spec.min_age_s) parts.push_back(fmt::format("min_age {} s", *spec.min_age_s));
  if (spec.max_missing_ratio) {
    parts.push_back(fmt::format("max_missing_ratio {}", *spec.max_missing_ratio));
  }
  if (spec.batch_size) parts.push_back(fmt::format("batch_size {}", *spec.batch_size));
  if (parts.empty()) return "";
  return fmt::format(" ({})", fmt::join(parts, ", "));
}

SweepRequest SweepRequest::Internal(SweepTrigger trigger, std::vector<std::string> roots) {
  SweepRequest r;
  r.trigger = trigger;
  r.roots = std::move(roots);
  return r;
}

SweepRequest SweepRequest::Manual(SweepSpec spec, std::vector<std::string> roots, Waiter waiter,
                                  Started on_started) {
  SweepRequest r;
  r.trigger = SweepTrigger::kManual;
  r.spec = std::move(spec);
  r.roots = std::move(roots);
  if (waiter) r.waiters.push_back(std::move(waiter));
  if (on_started) r.on_started.push_back(std::move(on_started));
  return r;
}

void SweepQueue::Add(SweepRequest request) {
  for (auto& queued : queue_) {
    if (!(queued.spec == request.spec)) continue;
    queued.roots = UniteRoots(queued.roots, request.roots);
    for (auto& w : request.waiters) queued.waiters.push_back(std::move(w));
    for (auto& s : request.on_started) queued.on_started.push_back(std::move(s));
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
