#include "daemon/event_ingest.h"

#include "common/threads.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace recsync {
namespace {
// A bigger group gains little and holds the write lock longer.
constexpr size_t kMaxGroup = 5000;
constexpr std::chrono::milliseconds kFirstBackoff{100};
constexpr std::chrono::milliseconds kMaxBackoff{5000};
}  // namespace

Result<std::unique_ptr<EventIngest>> EventIngest::Start(std::unique_ptr<Journal> journal,
                                                        Callbacks callbacks) {
  std::unique_ptr<EventIngest> ingest(new EventIngest(std::move(journal), std::move(callbacks)));
  auto thread = StartThread("recsync-ingest", [i = ingest.get()] { i->Run(); });
  if (!thread.ok()) return thread.status();
  ingest->thread_ = std::move(*thread);
  return ingest;
}

EventIngest::EventIngest(std::unique_ptr<Journal> journal, Callbacks callbacks)
    : journal_(std::move(journal)), callbacks_(std::move(callbacks)) {}

EventIngest::~EventIngest() { Shutdown(std::chrono::milliseconds(0)); }

void EventIngest::Submit(std::vector<NewEvent> events) {
  if (events.empty()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    for (auto& e : events) queue_.push_back(std::move(e));
  }
  cv_.notify_one();
}

bool EventIngest::Shutdown(std::chrono::milliseconds timeout) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return queue_.empty();  // already shut down (and reported)
    stopping_ = true;
    deadline_ = std::chrono::steady_clock::now() + timeout;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lock(mu_);
  if (!queue_.empty()) {
    spdlog::error("{} events were not committed to the journal before exit; the next sweep "
                  "finds their files",
                  queue_.size());
  }
  return queue_.empty();
}

void EventIngest::Run() {
  auto backoff = kFirstBackoff;
  for (;;) {
    std::vector<NewEvent> group;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      if (stopping_ && std::chrono::steady_clock::now() >= deadline_) return;
      const size_t n = std::min(queue_.size(), kMaxGroup);
      group.assign(std::make_move_iterator(queue_.begin()),
                   std::make_move_iterator(queue_.begin() + static_cast<std::ptrdiff_t>(n)));
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    }
    auto seqs = journal_->AppendEvents(group);
    if (seqs.ok()) {
      backoff = kFirstBackoff;
      committed_ += static_cast<int64_t>(group.size());
      if (callbacks_.on_commit) callbacks_.on_commit(committed_, seqs->back());
      continue;
    }
    // Put the group back in front, in order, and wait before trying again.
    if (callbacks_.on_error) callbacks_.on_error(seqs.status());
    std::unique_lock<std::mutex> lock(mu_);
    queue_.insert(queue_.begin(), std::make_move_iterator(group.begin()),
                  std::make_move_iterator(group.end()));
    if (stopping_) {
      cv_.wait_until(lock, std::min(deadline_, std::chrono::steady_clock::now() + backoff));
      if (std::chrono::steady_clock::now() >= deadline_) return;
    } else {
      cv_.wait_for(lock, backoff, [&] { return stopping_; });
    }
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

}  // namespace recsync
