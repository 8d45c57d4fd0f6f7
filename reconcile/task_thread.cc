// TaskThread (see disk.h): one thread running posted closures in turn.
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <system_error>
#include <thread>

#include "reconcile/disk.h"

namespace recsync {

struct TaskThread::Queue {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::function<void()>> jobs;
  bool closed = false;
};

TaskThread::TaskThread() : queue_(std::make_shared<Queue>()) {
  try {
    std::thread([queue = queue_] {
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
    }).detach();
    started_ = true;
  } catch (const std::system_error& e) {
    // Out of threads: every task fails at once and counts as unknown.
    spdlog::warn("cannot start a thread to check files ({}); their presence counts as unknown",
                 e.what());
  }
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
