#include "common/serial_worker.h"

#include "common/threads.h"

namespace recsync {

Result<std::unique_ptr<SerialWorker>> SerialWorker::Start(std::string name) {
  std::unique_ptr<SerialWorker> worker(new SerialWorker(name));
  auto thread = StartThread(name, [w = worker.get()] { w->Run(); });
  if (!thread.ok()) return thread.status();
  worker->thread_ = std::move(*thread);
  return worker;
}

SerialWorker::~SerialWorker() { Stop(); }

void SerialWorker::Post(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    tasks_.push_back(std::move(task));
  }
  cv_.notify_one();
}

void SerialWorker::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    tasks_.clear();
  }
  cv_.notify_one();
  if (thread_.joinable() && !OnWorkerThread()) thread_.join();
}

void SerialWorker::Run() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !tasks_.empty(); });
      if (stopping_) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

}  // namespace recsync
