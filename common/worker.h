// Worker<Context>: a SerialWorker that owns the state its tasks work on.
//
// A worker's connections (a Catalog, a Journal) are not thread-safe and
// belong to its thread. Worker makes that a type: the Context is moved in
// at Start() and is reachable only as the argument of a task running on the
// worker, so code on the loop (or on another worker) cannot touch it.
//
//   auto w = Worker<SweepContext>::Start("recsync-sweep", std::move(ctx));
//   (*w)->Post([](SweepContext& c) { c.journal->Prune(...); });
//
// Thread rules: Post() and Stop() as SerialWorker's. The Context is
// destroyed after the thread has been joined (by Stop() or the destructor),
// so its destructor runs with no task in flight.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "common/serial_worker.h"
#include "common/status.h"

namespace recsync {

template <typename Context>
class Worker {
 public:
  using Task = std::function<void(Context&)>;

  static Result<std::unique_ptr<Worker>> Start(std::string name,
                                               std::unique_ptr<Context> context) {
    auto thread = SerialWorker::Start(std::move(name));
    if (!thread.ok()) return thread.status();
    return std::unique_ptr<Worker>(new Worker(std::move(*thread), std::move(context)));
  }
  ~Worker() { Stop(); }
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Queues `task`, to run with the context on the worker's thread.
  void Post(Task task) {
    thread_->Post([this, task = std::move(task)] { task(*context_); });
  }
  // Drops queued tasks, finishes the running one, joins, then closes the
  // context (its connections).
  void Stop() {
    thread_->Stop();
    if (!thread_->OnWorkerThread()) context_.reset();
  }

 private:
  Worker(std::unique_ptr<SerialWorker> thread, std::unique_ptr<Context> context)
      : context_(std::move(context)), thread_(std::move(thread)) {}

  std::unique_ptr<Context> context_;
  std::unique_ptr<SerialWorker> thread_;
};

}  // namespace recsync
