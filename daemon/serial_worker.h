// SerialWorker: one thread that runs posted tasks one after another.
//
// The daemon gives each kind of slow work its own worker (journal commits,
// applying events, sweeps, storage probes), so a hung NFS mount stalls only
// the work that touches it and never the loop.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace recsync {

class SerialWorker {
 public:
  explicit SerialWorker(std::string name);
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
  void Run();

  std::string name_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace recsync
