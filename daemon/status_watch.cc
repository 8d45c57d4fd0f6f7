#include "daemon/status_watch.h"

#include <algorithm>

namespace recsync {

namespace {

// The status as compared: without uptime_s, which changes by itself, nor the
// running sweep's phase and progress, which its thread moves on while the
// loop sleeps: a waiter hears that a sweep started, is being cancelled or
// ended, not of each step (the HTTP stream sends those).
nlohmann::json Comparable(nlohmann::json status) {
  if (!status.is_object()) return status;
  status.erase("uptime_s");
  auto sweep = status.find("sweep");
  if (sweep != status.end() && sweep->is_object()) {
    auto current = sweep->find("current");
    if (current != sweep->end() && current->is_object()) {
      current->erase("phase");
      current->erase("progress");
    }
  }
  return status;
}

}  // namespace

bool StatusChanged(const nlohmann::json& seen, const nlohmann::json& now) {
  return Comparable(seen) != Comparable(now);
}

StatusWatch::StatusWatch(uv_loop_t* loop, Snapshot snapshot)
    : loop_(loop), snapshot_(std::move(snapshot)), check_(new uv_check_t), timer_(new uv_timer_t) {
  uv_check_init(loop_, check_);
  check_->data = this;
  uv_timer_init(loop_, timer_);
  timer_->data = this;
}

StatusWatch::~StatusWatch() {
  check_->data = nullptr;
  timer_->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(check_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_check_t*>(h); });
  uv_close(reinterpret_cast<uv_handle_t*>(timer_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
}

void StatusWatch::Wait(const nlohmann::json& seen, std::chrono::milliseconds wait,
                       ControlServer::Reply reply) {
  // Settle() answers at once when the status already differs or the wait is
  // 0, and otherwise arms the handles.
  uv_update_time(loop_);
  const uint64_t waited = wait.count() > 0 ? static_cast<uint64_t>(wait.count()) : 0;
  waiters_.push_back({Comparable(seen), uv_now(loop_) + waited, std::move(reply)});
  Settle();
}

void StatusWatch::OnCheck(uv_check_t* handle) {
  if (auto* self = static_cast<StatusWatch*>(handle->data)) self->Settle();
}

void StatusWatch::OnTimer(uv_timer_t* handle) {
  if (auto* self = static_cast<StatusWatch*>(handle->data)) self->Settle();
}

void StatusWatch::Settle() {
  if (!waiters_.empty()) {
    const nlohmann::json now = snapshot_();
    const nlohmann::json compared = Comparable(now);
    const uint64_t now_ms = uv_now(loop_);
    // Replies go out after the list is updated: a reply may run arbitrary
    // code of the control server, never this object's.
    std::vector<ControlServer::Reply> due;
    auto kept = std::remove_if(waiters_.begin(), waiters_.end(), [&](Waiter& w) {
      if (w.deadline_ms > now_ms && w.seen == compared) return false;
      due.push_back(std::move(w.reply));
      return true;
    });
    waiters_.erase(kept, waiters_.end());
    for (auto& reply : due) reply(now);
  }
  if (waiters_.empty()) {
    uv_check_stop(check_);
    uv_timer_stop(timer_);
    return;
  }
  uv_check_start(check_, &StatusWatch::OnCheck);
  uint64_t earliest = waiters_.front().deadline_ms;
  for (const auto& w : waiters_) earliest = std::min(earliest, w.deadline_ms);
  const uint64_t now_ms = uv_now(loop_);
  uv_timer_start(timer_, &StatusWatch::OnTimer, earliest > now_ms ? earliest - now_ms : 0, 0);
}

}  // namespace recsync
