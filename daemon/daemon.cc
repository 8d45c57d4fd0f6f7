#include "daemon/daemon.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include "common/threads.h"
#include "config/settings.h"
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
    auto started = StartThread("recsync-stop", [this, exit_code] {
      std::unique_lock<std::mutex> lock(mu_);
      if (!cv_.wait_for(lock, kStopDeadline, [&] { return done_; })) {
        spdlog::warn("a storage or database call did not return within {} ms of the stop "
                     "request; exiting anyway (the journal is consistent)",
                     kStopDeadline.count());
        spdlog::default_logger()->flush();
        _exit(exit_code);
      }
    });
    if (started.ok()) {
      thread_ = std::move(*started);
    } else {
      spdlog::warn("{}; the stop is not bounded in time", started.status().message());
    }
  }
  ~StopGuard() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
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
  Status started;
  try {
    started = Start();
  } catch (const std::system_error& e) {
    // A worker thread could not be started (out of threads or memory).
    started = Status(Code::kUnavailable, std::string("cannot start the daemon's threads: ") +
                                             e.what() + " (see ulimit -u and TasksMax)");
  }
  if (!started.ok()) {
    err << "recsync: " << started.message() << "\n";
    Stop();
    uv_run(&loop_, UV_RUN_DEFAULT);
    return started.code() == Code::kInvalid ? 2 : 1;
  }
  uv_run(&loop_, UV_RUN_DEFAULT);
  spdlog::info("stopped");
  if (const size_t stuck = lanes_ ? lanes_->stuck_lanes() : 0; stuck > 0) {
    // Threads stuck in a hung mount return whenever its server answers; an
    // orderly exit could wait on them (a leak checker stopping every
    // thread does), so the kernel ends them with the process.
    spdlog::info("{} calls are still stuck in unresponsive storage; leaving them to the kernel",
                 stuck);
    spdlog::default_logger()->flush();
    _exit(exit_code_);
  }
  return exit_code_;
}

Status Daemon::Start() {
  started_ms_ = clock_.NowMs();
  StartLoop();
  disk_ = MakeRealDisk(settings_.fstab);
  auto db = LoadBluecherryDb(settings_.bluecherry_conf);
  if (!db.ok()) return db.status();
  db_ = *db;

  std::vector<std::unique_ptr<Journal>> connections;
  if (Status opened = OpenJournal(connections); !opened.ok()) return opened;
  auto control = ControlServer::Listen(
      &loop_, settings_.control_socket,
      [this](const nlohmann::json& request, ControlServer::Reply reply) {
        OnControl(request, std::move(reply));
      });
  if (!control.ok()) return control.status();
  control_ = std::move(*control);
  if (Status started = StartWorkers(std::move(connections)); !started.ok()) return started;
  if (Status http = StartHttp(); !http.ok()) return http;
  StartMonitor();

  spdlog::info("recsync {} starting: journal {}, database {}, control socket {}", RECSYNC_VERSION,
               settings_.journal, db_.Describe(), settings_.control_socket);
  NotifyStatus("arming watches");
  LoadRoots("start-up");
  if (uint64_t ms = WatchdogPingIntervalMs(); ms > 0) {
    // Pinged from the loop, so a wedged loop is what the watchdog catches.
    watchdog_timer_ = std::make_unique<LoopTimer>(&loop_, [] { NotifyWatchdog(); });
    watchdog_timer_->Start(0, ms);
  }
  return Status::Ok();
}

void Daemon::StartLoop() {
  uv_loop_init(&loop_);
  loop_ready_ = true;
  loop_.data = this;
  mailbox_ = std::make_unique<LoopMailbox>(&loop_);
  status_watch_ =
      std::make_unique<StatusWatch>(&loop_, [this] { return StatusToJson(Snapshot()); });
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
}

// Locks and opens the journal, one connection per worker that uses it.
Status Daemon::OpenJournal(std::vector<std::unique_ptr<Journal>>& connections) {
  // The lock before the journal: a second daemon must not even migrate it.
  auto lock = JournalLock::Acquire(settings_.journal);
  if (!lock.ok()) return lock.status();
  constexpr int kConnections = 4;  // ingest, sweeps, probes, reconciler
  for (int i = 0; i < kConnections; ++i) {
    auto opened = Journal::Open(settings_.journal, Journal::Mode::kReadWrite);
    if (!opened.ok()) return opened.status();
    connections.push_back(std::move(*opened));
  }
  auto last_seq = connections.front()->LastSeq();
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
  return Status::Ok();
}

