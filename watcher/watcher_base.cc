#include "watcher/watcher_base.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/path.h"
#include "common/text.h"

namespace recsync {
namespace {

constexpr int kMaxReadsPerWakeup = 8;  // then let the loop serve other handles

const Clock* OrSystemClock(const Clock* clock) {
  static const SystemClock system_clock;
  return clock != nullptr ? clock : &system_clock;
}

}  // namespace

WatcherBase::WatcherBase(Sink sink, const Clock* clock, UniqueFd fd, size_t read_buffer)
    : sink_(std::move(sink)),
      clock_(OrSystemClock(clock)),
      fd_(std::move(fd)),
      buf_(read_buffer) {}

WatcherBase::~WatcherBase() {
  if (poll_ == nullptr) return;
  // Closing a poll handle takes the fd out of the loop's epoll set at once,
  // so fd_ may be closed right after; the memory goes in the close callback.
  poll_->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(poll_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
}

Status WatcherBase::StartPolling(uv_loop_t* loop) {
  auto* poll = new uv_poll_t;
  int rc = uv_poll_init(loop, poll, fd_.get());
  if (rc != 0) {
    delete poll;  // never initialised, so no uv_close
    return Status(Code::kIo,
                  fmt::format("uv_poll_init on the {} fd: {}", backend(), uv_strerror(rc)));
  }
  poll->data = this;
  poll_ = poll;
  rc = uv_poll_start(poll, UV_READABLE, &WatcherBase::OnPoll);
  if (rc != 0) {
    return Status(Code::kIo,
                  fmt::format("uv_poll_start on the {} fd: {}", backend(), uv_strerror(rc)));
  }
  return Status::Ok();
}

void WatcherBase::OnPoll(uv_poll_t* handle, int status, int /*events*/) {
  auto* self = static_cast<WatcherBase*>(handle->data);
  if (self == nullptr) return;
  if (status < 0) {
    spdlog::error("{}: poll failed: {}", self->backend(), uv_strerror(status));
    return;
  }
  self->ReadEvents();
}

void WatcherBase::ReadEvents() {
  for (int i = 0; !paused_ && (i < kMaxReadsPerWakeup || MustReadOn()); ++i) {
    const ssize_t n = ::read(fd_.get(), buf_.data(), buf_.size());
    if (n < 0) {
      const int err = errno;
      if (err == EINTR) continue;
      if (err != EAGAIN) spdlog::error("{}: read: {}", backend(), ErrnoText(err));
      OnDrained();
      return;
    }
    if (n == 0) {
      OnDrained();
      return;
    }
    OnRead(buf_.data(), static_cast<size_t>(n), clock_->NowMs());
  }
}

void WatcherBase::Pause() {
  if (paused_ || poll_ == nullptr) return;
  paused_ = true;
  uv_poll_stop(poll_);
  OnPaused();
}

void WatcherBase::Resume() {
  if (!paused_ || poll_ == nullptr) return;
  paused_ = false;
  const int rc = uv_poll_start(poll_, UV_READABLE, &WatcherBase::OnPoll);
  if (rc != 0) spdlog::error("{}: uv_poll_start: {}", backend(), uv_strerror(rc));
}

bool WatcherBase::degraded() const {
  std::lock_guard lock(degraded_mu_);
  return degraded_;
}

std::string WatcherBase::degraded_reason() const {
  std::lock_guard lock(degraded_mu_);
  return degraded_reason_;
}

void WatcherBase::MarkDegraded(const std::string& reason) {
  {
    std::lock_guard lock(degraded_mu_);
    degraded_ = true;
    degraded_reason_ = reason;
  }
  spdlog::error("{}", reason);
}

WatchEvent& WatcherBase::Emit(std::vector<WatchEvent>* out, WatchEvent::Kind kind,
                              std::string path, std::string root, int64_t now_ms) {
  WatchEvent& e = out->emplace_back();
  e.kind = kind;
  e.path = std::move(path);
  e.root = std::move(root);
  e.time_ms = now_ms;
  return e;
}

Result<WatcherBase::CheckedRoot> WatcherBase::CheckRoot(const std::string& root_in) {
  std::string root = NormalizeRoot(root_in);
  if (root.empty() || root[0] != '/') {
    return Status(Code::kInvalid,
                  fmt::format("watch root {}: not an absolute path", PrintableText(root)));
  }
  struct stat st;
  if (::stat(root.c_str(), &st) != 0) {
    const int err = errno;
    return ErrnoStatus(err, fmt::format("watch root {}", PrintableText(root)));
  }
  if (!S_ISDIR(st.st_mode)) {
    return Status(Code::kInvalid,
                  fmt::format("watch root {}: not a directory", PrintableText(root)));
  }
  return CheckedRoot{std::move(root), st.st_dev};
}

}  // namespace recsync
