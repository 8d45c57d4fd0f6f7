#include "daemon/daemon.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include "daemon/storage_probe.h"
#include "daemon/systemd_notify.h"

namespace recsync {
namespace {

// How long a stop may take before the process exits anyway: a call stuck in
// a hung mount or a dead database cannot be interrupted, and everything that
// matters is already in the journal (SQLite transactions).
constexpr std::chrono::milliseconds kStopDeadline{4500};
constexpr std::chrono::milliseconds kIngestFlush{2000};

template <typename Handle>
uv_handle_t* AsHandle(Handle* h) {
  return reinterpret_cast<uv_handle_t*>(h);
}

// Exits the process with `exit_code` if a stop has not finished by the
// deadline (1 when the daemon stops for a fault: systemd must restart it).
class StopGuard {
 public:
  explicit StopGuard(int exit_code) {
    thread_ = std::thread([this, exit_code] {
      std::unique_lock<std::mutex> lock(mu_);
      if (!cv_.wait_for(lock, kStopDeadline, [&] { return done_; })) {
        spdlog::warn("a storage or database call did not return within {} ms of the stop "
                     "request; exiting anyway (the journal is consistent)",
                     kStopDeadline.count());
        spdlog::default_logger()->flush();
        _exit(exit_code);
      }
    });
  }
  ~StopGuard() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

}  // namespace

std::string JournalLockPath(const std::string& journal) {
  return JournalLock::LockFilePath(journal);
}

int RunDaemon(DaemonOptions options, std::ostream& err) {
  Daemon daemon(std::move(options));
  return daemon.Run(err);
}

Daemon::Daemon(DaemonOptions options)
    : options_(std::move(options)), settings_(options_.settings) {}

Daemon::~Daemon() {
  if (loop_ready_) {
    // Handles still open only when Start() failed half-way.
    uv_walk(
        &loop_,
        [](uv_handle_t* h, void*) {
          if (!uv_is_closing(h)) uv_close(h, nullptr);
        },
        nullptr);
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_loop_close(&loop_);
  }
}

int Daemon::Run(std::ostream& err) {
  Status started = Start();
  if (!started.ok()) {
    err << "recsync: " << started.message() << "\n";
    Stop();
    uv_run(&loop_, UV_RUN_DEFAULT);
    return started.code() == Code::kInvalid ? 2 : 1;
  }
  uv_run(&loop_, UV_RUN_DEFAULT);
  spdlog::info("stopped");
  return exit_code_;
}

Status Daemon::Start() {
  started_ms_ = clock_.NowMs();
  uv_loop_init(&loop_);
  loop_ready_ = true;
  loop_.data = this;
  mailbox_ = std::make_unique<LoopMailbox>(&loop_);
  status_watch_ = std::make_unique<StatusWatch>(&loop_, [this] { return StatusJson(); });
  for (uv_timer_t* t : {&periodic_timer_, &roots_timer_, &pressure_timer_, &watchdog_timer_,
                        &prune_timer_, &retry_timer_}) {
    uv_timer_init(&loop_, t);
    t->data = this;
  }
  for (uv_signal_t* s : {&sigterm_, &sigint_, &sighup_}) {
    uv_signal_init(&loop_, s);
    s->data = this;
  }
  auto on_signal = [](uv_signal_t* s, int signum) {
    static_cast<Daemon*>(s->data)->OnSignal(signum);
  };
  uv_signal_start(&sigterm_, on_signal, SIGTERM);
  uv_signal_start(&sigint_, on_signal, SIGINT);
  uv_signal_start(&sighup_, on_signal, SIGHUP);

  disk_ = MakeRealDisk(settings_.fstab);
  auto db = LoadBluecherryDb(settings_.bluecherry_conf);
  if (!db.ok()) return db.status();
  db_ = *db;

  // The lock before the journal: a second daemon must not even migrate it.
  auto lock = JournalLock::Acquire(settings_.journal);
  if (!lock.ok()) return lock.status();

  std::unique_ptr<Journal> journals[4];
  for (auto& j : journals) {
    auto opened = Journal::Open(settings_.journal, Journal::Mode::kReadWrite);
    if (!opened.ok()) return opened.status();
    j = std::move(*opened);
  }
  auto last_seq = journals[0]->LastSeq();
  if (!last_seq.ok()) return last_seq.status();
  startup_last_seq_ = *last_seq;
  syncs_ = std::make_unique<SyncTracker>(startup_last_seq_);
  // From here a damaged, deleted or replaced journal stops the daemon.
  journal_guard_ = std::make_unique<JournalGuard>(
      &loop_, std::move(*lock),
      [this](const Status&) {
        exit_code_ = 1;
        Stop();
      },
      JournalGuard::Options{});

  auto control = ControlServer::Listen(
      &loop_, settings_.control_socket,
      [this](const nlohmann::json& request, ControlServer::Reply reply) {
        OnControl(request, std::move(reply));
      });
  if (!control.ok()) return control.status();
  control_ = std::move(*control);

  EventIngest::Callbacks ingest_callbacks;
  ingest_callbacks.on_commit = [this](int64_t total, int64_t last) {
    mailbox_->Post([this, total, last] { OnCommitted(total, last); });
  };
  ingest_callbacks.on_error = [this](const Status& error) {
    spdlog::error("{} (events are kept in memory and retried)", error.message());
    mailbox_->Post([this, message = error.message()] { journal_error_ = message; });
  };
  ingest_ = std::make_unique<EventIngest>(std::move(journals[0]), std::move(ingest_callbacks));
  sweep_journal_ = std::move(journals[1]);
  probe_journal_ = std::move(journals[2]);
  reconciler_journal_ = std::move(journals[3]);
  sweep_worker_ = std::make_unique<SerialWorker>("recsync-sweep");
  probe_worker_ = std::make_unique<SerialWorker>("recsync-probe");

  mountinfo_fd_ = UniqueFd(::open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC));
  if (mountinfo_fd_.valid() &&
      uv_poll_init(&loop_, &mountinfo_poll_, mountinfo_fd_.get()) == 0) {
    mountinfo_polled_ = true;
    mountinfo_poll_.data = this;
    uv_poll_start(&mountinfo_poll_, UV_PRIORITIZED, [](uv_poll_t* p, int, int) {
      auto* self = static_cast<Daemon*>(p->data);
      spdlog::debug("the mount table changed; checking the storage roots");
      self->CheckRoots(/*all=*/true);
    });
  } else {
    spdlog::warn("cannot watch /proc/self/mountinfo; unmounts are noticed by the periodic "
                 "root check instead");
  }

