// What the fronts (control socket, HTTP) get from the SweepScheduler: the
// id of the sweep they asked for, the running sweep and its progress, and a
// cancel that ends it as cancelled. A real loop, worker, journal, MariaDB and
// filesystem; the one hook holds the sweep before its first batch.
#include <catch2/catch.hpp>

#include <condition_variable>
#include <mutex>

#include "daemon/daemon_status.h"
#include "daemon/loop_mailbox.h"
#include "daemon/sweep_scheduler.h"
#include "tests/reconcile/sweep_fixture.h"
#include "tests/support/hooked_disk.h"
#include "tests/support/test_loop.h"

using namespace recsync;
using namespace recsync::testing;

namespace {

// Holds the first lstat of `path` (the recheck of the sweep's first batch)
// until Open(), after waking the loop.
class Gate {
 public:
  Gate(std::string path, LoopMailbox::Ref mailbox)
      : path_(std::move(path)), mailbox_(std::move(mailbox)) {}
  void OnCheck(const std::string& path) {
    if (path != path_) return;
    std::unique_lock lock(mu_);
    reached_ = true;
    mailbox_.Post([] {});
    opened_cv_.wait_for(lock, std::chrono::seconds(10), [&] { return opened_; });
  }
  bool reached() {
    std::lock_guard lock(mu_);
    return reached_;
  }
  void Open() {
    std::lock_guard lock(mu_);
    opened_ = true;
    opened_cv_.notify_all();
  }

 private:
  const std::string path_;
  LoopMailbox::Ref mailbox_;
  std::mutex mu_;
  std::condition_variable opened_cv_;
  bool reached_ = false, opened_ = false;
};

}  // namespace

TEST_CASE_METHOD(SweepFixture,
                 "a front learns its sweep's id, watches its progress and cancels it") {
  for (int i = 0; i < 6; ++i) AddRecording("14-00-0" + std::to_string(i) + ".mp4");
  for (int i : {1, 3, 5}) RemoveFile(RecordingPath("14-00-0" + std::to_string(i) + ".mp4"));

  TestLoop loop;
  LoopMailbox mailbox(loop.get());
  Gate gate(RecordingPath("14-00-01.mp4"), mailbox.ref());
  SweepScheduler::Environment env{
      loop.get(), mailbox.ref(),
      std::make_shared<HookedDisk>(tmp.Sub("fstab"), nullptr,
                                   [&gate](const std::string& p) { gate.OnCheck(p); }),
      std::make_shared<StorageLanes>(), &clock, 0};
  SweepScheduler::Callbacks callbacks;
  callbacks.spellings_of = [this](const std::vector<std::string>&) {
    return std::vector<std::string>{root};
  };
  callbacks.on_records = [](std::map<std::string, RootRecord>) {};
  callbacks.on_swept = [] {};
  Settings settings;
  settings.fstab = tmp.Sub("fstab");
  auto scheduler = SweepScheduler::Start(
      env, std::make_unique<Connections>(OpenJournal(), db.config()), settings, callbacks);
  REQUIRE(scheduler.ok());
  SweepScheduler& s = **scheduler;

  SweepSpec spec;
  spec.batch_size = 2;
  int64_t started_id = 0;
  std::optional<SweepOutcome> outcome;
  s.Request(SweepRequest::Manual(
      spec, {}, [&](const SweepOutcome& o) { outcome = o; },
      [&](int64_t id) { started_id = id; }));
  REQUIRE(s.running());  // started at once, without an id yet
  CHECK(s.running()->id == 0);
  CHECK(s.Cancel(0).code() == Code::kNotFound);

  REQUIRE(loop.RunUntil([&] { return started_id != 0 && gate.reached(); }));
  auto running = s.running();
  REQUIRE(running);
  CHECK(running->id == started_id);
  CHECK(running->trigger == SweepTrigger::kManual);
  CHECK_FALSE(running->dry_run);
  CHECK_FALSE(running->cancelling);
  CHECK(running->progress.sweep_id == started_id);
  CHECK(running->progress.phase == SweepPhase::kArchiving);
  CHECK(running->progress.rows_seen == 6);
  CHECK(running->progress.missing == 3);
  CHECK(running->progress.archived == 0);

  // status --json shows it.
  DaemonStatus status;
  status.sweep = s.status();
  const auto json = StatusToJson(status);
  CHECK(json["sweep"]["running"] == true);
  CHECK(json["sweep"]["current"]["id"] == started_id);
  CHECK(json["sweep"]["current"]["phase"] == "archiving");
  CHECK(json["sweep"]["current"]["progress"]["rows_seen"] == 6);
  CHECK(json["sweep"]["current"]["progress"]["missing"] == 3);

  // Only the running sweep's id is taken.
  CHECK(s.Cancel(started_id + 1).code() == Code::kNotFound);
  CHECK_FALSE(s.running()->cancelling);
  REQUIRE(s.Cancel(started_id).ok());
  CHECK(s.Cancel(started_id).ok());  // asked again: still fine
  CHECK(s.running()->cancelling);
  gate.Open();

  REQUIRE(loop.RunUntil([&] { return outcome.has_value(); }));
  REQUIRE(outcome->status.ok());  // not an error: not tried again
  CHECK(outcome->report.cancelled);
  CHECK(outcome->report.sweep_id == started_id);
  CHECK(outcome->report.archived() == 0);
  CHECK(db.ArchivedMediaIds().empty());
  CHECK_FALSE(s.running());
  CHECK(s.status().queued == 0);
  status.sweep = s.status();
  CHECK(StatusToJson(status)["sweep"]["current"].is_null());
  CHECK(s.Cancel(started_id).code() == Code::kNotFound);

  auto sweeps = OpenJournal()->ListSweeps(1);
  REQUIRE(sweeps.ok());
  REQUIRE(sweeps->size() == 1);
  CHECK((*sweeps)[0].id == started_id);
  CHECK((*sweeps)[0].outcome == "cancelled");
  s.Stop();
}
