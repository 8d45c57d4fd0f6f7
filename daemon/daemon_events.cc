// The daemon's watcher events: turned into journal events (committed by
// EventIngest before anything acts on them), cookies for syncs, roots gone,
// and overflows, which re-arm every root and end in a sweep.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstring>

#include "daemon/daemon.h"
#include "daemon/storage_probe.h"

namespace recsync {
namespace {

// A file in Bluecherry's layout (<root>/YYYY/MM/DD/<device>/<file>) that is
// not a snapshot sidecar.
bool IsRecordingPath(const std::string& path) {
  return InferRootView(path).has_value() && !path.ends_with(".jpg");
}

}  // namespace

void Daemon::OnWatchEvents(std::vector<WatchEvent> events) {
  if (stopping_) return;
  std::vector<NewEvent> batch;
  bool overflow = false;
  for (auto& e : events) {
    using K = WatchEvent::Kind;
    switch (e.kind) {
      case K::kDeleted:
        batch.push_back(NewEvent::Of(e.kind, e.time_ms, std::move(e.path)));
        break;
      case K::kMovedFrom:
      case K::kMovedTo:
        batch.push_back(
            NewEvent::Move(e.kind, e.time_ms, std::move(e.path), e.move_cookie, e.is_dir));
        break;
      case K::kOverflow:
      case K::kUnknownWatch:
        batch.push_back(NewEvent::Of(K::kOverflow, e.time_ms, ""));
        overflow = true;
        break;
      case K::kRootGone:
        batch.push_back(NewEvent::Of(e.kind, e.time_ms, e.path));
        monitor_->MarkGone(e.root.empty() ? e.path : e.root,
                           "its directory was removed, moved away or unmounted");
        break;
      case K::kCookie:
        // Everything read before this cookie is in `batch` or already submitted.
        OnCookie(e, events_.received + static_cast<int64_t>(batch.size()));
        break;
      case K::kCreated:
        // Only a recording (in Bluecherry's layout; not a .jpg sidecar) can
        // bring back a row recsync archived; other files are not journaled.
        if (IsRecordingPath(e.path)) {
          batch.push_back(NewEvent::Of(e.kind, e.time_ms, std::move(e.path)));
        }
        break;
      case K::kDirCreated:
      case K::kDirDeleted:
        spdlog::debug("{} {}", ToText(e.kind), e.path);
        break;
    }
  }
  events_.received += static_cast<int64_t>(batch.size());
  ingest_->Submit(std::move(batch));
  if (overflow) {
    ++overflows_;
    spdlog::warn("the kernel's event queue overflowed (raise fs.{}.max_queued_events if "
                 "this recurs); re-arming watches and sweeping",
                 watcher_ ? watcher_->backend() : "inotify");
    RearmAll();
  }
}

void Daemon::OnCookie(const WatchEvent& e, int64_t submitted_then) {
  const auto slash = e.path.rfind('/');
  const std::string name = e.path.substr(slash + 1 + std::strlen(kCookiePrefix));
  const std::string mine = std::to_string(::getpid()) + "-";
  if (!name.starts_with(mine)) return;  // another process's
  const uint64_t id = std::strtoull(name.c_str() + mine.size(), nullptr, 10);
  syncs_->Seen(id, e.root, submitted_then);
  // On the root's lane: a root that hung since costs no thread.
  const auto limit = std::chrono::seconds(settings_.probe_timeout);
  Status posted = lanes_->Post(e.root, LanePurpose::kProbe, limit, [path = e.path] {
    if (auto st = RemoveCookie(path); !st.ok()) spdlog::warn("{}", st.message());
  });
  if (!posted.ok()) spdlog::warn("sync cookie {} is left: {}", e.path, posted.message());
}

void Daemon::OnCommitted(int64_t total, int64_t last_seq) {
  events_.committed = total;
  journal_error_.clear();
  if (reconciler_) reconciler_->Notify(last_seq);
  syncs_->Committed(total, last_seq);
  MaybeSweepAfterOverflow();
}

void Daemon::RearmAll() {
  // The sweep must know every deletion read before the overflow (its ratio
  // guard counts them as explained): it waits until they are committed, as
  // well as for the roots to be armed again.
  overflow_sweep_after_ = events_.received;
  overflow_rearmed_ = false;
  monitor_->RearmAll([this] {
    overflow_rearmed_ = true;
    MaybeSweepAfterOverflow();
  });
}

void Daemon::MaybeSweepAfterOverflow() {
  if (!overflow_sweep_after_ || !overflow_rearmed_ || events_.committed < *overflow_sweep_after_) {
    return;
  }
  overflow_sweep_after_.reset();
  if (!stopping_) sweeps_->Request(SweepRequest::Internal(SweepTrigger::kOverflow));
}

}  // namespace recsync