  spdlog::info("recsync {} starting: journal {}, database {}, control socket {}", RECSYNC_VERSION,
               settings_.journal, db_.Describe(), settings_.control_socket);
  NotifyStatus("arming watches");
  LoadAndArmRoots("start-up", /*startup=*/true);

  if (uint64_t ms = WatchdogPingIntervalMs(); ms > 0) {
    // Pinged from the loop, so a wedged loop is what the watchdog catches.
    uv_timer_start(&watchdog_timer_, [](uv_timer_t*) { NotifyWatchdog(); }, 0, ms);
  }
  constexpr uint64_t kPruneEveryMs = 6ull * 3600 * 1000;
  uv_timer_start(
      &prune_timer_,
      [](uv_timer_t* t) {
        auto* self = static_cast<Daemon*>(t->data);
        const int64_t days = self->settings_.journal_retention_days;
        self->sweep_worker_->Post([self, days] {
          auto pruned = self->sweep_journal_->Prune(days, self->clock_.NowMs());
          if (!pruned.ok()) spdlog::warn("journal prune: {}", pruned.status().message());
          else if (*pruned > 0) spdlog::info("pruned {} settled events older than {} days", *pruned, days);
        });
      },
      60 * 1000, kPruneEveryMs);
  return Status::Ok();
}

void Daemon::Stop() {
  if (stopping_) return;
  stopping_ = true;
  NotifyStopping();
  if (started_ms_ > 0) spdlog::info("stopping");
  StopGuard guard(exit_code_);
  cancel_ = true;
  if (watcher_) watcher_->Pause();
  control_.reset();
  status_watch_.reset();
  // Commit what the kernel already told us, then let the workers finish the
  // step in flight (a sweep stops between batches).
  if (ingest_) ingest_->Shutdown(kIngestFlush);
  if (reconciler_) reconciler_->Shutdown();
  if (sweep_worker_) sweep_worker_->Stop();
  if (probe_worker_) probe_worker_->Stop();
  ingest_.reset();
  reconciler_.reset();
  watcher_.reset();
  mailbox_.reset();
  // Every journal connection closes before the journal's locks go
  // (journal/journal_lock.h).
  sweep_journal_.reset();
  probe_journal_.reset();
  reconciler_journal_.reset();
  if (loop_ready_) {
    for (uv_timer_t* t : {&periodic_timer_, &roots_timer_, &pressure_timer_, &watchdog_timer_,
                          &prune_timer_, &retry_timer_}) {
      if (!uv_is_closing(AsHandle(t))) uv_close(AsHandle(t), nullptr);
    }
    for (uv_signal_t* s : {&sigterm_, &sigint_, &sighup_}) {
      if (!uv_is_closing(AsHandle(s))) uv_close(AsHandle(s), nullptr);
    }
    if (mountinfo_polled_ && !uv_is_closing(AsHandle(&mountinfo_poll_))) {
      uv_close(AsHandle(&mountinfo_poll_), nullptr);
    }
  }
  journal_guard_.reset();
}

void Daemon::OnSignal(int signum) {
  if (signum == SIGHUP) {
    Reload();
    return;
  }
  spdlog::info("{} received", signum == SIGTERM ? "SIGTERM" : "SIGINT");
  Stop();
}

void Daemon::OnWatchEvents(std::vector<WatchEvent> events) {
  if (stopping_) return;
  std::vector<NewEvent> batch;
  bool overflow = false;
  for (auto& e : events) {
    using K = WatchEvent::Kind;
    switch (e.kind) {
      case K::kDeleted:
        batch.push_back({e.time_ms, std::move(e.path), "deleted"});
        break;
      case K::kMovedFrom:
      case K::kMovedTo: {
        NewEvent n{e.time_ms, std::move(e.path), e.kind == K::kMovedFrom ? "moved_from" : "moved_to"};
        n.cookie = e.move_cookie;
        n.is_dir = e.is_dir;
        batch.push_back(std::move(n));
        break;
      }
      case K::kOverflow:
      case K::kUnknownWatch:
        batch.push_back({e.time_ms, "", "overflow"});
        overflow = true;
        break;
      case K::kRootGone:
        batch.push_back({e.time_ms, e.path, "unmounted"});
        MarkOffline(e.root.empty() ? e.path : e.root,
                    "its directory was removed, moved away or unmounted");
        break;
      case K::kCookie: {
        const auto slash = e.path.rfind('/');
        const std::string name = e.path.substr(slash + 1 + std::strlen(kCookiePrefix));
        const std::string mine = std::to_string(::getpid()) + "-";
        if (name.starts_with(mine)) {
          const uint64_t id = std::strtoull(name.c_str() + mine.size(), nullptr, 10);
          // Everything read before this cookie is in `batch` or already submitted.
          const int64_t submitted_then = submitted_ + static_cast<int64_t>(batch.size());
          syncs_->Seen(id, e.root, submitted_then);
          probe_worker_->Post([path = e.path] {
            if (auto st = RemoveCookie(path); !st.ok()) spdlog::warn("{}", st.message());
          });
        }
        break;
      }
      case K::kDirCreated:
      case K::kDirDeleted:
        spdlog::debug("{} {}", KindName(e.kind), e.path);
        break;
    }
  }
  submitted_ += static_cast<int64_t>(batch.size());
  ingest_->Submit(std::move(batch));
  if (overflow) {
    ++overflows_;
    spdlog::warn("the kernel's event queue overflowed (raise fs.{}.max_queued_events if "
                 "this recurs); re-arming watches and sweeping",
                 watcher_ ? watcher_->backend() : "inotify");
    RearmAll();
  }
}

void Daemon::OnCommitted(int64_t total, int64_t last_seq) {
  committed_ = total;
  journal_error_.clear();
  if (reconciler_) reconciler_->Notify(last_seq);
  syncs_->Committed(total, last_seq);
}

void Daemon::Reload() {
  if (journal_guard_) journal_guard_->CheckNow();
  if (!options_.reload) return;
  spdlog::info("SIGHUP: reloading the configuration and the Storage table");
  probe_worker_->Post([this] {
    auto reloaded = options_.reload();
    mailbox_->Post([this, reloaded] {
      if (!reloaded.ok()) {
        spdlog::error("reload failed, keeping the running configuration: {}",
                      reloaded.status().message());
        return;
      }
      Settings next = *reloaded;
      // These are fixed for the process's life: they name its own resources.
      auto keep = [&](std::string& field, const std::string& running, const char* key) {
        if (field != running) {
          spdlog::warn("{} changed to {}; restart recsync to use it", key, field);
          field = running;
        }
      };
      keep(next.journal, settings_.journal, "journal");
      keep(next.control_socket, settings_.control_socket, "control_socket");
      keep(next.bluecherry_conf, settings_.bluecherry_conf, "bluecherry_conf");
      keep(next.fstab, settings_.fstab, "fstab");
      keep(next.log_file, settings_.log_file, "log_file");
      keep(next.watcher, settings_.watcher, "watcher");
      const bool interval_changed = next.sweep_interval != settings_.sweep_interval;
      settings_ = next;
      spdlog::set_level(spdlog::level::from_str(settings_.log_level));
      if (interval_changed) SchedulePeriodicSweep();
      LoadAndArmRoots("reload", /*startup=*/false);
    });
  });
}

}  // namespace recsync
