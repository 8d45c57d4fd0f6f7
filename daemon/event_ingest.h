// EventIngest: commits watcher events to the journal, in order, in groups.
//
// The loop hands over each inotify read's events with Submit() and goes back
// to dispatching; a thread of its own commits whatever has queued up in one
// transaction (group commit: the more events arrive while a commit runs, the
// bigger the next group), so the cost per event falls as the rate rises.
//
// Contract
// - Events are committed in Submit() order, each exactly once.
// - An event is never dropped: when a commit fails (a full disk, a journal
//   made read-only) the group stays queued and is retried with capped
//   backoff until it succeeds or the process ends; `on_error` says why.
// - `on_commit` runs after each commit (on the ingest thread) with the total
//   number of events committed so far and the seq of the last one.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "journal/journal.h"

namespace recsync {

class EventIngest {
 public:
  struct Callbacks {
    std::function<void(int64_t committed_total, int64_t last_seq)> on_commit;
    std::function<void(const Status& error)> on_error;  // each failed attempt
  };

  // Starts the ingest thread; kUnavailable when it cannot be started.
  static Result<std::unique_ptr<EventIngest>> Start(std::unique_ptr<Journal> journal,
                                                    Callbacks callbacks);
  // Shutdown(0): whatever is not committed by then is not waited for.
  ~EventIngest();
  EventIngest(const EventIngest&) = delete;
  EventIngest& operator=(const EventIngest&) = delete;

  // Queues events for the next commit. Any thread.
  void Submit(std::vector<NewEvent> events);

  // Stops taking events, commits what is queued and joins the thread. No new
  // commit starts after `timeout`, but one in flight is finished (a journal
  // commit cannot be interrupted). Returns false when events were left
  // uncommitted. A second call only reports.
  bool Shutdown(std::chrono::milliseconds timeout);

 private:
  EventIngest(std::unique_ptr<Journal> journal, Callbacks callbacks);
  void Run();

  std::unique_ptr<Journal> journal_;
  Callbacks callbacks_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<NewEvent> queue_;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point deadline_;
  int64_t committed_ = 0;
  std::thread thread_;
};

}  // namespace recsync
