#include "watcher/mount_watcher.h"

#include <fcntl.h>

#include <vector>

#include <fmt/format.h>

#include "fs/mount_table.h"

namespace recsync {

struct MountWatcher::Subscription::Subscribers {
  uint64_t last_id = 0;
  std::map<uint64_t, Changed> by_id;
};

MountWatcher::Subscription& MountWatcher::Subscription::operator=(Subscription&& other) noexcept {
  if (this != &other) {
    Reset();
    subscribers_ = std::move(other.subscribers_);
    id_ = std::exchange(other.id_, 0);
  }
  return *this;
}

MountWatcher::Subscription::~Subscription() { Reset(); }

void MountWatcher::Subscription::Reset() {
  if (auto subscribers = subscribers_.lock()) subscribers->by_id.erase(id_);
  subscribers_.reset();
}

Result<std::unique_ptr<MountWatcher>> MountWatcher::Start(uv_loop_t* loop) {
  std::unique_ptr<MountWatcher> w(new MountWatcher());
  w->subscribers_ = std::make_shared<Subscription::Subscribers>();
  w->fd_ = UniqueFd(::open(kMountInfoPath, O_RDONLY | O_CLOEXEC));
  if (!w->fd_.valid()) return ErrnoStatus(errno, std::string("cannot open ") + kMountInfoPath);
  auto* poll = new uv_poll_t;
  if (int rc = uv_poll_init(loop, poll, w->fd_.get()); rc != 0) {
    delete poll;  // never initialised, so no uv_close
    return Status(Code::kIo,
                  fmt::format("uv_poll_init on {}: {}", kMountInfoPath, uv_strerror(rc)));
  }
  poll->data = w.get();
  w->poll_ = poll;
  // The table polls readable-priority (and "error") when it changes. A
  // failed poll is passed on too: re-reading the table is always safe.
  if (int rc = uv_poll_start(
          poll, UV_PRIORITIZED,
          [](uv_poll_t* p, int, int) { Notify(reinterpret_cast<uv_handle_t*>(p)); });
      rc != 0) {
    return Status(Code::kIo,
                  fmt::format("uv_poll_start on {}: {}", kMountInfoPath, uv_strerror(rc)));
  }
  auto* check = new uv_check_t;
  uv_check_init(loop, check);
  check->data = w.get();
  w->first_ = check;
  uv_check_start(check, [](uv_check_t* c) {
    auto* self = static_cast<MountWatcher*>(c->data);
    uv_close(reinterpret_cast<uv_handle_t*>(c),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_check_t*>(h); });
    if (self == nullptr) return;
    self->first_ = nullptr;
    Notify(reinterpret_cast<uv_handle_t*>(self->poll_));
  });
  return w;
}

MountWatcher::~MountWatcher() {
  // Closing the poll handle takes the fd out of the loop's epoll set at once,
  // so fd_ may be closed right after; the memory goes in the close callback.
  if (poll_ != nullptr) {
    poll_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(poll_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
  }
  if (first_ != nullptr) {
    first_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(first_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_check_t*>(h); });
  }
}

MountWatcher::Subscription MountWatcher::Subscribe(Changed changed) {
  const uint64_t id = ++subscribers_->last_id;
  subscribers_->by_id.emplace(id, std::move(changed));
  return Subscription(subscribers_, id);
}

void MountWatcher::Notify(uv_handle_t* handle) {
  auto* self = static_cast<MountWatcher*>(handle->data);
  if (self == nullptr) return;
  // A subscriber may drop its subscription, or another's, or the watcher:
  // each is looked up again before it is called, in a list kept alive here.
  const std::shared_ptr<Subscription::Subscribers> subscribers = self->subscribers_;
  std::vector<uint64_t> ids;
  for (const auto& [id, changed] : subscribers->by_id) ids.push_back(id);
  for (uint64_t id : ids) {
    auto it = subscribers->by_id.find(id);
    if (it == subscribers->by_id.end()) continue;
    const Changed changed = it->second;  // a copy: the subscriber may drop it
    changed();
  }
}

}  // namespace recsync
