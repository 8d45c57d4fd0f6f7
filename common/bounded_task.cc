// TaskThread (see bounded_task.h): one thread running posted closures in turn.
#include "common/bounded_task.h"

#include <spdlog/spdlog.h>

#include <deque>

#include "common/threads.h"

namespace recsync {

std::string FormatTimeout(std::chrono::milliseconds timeout) {
  const auto ms = timeout.count();
  return ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
}

struct TaskThread::Queue {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::function<void()>> jobs;
  bool closed = false;
};

TaskThread::TaskThread() : queue_(std::make_shared<Queue>()) {
  auto thread = StartThread("recsync-check", [queue = queue_] {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock<std::mutex> lock(queue->mu);
        queue->cv.wait(lock, [&] { return queue->closed || !queue->jobs.empty(); });
        if (queue->jobs.empty()) return;  // closed and drained
        job = std::move(queue->jobs.front());
        queue->jobs.pop_front();
      }
      job();
    }
  });
  if (!thread.ok()) {
    // Out of threads: every task fails at once and counts as unknown.
    spdlog::warn("{}; the files it would check count as unknown", thread.status().message());
    return;
  }
  thread->detach();
  started_ = true;
}

TaskThread::~TaskThread() {
  std::lock_guard<std::mutex> lock(queue_->mu);
  queue_->closed = true;
  queue_->cv.notify_all();
}

void TaskThread::Post(std::function<void()> fn) {
  if (!started_) return;
  std::lock_guard<std::mutex> lock(queue_->mu);
  queue_->jobs.push_back(std::move(fn));
  queue_->cv.notify_all();
}

}  // namespace recsync
