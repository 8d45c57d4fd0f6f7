// WatcherBase: what both watcher backends (inotify_watcher.h,
// fanotify_watcher.h) are made of besides their kernel interface: the
// kernel's fd polled on the libuv loop and read in bounded bursts, pausing
// and resuming that, the sink the events go to, the clock that stamps them,
// the degraded state, and the checks every AddRoot() starts with.
//
// A backend opens its fd, calls StartPolling(), and decodes each read in
// OnRead(); the hooks MustReadOn(), OnDrained() and OnPaused() let it hold
// events back across reads (fanotify does, until the queue is drained).
//
// Thread rules: as Watcher (watcher.h). The read loop, the hooks, the sink,
// Pause(), Resume() and the destructor run on the loop thread; degraded(),
// degraded_reason() and MarkDegraded() may be called from any thread.
#pragma once

#include <sys/types.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "common/unique_fd.h"
#include "watcher/watch_event.h"
#include "watcher/watcher.h"

namespace recsync {

class WatcherBase : public Watcher {
 public:
  // Closes the poll handle (the loop must run once more afterwards to free
  // it, as with any libuv handle); the fd closes with the object.
  ~WatcherBase() override;
  WatcherBase(const WatcherBase&) = delete;
  WatcherBase& operator=(const WatcherBase&) = delete;

  bool degraded() const override;
  std::string degraded_reason() const override;
  // Stops / restarts reading the fd (events queue up in the kernel, then
  // overflow). Loop thread only.
  void Pause() override;
  void Resume() override;

 protected:
  // `clock` stamps events (nullptr: the system clock; it must outlive the
  // watcher); reads take up to `read_buffer` bytes.
  WatcherBase(Sink sink, const Clock* clock, UniqueFd fd, size_t read_buffer);

  // Starts polling the fd on `loop`; the error names the backend.
  Status StartPolling(uv_loop_t* loop);

  // Reads the fd until it is drained, or for a bounded number of reads
  // (then the loop serves other handles) unless MustReadOn().
  void ReadEvents();
  // Decodes the bytes of one read (loop thread).
  virtual void OnRead(const char* buf, size_t len, int64_t now_ms) = 0;
  // Whether to read on past the bound (events are being held).
  virtual bool MustReadOn() const { return false; }
  // The fd has nothing more to read now (or reading it failed).
  virtual void OnDrained() {}
  // Reading just stopped for Pause().
  virtual void OnPaused() {}

  // Hands a batch to the sink. Loop thread.
  void Deliver(std::vector<WatchEvent> events) { sink_(std::move(events)); }
  // Marks the watcher degraded for `reason` (one line naming the fix) and
  // logs it as an error.
  void MarkDegraded(const std::string& reason);

  const Clock& clock() const { return *clock_; }
  int fd() const { return fd_.get(); }
  bool paused() const { return paused_; }

  // Appends an event read at `now_ms` to `out`.
  static WatchEvent& Emit(std::vector<WatchEvent>* out, WatchEvent::Kind kind, std::string path,
                          std::string root, int64_t now_ms);

  // A root as AddRoot() takes it: normalized, absolute, a directory (symlinks
  // followed), and the device it is on.
  struct CheckedRoot {
    std::string path;
    dev_t dev = 0;
  };
  // kInvalid for a relative path or a non-directory; the stat() error (such
  // as kNotFound) when it cannot be reached.
  static Result<CheckedRoot> CheckRoot(const std::string& root);

 private:
  static void OnPoll(uv_poll_t* handle, int status, int events);

  Sink sink_;
  const Clock* clock_;
  UniqueFd fd_;
  uv_poll_t* poll_ = nullptr;  // freed by its close callback
  bool paused_ = false;
  std::vector<char> buf_;

  mutable std::mutex degraded_mu_;  // guards the two below
  bool degraded_ = false;
  std::string degraded_reason_;
};

}  // namespace recsync
