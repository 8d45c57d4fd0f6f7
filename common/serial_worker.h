// SerialWorker: one thread that runs posted tasks one after another.
//
// The daemon gives each kind of slow work its own worker (journal commits,
// applying events, sweeps, storage probes), so a hung NFS mount stalls only
// the work that touches it and never the loop. Code that owns connections
// uses Worker<Context> (common/worker.h), which is built on this.
//
// Thread rules: Post() from any thread; Stop() from any thread but the
// worker's own (from its own thread it only stops taking tasks).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/status.h"

namespace recsync {

class SerialWorker {
 public:
  // Starts the thread named `name` (15 characters show in top -H), or
  // kUnavailable when no thread can be started (out of threads or memory).
  static Result<std::unique_ptr<SerialWorker>> Start(std::string name);
  // Stops and joins (see Stop()).
  ~SerialWorker();
  SerialWorker(const SerialWorker&) = delete;
  SerialWorker& operator=(const SerialWorker&) = delete;

  // Queues `task`; tasks run in posting order on the worker's thread. Any
  // thread; after Stop() the task is dropped.
  void Post(std::function<void()> task);
  // Drops queued tasks, lets the running one finish and joins the thread.
  void Stop();
  // Whether the calling thread is this worker's.
  bool OnWorkerThread() const { return std::this_thread::get_id() == thread_.get_id(); }

 private:
  explicit SerialWorker(std::string name) : name_(std::move(name)) {}
  void Run();

  std::string name_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace recsync
