#include "reconcile/storage_lanes.h"

#include <deque>

#include "common/threads.h"

namespace recsync {

struct StorageLanes::Lane {
  struct Job {
    Clock::time_point deadline;  // Call: fixed when it was made
    std::optional<std::chrono::milliseconds> limit;  // Post: counted from its start
    std::function<void()> fn;
  };
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Job> jobs;
  bool started = false;
  bool closed = false;  // StorageLanes is gone: drain and exit
  bool running = false;
  Clock::time_point running_deadline{};

  // Whether a call is running past its deadline. Caller holds mu.
  bool StuckLocked(Clock::time_point now) const { return running && now > running_deadline; }

  void Run() {
    for (;;) {
      Job job;
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return closed || !jobs.empty(); });
        if (jobs.empty()) return;  // closed and drained
        job = std::move(jobs.front());
        jobs.pop_front();
        running = true;
        running_deadline = job.limit ? Clock::now() + *job.limit : job.deadline;
      }
      job.fn();  // checks its own deadline; never throws (see Call)
      std::lock_guard<std::mutex> lock(mu);
      running = false;
    }
  }
};

namespace {

const char* PurposeName(LanePurpose purpose) {
  return purpose == LanePurpose::kArm ? "arming" : "probe";
}

}  // namespace

StorageLanes::StorageLanes() = default;

StorageLanes::~StorageLanes() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [key, lane] : lanes_) {
    std::lock_guard<std::mutex> lane_lock(lane->mu);
    lane->closed = true;
    lane->cv.notify_all();
  }
}

std::shared_ptr<StorageLanes::Lane> StorageLanes::Ready(const std::string& root,
                                                        LanePurpose purpose, Status* why) {
  std::shared_ptr<Lane> lane;
  bool start = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto& slot = lanes_[{root, purpose}];
    if (!slot) slot = std::make_shared<Lane>();
    lane = slot;
    std::lock_guard<std::mutex> lane_lock(lane->mu);
    if (lane->StuckLocked(Clock::now())) {
      const auto over = std::chrono::duration_cast<std::chrono::milliseconds>(
          Clock::now() - lane->running_deadline);
      *why = Status(Code::kTimeout, "storage " + root + " is still stuck in a " +
                                        PurposeName(purpose) + " call, " +
                                        std::to_string(over.count()) +
                                        " ms past its deadline (hung network storage?)");
      return nullptr;
    }
    if (!lane->started) {
      lane->started = true;
      start = true;
      ++threads_started_;
    }
  }
  if (!start) return lane;
  auto thread = StartThread("recsync-lane", [lane] { lane->Run(); });
  if (!thread.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    lane->started = false;  // try again next time
    --threads_started_;
    *why = Status(Code::kUnavailable, "storage " + root + ": cannot start a thread for its " +
                                          PurposeName(purpose) + " calls (" +
                                          thread.status().message() +
                                          "); it is treated as unresponsive");
    return nullptr;
  }
  thread->detach();  // the lane owns itself: it may outlive us while stuck
  return lane;
}

void StorageLanes::Enqueue(Lane& lane, Clock::time_point deadline,
                           std::optional<std::chrono::milliseconds> limit,
                           std::function<void()> job) {
  std::lock_guard<std::mutex> lock(lane.mu);
  lane.jobs.push_back({deadline, limit, std::move(job)});
  lane.cv.notify_all();
}

Status StorageLanes::Post(const std::string& root, LanePurpose purpose,
                          std::chrono::milliseconds deadline, std::function<void()> fn) {
  Status why;
  auto lane = Ready(root, purpose, &why);
  if (!lane) return why;
  // A posted job runs whenever its turn comes: its deadline, counted from
  // its start, only marks the lane stuck while it runs.
  Enqueue(*lane, Clock::time_point::max(), deadline, [fn = std::move(fn)] {
    try {
      fn();
    } catch (...) {
      // The poster learns nothing from a job that threw; it must report
      // through its own state (see Post's contract), so nothing is lost here.
    }
  });
  return Status::Ok();
}

std::optional<std::chrono::milliseconds> StorageLanes::StuckFor(const std::string& root,
                                                                LanePurpose purpose) const {
  std::shared_ptr<Lane> lane;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = lanes_.find({root, purpose});
    if (it == lanes_.end()) return std::nullopt;
    lane = it->second;
  }
  std::lock_guard<std::mutex> lock(lane->mu);
  const auto now = Clock::now();
  if (!lane->StuckLocked(now)) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::milliseconds>(now - lane->running_deadline);
}

size_t StorageLanes::stuck_lanes() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t stuck = 0;
  const auto now = Clock::now();
  for (const auto& [key, lane] : lanes_) {
    std::lock_guard<std::mutex> lane_lock(lane->mu);
    stuck += lane->StuckLocked(now);
  }
  return stuck;
}

size_t StorageLanes::threads_started() const {
  std::lock_guard<std::mutex> lock(mu_);
  return threads_started_;
}

}  // namespace recsync
