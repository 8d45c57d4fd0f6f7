// StatusWatch: `status` requests that wait for the status to change.
//
// A client that wants to know when something happens in the daemon (the
// startup sweep finished, a root went offline, a watch was armed again, the
// database came back) would otherwise ask for the status again and again.
// Instead it sends the status it last saw and how long it is willing to wait:
//   {"cmd": "status", "unchanged": {...the status it has...}, "wait_ms": N}
// and the answer comes as soon as the status differs from that one, or after
// N ms with the status as it is then. Sending the status seen, rather than
// "wait for the next change", means a change between two requests is never
// missed. `uptime_s` is not compared: it changes every second by itself;
// nor are the running sweep's `phase` and `progress`, which change without
// the loop knowing (see StatusChanged).
//
// How: every change of the daemon's state happens in a callback of its loop,
// so while requests wait, a check handle compares the status once per turn of
// the loop, after its callbacks ran; a timer ends the earliest wait. With none
// waiting both are stopped, so an idle daemon wakes no more often than before.
//
// Loop thread only.
#pragma once

#include <uv.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <vector>

#include "control/control_server.h"

namespace recsync {

// Whether two status objects differ in anything but `uptime_s` and the
// running sweep's `phase` and `progress` (sweep.current).
bool StatusChanged(const nlohmann::json& seen, const nlohmann::json& now);

class StatusWatch {
 public:
  using Snapshot = std::function<nlohmann::json()>;
  // `snapshot` gives the status as `status` answers it. Registers (stopped)
  // handles on `loop`.
  StatusWatch(uv_loop_t* loop, Snapshot snapshot);
  // Closes the handles (the loop must run once more to free them); requests
  // still waiting get no answer (their connections are closing anyway).
  ~StatusWatch();
  StatusWatch(const StatusWatch&) = delete;
  StatusWatch& operator=(const StatusWatch&) = delete;

  // Replies with the status at once when it differs from `seen`, else as
  // soon as it does, or after `wait` with the status as it is.
  void Wait(const nlohmann::json& seen, std::chrono::milliseconds wait,
            ControlServer::Reply reply);
  size_t waiting() const { return waiters_.size(); }

 private:
  struct Waiter {
    nlohmann::json seen;   // without uptime_s
    uint64_t deadline_ms;  // uv_now() time
    ControlServer::Reply reply;
  };
  static void OnCheck(uv_check_t* handle);
  static void OnTimer(uv_timer_t* handle);
  // Answers the waiters whose status changed or whose time is up, then
  // re-arms or stops the handles.
  void Settle();

  uv_loop_t* loop_;
  Snapshot snapshot_;
  uv_check_t* check_;  // freed by its close callback
  uv_timer_t* timer_;  // freed by its close callback
  std::vector<Waiter> waiters_;
};

}  // namespace recsync
