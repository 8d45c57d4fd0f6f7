// Reconciler: the daemon's thread that settles journaled events against the
// catalog (EventApplier), with its own database connection and journal.
//
// Contract
// - Notify(seq) says events up to `seq` are committed; the reconciler runs
//   passes until every pending file event is settled, held (its root is
//   offline) or waiting for the other half of a rename, and then reports the
//   seq it caught up to. Events are taken in seq order, so a backlog drains
//   in the order things happened.
// - A database outage (kUnavailable) leaves events pending; passes are
//   retried with capped exponential backoff and `on_db` reports the state.
// - Held events: an event under a root the daemon marked offline, or whose
//   root does not pass the sweep's online checks at the time of the pass
//   (an unmount the watcher has not reported yet), is never applied: on an
//   unmounted root every file looks deleted.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "catalog/catalog.h"
#include "common/clock.h"
#include "journal/journal.h"
#include "fs/disk.h"
#include "reconcile/event_applier.h"
#include "reconcile/root_assessor.h"
#include "reconcile/storage_root.h"

namespace recsync {

struct ReconcilerOptions {
  DbConfig db;
  CatalogOptions catalog;
  std::chrono::milliseconds probe_timeout{10000};
  std::chrono::milliseconds max_backoff{10000};
  // How long a deleted path must stay absent before its rows are archived,
  // and how far back a file coming back restores its row (ApplierOptions).
  std::chrono::milliseconds settle{30};
  std::chrono::milliseconds restore_window{std::chrono::hours(24 * 30)};
  // Intents older than this (the daemon's start) are a crash's; settle them.
  int64_t settle_intents_before_ms = 0;
  // The daemon's storage lanes (one thread per root for calls that may hang).
  std::shared_ptr<StorageLanes> lanes;
};

// What the reconciler reports after each round of passes.
struct ReconcilerReport {
  int64_t caught_up_seq = -1;  // >= 0: every event up to it is settled or held
  int64_t pending = 0;         // events still pending (held ones included)
  int64_t failed = 0;
  ApplyStats last;  // the figures of the round's passes, summed
  // Why events were left pending by the catalog this round ("" when none).
  std::string retry_error;
};

class Reconciler {
 public:
  struct Callbacks {
    // The database state after each attempt: connected, or the last error.
    std::function<void(bool connected, const std::string& error)> on_db;
    std::function<void(const ReconcilerReport&)> on_round;
  };

  // Starts the reconciler's thread; kUnavailable when it cannot be started.
  static Result<std::unique_ptr<Reconciler>> Start(ReconcilerOptions options,
                                                   std::unique_ptr<Journal> journal,
                                                   std::shared_ptr<DiskInterface> disk,
                                                   const Clock& clock, Callbacks callbacks);
  ~Reconciler();  // Shutdown()
  Reconciler(const Reconciler&) = delete;
  Reconciler& operator=(const Reconciler&) = delete;

  // Events up to `seq` are in the journal. Any thread.
  void Notify(int64_t seq);
  // The managed roots (canonical paths), which of them are offline, and the
  // other configured spellings of each; a root coming back makes the next
  // pass start over, so its held events are applied. Any thread.
  void SetRoots(std::vector<std::string> roots, std::set<std::string> offline,
                std::map<std::string, std::vector<std::string>> aliases = {});
  // Finishes the pass in flight and joins the thread.
  void Shutdown();

 private:
  Reconciler(ReconcilerOptions options, std::unique_ptr<Journal> journal,
             std::shared_ptr<DiskInterface> disk, const Clock& clock, Callbacks callbacks);
  using SteadyClock = std::chrono::steady_clock;
  // What a round of passes leaves for the next one.
  struct Round {
    bool retry = false;  // the catalog failed or left events to retry: back off
    std::optional<SteadyClock::time_point> wake_at;  // a rename's other half is due
  };

  void Run();
  // Connects (after a failure: again) and settles a crash's intents; false
  // while the database cannot be reached.
  bool ConnectCatalog();
  // Passes until caught up, a wait or an error; reports the round.
  Round RunRound();
  ApplierOptions ApplierOptionsFor(RootVerdicts& verdicts);
  void Report(ReconcilerReport& report);
  // Whether events under `path` wait: its root is offline (as the daemon
  // says, or as this pass's `verdicts` find it).
  bool Held(const std::string& path, RootVerdicts& verdicts);
  std::string RootOf(const std::string& path) const;  // caller holds mu_
  // The path under each other spelling of its root. Reconciler thread.
  std::vector<std::string> AliasesOf(const std::string& path);

  ReconcilerOptions options_;
  std::unique_ptr<Journal> journal_;
  std::shared_ptr<DiskInterface> disk_;
  const Clock& clock_;
  Callbacks callbacks_;
  std::unique_ptr<Catalog> catalog_;
  std::unique_ptr<PathResolver> resolver_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool news_ = true;  // replay whatever is pending at start
  int64_t known_seq_ = 0;
  std::vector<std::string> roots_;
  std::set<std::string> offline_;
  std::map<std::string, std::vector<std::string>> aliases_;
  std::thread thread_;
};

}  // namespace recsync
