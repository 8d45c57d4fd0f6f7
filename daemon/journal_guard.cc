#include "daemon/journal_guard.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

namespace recsync {
namespace {

// The journal and its -wal (SQLite's write-ahead log, which holds the
// commits not yet checkpointed into the file); -1 when the journal itself
// cannot be stat-ed. The -shm is a fixed-size index: not counted.
int64_t JournalBytes(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return -1;
  int64_t bytes = st.st_size;
  if (::stat((path + "-wal").c_str(), &st) == 0) bytes += st.st_size;
  return bytes;
}

}  // namespace

JournalGuard::JournalGuard(uv_loop_t* loop, JournalLock lock, OnFatal on_fatal, Options options)
    : path_(lock.journal()),
      lock_(std::move(lock)),
      on_fatal_(std::move(on_fatal)),
      options_(options),
      mailbox_(loop),
      grace_timer_(new uv_timer_t) {
  uv_timer_init(loop, grace_timer_);
  grace_timer_->data = this;
  SetJournalFaultHandler([this](const JournalFault& fault) { OnFault(fault); });
  // A thread that cannot start leaves the periodic check undone; faults met
  // by journal calls still stop the daemon.
  try {
    thread_ = std::thread([this] { RunChecks(); });
  } catch (const std::system_error& e) {
    spdlog::error("journal {}: cannot start the thread that checks its files ({}); a journal "
                  "deleted while recsync runs will not be noticed",
                  path_, e.what());
  }
}

JournalGuard::~JournalGuard() {
  SetJournalFaultHandler(nullptr);  // returns once no handler runs
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  mailbox_.Close();
  grace_timer_->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(grace_timer_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
}

void JournalGuard::CheckNow() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    check_now_ = true;
  }
  wake_.notify_all();
}

std::vector<std::string> JournalGuard::degraded() const {
  std::vector<std::string> reasons;
  if (fatal_) reasons.push_back(fatal_->message() + "; recsync is stopping");
  if (!lock_problem_.empty()) reasons.push_back(lock_problem_);
  return reasons;
}

void JournalGuard::RunChecks() {
  mailbox_.Post([this, bytes = JournalBytes(path_)] { journal_bytes_ = bytes; });
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    wake_.wait_for(lock, options_.check_every, [&] { return stopping_ || check_now_; });
    if (stopping_) return;
    check_now_ = false;
    lock.unlock();
    JournalLock::Check check = lock_.Verify();
    const int64_t bytes = JournalBytes(path_);
    // Logged here, in order with the repair itself.
    mailbox_.Post([this, check, bytes] {
      journal_bytes_ = bytes;
      OnChecked(check);
    });
    lock.lock();
  }
}

void JournalGuard::OnFault(const JournalFault& fault) {
  if (fault.path != path_) return;
  if (!marked_.exchange(true)) {
    Status marked = MarkJournalDamaged(path_, fault.detail);
    if (!marked.ok()) spdlog::error("cannot mark the journal damaged: {}", marked.message());
  }
  mailbox_.Post([this, status = fault.status] { Fail(status); });
}

void JournalGuard::OnChecked(const JournalLock::Check& check) {
  if (!check.journal.ok()) Fail(check.journal);
  if (!check.lock_repair.empty()) spdlog::warn("{}", check.lock_repair);
  const std::string problem = check.lock.ok() ? "" : check.lock.message();
  if (problem != lock_problem_) {
    if (!problem.empty()) spdlog::error("{}", problem);
    else spdlog::info("lock file {} is in place again", JournalLock::LockFilePath(path_));
    lock_problem_ = problem;
  }
}

void JournalGuard::Fail(const Status& fault) {
  if (fatal_) return;
  fatal_ = fault;
  spdlog::error("{}; stopping with exit code 1 (systemd restarts recsync)", fault.message());
  uv_timer_start(grace_timer_, &JournalGuard::OnGraceOver,
                 static_cast<uint64_t>(options_.fatal_grace.count()), 0);
}

void JournalGuard::OnGraceOver(uv_timer_t* timer) {
  auto* self = static_cast<JournalGuard*>(timer->data);
  if (self == nullptr) return;
  // Copies: the callback may destroy the guard.
  OnFatal on_fatal = self->on_fatal_;
  Status fault = *self->fatal_;
  on_fatal(fault);
}

}  // namespace recsync
