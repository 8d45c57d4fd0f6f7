// MountWatcher: tells its subscribers when the mount table changes, on the
// loop thread. One poll of /proc/self/mountinfo (it polls readable-priority
// on every mount and unmount in this namespace) serves every part that needs
// to know: the daemon's root checks (an unmount the watches cannot see: a
// bind mount, a lazily detached NFS share) and the fanotify watcher (which
// has no unmount event). What changed is read with ReadMountTable()
// (fs/mount_table.h).
//
// Subscribers are also told once after the loop's first iteration: the
// table signals only changes made after its fd entered the loop's epoll set,
// so one made before would go unseen.
//
// Thread rules: loop thread only (Start, Subscribe, the destructor, and a
// Subscription's destructor). A Subscription may outlive its MountWatcher,
// and may be dropped from inside a notification.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>

#include "common/status.h"
#include "common/unique_fd.h"

namespace recsync {

class MountWatcher {
 public:
  using Changed = std::function<void()>;

  // Unsubscribes when dropped.
  class Subscription {
   public:
    Subscription() = default;
    Subscription(Subscription&& other) noexcept = default;
    Subscription& operator=(Subscription&& other) noexcept;
    ~Subscription();

   private:
    friend class MountWatcher;
    struct Subscribers;
    Subscription(std::weak_ptr<Subscribers> subscribers, uint64_t id)
        : subscribers_(std::move(subscribers)), id_(id) {}
    void Reset();
    std::weak_ptr<Subscribers> subscribers_;
    uint64_t id_ = 0;
  };

  // Opens /proc/self/mountinfo and polls it on `loop`; kIo when it cannot
  // (the caller then relies on its periodic checks, and says so).
  static Result<std::unique_ptr<MountWatcher>> Start(uv_loop_t* loop);
  // Closes its handles (the loop must run once more to free them).
  ~MountWatcher();
  MountWatcher(const MountWatcher&) = delete;
  MountWatcher& operator=(const MountWatcher&) = delete;

  // Calls `changed` on the loop thread after each change of the table, in
  // the order subscribed, until the Subscription is dropped.
  [[nodiscard]] Subscription Subscribe(Changed changed);

 private:
  MountWatcher() = default;
  static void Notify(uv_handle_t* handle);

  std::shared_ptr<Subscription::Subscribers> subscribers_;
  UniqueFd fd_;
  uv_poll_t* poll_ = nullptr;     // freed by its close callback
  uv_check_t* first_ = nullptr;   // the notification after the first iteration
};

}  // namespace recsync