Status Daemon::StartWorkers(std::vector<std::unique_ptr<Journal>> connections) {
  EventIngest::Callbacks ic;
  ic.on_commit = [this](int64_t total, int64_t last) {
    mailbox_->Post([this, total, last] { OnCommitted(total, last); });
  };
  ic.on_error = [this](const Status& error) {
    spdlog::error("{} (events are kept in memory and retried)", error.message());
    mailbox_->Post([this, message = error.message()] { journal_error_ = message; });
  };
  auto ingest = EventIngest::Start(std::move(connections[0]), std::move(ic));
  if (!ingest.ok()) return ingest.status();
  ingest_ = std::move(*ingest);

  lanes_ = std::make_shared<StorageLanes>();
  SweepScheduler::Environment env{&loop_, mailbox_->ref(), disk_, lanes_, &clock_, started_ms_};
  SweepScheduler::Callbacks sc;
  sc.spellings_of = [this](const std::vector<std::string>& ids) { return SpellingsOf(ids); };
  sc.on_records = [this](std::map<std::string, RootRecord> records) {
    if (monitor_) monitor_->SetRecords(std::move(records));
  };
  // The sweep may have cleared failed events: the counts come from a round.
  sc.on_swept = [this] {
    if (reconciler_) reconciler_->Notify(0);
  };
  sc.on_outcome = [this](SweepTrigger trigger, const SweepOutcome& outcome) {
    counters_.CountSweep(trigger, outcome);
  };
  auto sweeps = SweepScheduler::Start(
      env, std::make_unique<Connections>(std::move(connections[1]), db_), settings_,
      std::move(sc));
  if (!sweeps.ok()) return sweeps.status();
  sweeps_ = std::move(*sweeps);

  auto probe = ConnectionWorker::Start(
      "recsync-probe", std::make_unique<Connections>(std::move(connections[2]), db_));
  if (!probe.ok()) return probe.status();
  probe_ = std::move(*probe);
  reconciler_journal_ = std::move(connections[3]);
  return Status::Ok();
}

void Daemon::StartMonitor() {
  RootMonitor::Options mo;
  mo.probe_timeout = std::chrono::seconds(settings_.probe_timeout);
  mo.clock = &clock_;
  RootMonitor::Callbacks mc;
  mc.on_online = [this](const std::string& id) {
    sweeps_->Request(SweepRequest::Internal(SweepTrigger::kOnline, SpellingsOf({id})));
  };
  mc.on_pressure = [this](const std::string& id, double) {
    sweeps_->Request(SweepRequest::Internal(SweepTrigger::kPressure, SpellingsOf({id})));
  };
  mc.on_change = [this] { PushRootsToReconciler(); };
  mc.on_settled = [this] { OnRootsSettled(); };
  monitor_ = std::make_unique<RootMonitor>(&loop_, mailbox_->ref(), lanes_, disk_, mo,
                                           std::move(mc));
}

void Daemon::Fail(const std::string& why) {
  spdlog::error("{}; stopping", why);
  exit_code_ = 1;
  Stop();
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
  http_.reset();  // parked requests answer 503
  status_watch_.reset();
  // Commit what the kernel already told us, then let the workers finish the
  // step in flight (a sweep stops between batches).
  if (ingest_) ingest_->Shutdown(kIngestFlush);
  if (reconciler_) reconciler_->Shutdown();
  if (sweeps_) sweeps_->Stop();
  if (probe_) probe_->Stop();
  ingest_.reset();
  reconciler_.reset();
  // Lanes stuck in a hung mount may report later: from now on their posts
  // are dropped, so the monitor can go.
  if (mailbox_) mailbox_->Close();
  http_front_.reset();
  http_api_.reset();
  sweeps_.reset();
  const bool arming = monitor_ && monitor_->arms_in_flight() > 0;
  monitor_.reset();
  if (arming) {
    // A call stuck in a hung mount still uses the watcher; the process exits
    // right after (StopGuard at the latest), so it is left to the kernel.
    spdlog::info("a watch is still being armed on unresponsive storage; not waiting for it");
    (void)watcher_.release();
  }
  watcher_.reset();
  mailbox_.reset();
  watchdog_timer_.reset();
  // Every journal connection closes before the journal's locks go
  // (journal/journal_lock.h).
  probe_.reset();
  reconciler_journal_.reset();
  if (loop_ready_) {
    for (uv_signal_t* s : {&sigterm_, &sigint_, &sighup_}) {
      if (!uv_is_closing(AsHandle(s))) uv_close(AsHandle(s), nullptr);
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

void Daemon::Reload() {
  if (journal_guard_) journal_guard_->CheckNow();
  if (!options_.reload) return;
  spdlog::info("SIGHUP: reloading the configuration and the Storage table");
  // Reading the file may block (a configuration on a hung NFS mount).
  probe_->Post([this, mailbox = mailbox_->ref()](Connections&) {
    auto reloaded = options_.reload();
    mailbox.Post([this, reloaded] { ApplySettings(reloaded); });
  });
}

void Daemon::ApplySettings(const Result<Settings>& reloaded) {
  if (!reloaded.ok()) {
    spdlog::error("reload failed, keeping the running configuration: {}",
                  reloaded.status().message());
    return;
  }
  // Settings that name the process's own resources keep their running value.
  std::vector<std::string> warnings;
  settings_ = ApplyReload(settings_, *reloaded, &warnings);
  for (const auto& w : warnings) spdlog::warn("{}", w);
  spdlog::set_level(spdlog::level::from_str(settings_.log_level));
  sweeps_->Reconfigure(settings_);
  ReloadHttp();
  LoadRoots("reload");
}

}  // namespace recsync
