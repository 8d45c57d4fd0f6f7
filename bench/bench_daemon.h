// BenchDaemon: one `recsync run` started by a benchmark (never part of the
// product), over the generated tree, with its journal and control socket in
// the benchmark's work dir.
//
// Start() launches it and returns once `recsync status --json` shows it
// ready with its startup sweep done (at most 600 s; otherwise, or if the
// daemon exits first, the benchmark dies with the log's path). Until Stop(),
// a Die() anywhere stops the daemon first, so a failed run leaves nothing
// watching the tree. Cli() runs a `recsync` command against it (status, sync,
// sweep, journal ...), the common flags appended.
//
// Thread rules: one thread drives a BenchDaemon, Cli() included (the
// commands share their output files in the work dir).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/bench_lib.h"

namespace bench {

class BenchDaemon {
 public:
  BenchDaemon(std::string recsync, std::string conf, std::string work);
  ~BenchDaemon();
  BenchDaemon(const BenchDaemon&) = delete;
  BenchDaemon& operator=(const BenchDaemon&) = delete;

  // `recsync run --storage root` + run_args, on a new journal.
  void Start(const std::string& root, const std::vector<std::string>& run_args);
  // SIGTERM, then waits; the wait status.
  int Stop();

  // `recsync WORDS --journal J --control-socket S --bluecherry-conf C`,
  // stdout to `out` (empty: inherited), stderr to the work dir's cli.err.
  ChildResult Cli(const std::vector<std::string>& words, const std::string& out) const;
  // `recsync status --json`, parsed; a discarded json when it failed.
  nlohmann::json Status() const;

  int pid() const { return pid_; }
  double startup_s() const { return startup_s_; }
  const nlohmann::json& startup_sweep() const { return startup_sweep_; }

 private:
  std::string recsync_, conf_, work_, journal_, control_;
  int pid_ = -1;
  double startup_s_ = 0;
  nlohmann::json startup_sweep_;
};

// Drops every index of Media whose first column is filepath (as every
// install before Bluecherry 3.1.14): the daemon must not need one.
void DropFilepathIndex(Db& db);

}  // namespace bench
