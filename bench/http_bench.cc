// bench/http_bench: latency of the daemon's HTTP API while it works hardest.
//
//   http_bench --recsync BIN --socket S --db D --root R --rows N
//              --conf BLUECHERRY_CONF --workdir W
//              [--ratio 0.1] [--rate 100] [--request-rate 20] [--duration 20]
// Expects the tree as sweep_bench's recovery scenario leaves it: the files
// of `generate remove --ratio RATIO` gone, every other one present. Starts
// `recsync run` (no Media(filepath) index; HTTP on 127.0.0.1:0 with a bearer
// token), waits for its startup sweep, then requests GET /api/v1/status and
// GET /metrics, each `request-rate` times a second on a keep-alive
// connection of its own (bench/http_load.h), through two phases:
//   idle  `duration` s with nothing else to do: the baseline;
//   busy  at least `duration` s of recovery sweeps back to back (`recsync
//         sweep --relist`, through the daemon, every row reset to active
//         before each, so each archives the RATIO share again), while other
//         files are unlinked at `rate` per second for the daemon to archive.
// A busy request counts under "sweep" when it was due while a `recsync
// sweep` command ran, else under "deletes" (between sweeps, while the rows
// are reset). Prints p50 / p99 / max per phase and endpoint, and the goal
// (p99 <= 10 ms during the sweeps) as met or not met: speed never fails the
// run. Exits 1 when a request, a sweep or an unlink failed, or a sweep
// archived fewer rows than the RATIO share.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_daemon.h"
#include "bench/bench_lib.h"
#include "bench/http_load.h"

using namespace bench;
using json = nlohmann::json;

namespace {

constexpr double kGoalP99Ms = 10;

struct Interval {
  double from = 0, to = 0;
  bool Holds(double t) const { return t >= from && t < to; }
};

// Unlinks present files (not of the removed share) at a steady rate, from
// the end of the id range, every 37th row and then the next offset, so the
// deletions spread over many folders.
class Deleter {
 public:
  Deleter(const Layout& layout, double ratio, double rate)
      : layout_(layout), ratio_(ratio), rate_(rate) {}
  ~Deleter() { Stop(); }
  void Start() {
    thread_ = std::thread([this] { Run(); });
  }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int64_t deleted() const { return deleted_; }
  int64_t failed() const { return failed_; }
  double achieved_rate() const { return deleted_ / (seconds_ > 0 ? seconds_ : 1); }

 private:
  int64_t NextVictim() {
    while (offset_ < 37) {
      const int64_t i = layout_.rows - 1 - offset_ - 37 * step_++;
      if (i < 0) {
        ++offset_;
        step_ = 0;
        continue;
      }
      if (!Removed(i, ratio_)) return i;
    }
    return -1;
  }
  void Run() {
    const double t0 = NowMs();
    for (int64_t k = 0; !stop_; ++k) {
      const double due = t0 + k * 1000.0 / rate_;
      const double now = NowMs();
      if (due > now) std::this_thread::sleep_for(std::chrono::microseconds(int64_t((due - now) * 1000)));
      const int64_t i = NextVictim();
      if (i < 0) break;  // every file is gone: the rate shows it
      if (unlink(layout_.PathOf(i).c_str()) == 0) {
        ++deleted_;
      } else {
        ++failed_;
        std::fprintf(stderr, "http_bench: unlink %s: %s\n", layout_.PathOf(i).c_str(), std::strerror(errno));
      }
    }
    seconds_ = (NowMs() - t0) / 1e3;
  }

  const Layout& layout_;
  double ratio_, rate_;
  int64_t offset_ = 0, step_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> deleted_{0}, failed_{0};
  double seconds_ = 0;
  std::thread thread_;
};

// The daemon's bound address from `recsync status --json` (http.listen).
int HttpPort(const BenchDaemon& daemon) {
  const json s = daemon.Status();
  const std::string listen = s.is_discarded() ? "" : s["http"].value("listen", "");
  const size_t colon = listen.rfind(':');
  const int port = colon == std::string::npos ? 0 : std::atoi(listen.c_str() + colon + 1);
  if (port <= 0) Die("the daemon shows no HTTP address in status (http.listen \"" + listen + "\")");
  return port;
}

struct Sweeps {
  std::vector<Interval> runs;
  std::vector<double> seconds;
  int64_t fewest_archived = -1;
  bool ok = true;
};

// Recovery sweeps back to back for at least `seconds` (and at least one).
Sweeps SweepFor(double seconds, BenchDaemon& daemon, Db& db, const Layout& layout,
                const std::string& work, int64_t expected) {
  Sweeps sweeps;
  const double until = NowMs() + seconds * 1000;
  while (sweeps.runs.empty() || NowMs() < until) {
    ResetRows(db, layout);
    const std::string out = work + "/sweep.json";
    Interval run{NowMs(), 0};
    const ChildResult r = daemon.Cli({"sweep", "--json", "--relist", "--min-age", "0",
                                      "--max-missing-ratio", "1"}, out);
    run.to = NowMs();
    sweeps.runs.push_back(run);
    sweeps.seconds.push_back((run.to - run.from) / 1e3);
    const json report = json::parse(ReadFile(out), nullptr, false);
    const int64_t archived = report.is_discarded() ? -1 : report.value("archived", int64_t{-1});
    if (r.exit_code != 0 || archived < expected) {
      std::fprintf(stderr, "http_bench: sweep %zu exited %d and archived %lld rows of at least %lld (%s)\n",
                   sweeps.runs.size(), r.exit_code, static_cast<long long>(archived),
                   static_cast<long long>(expected), out.c_str());
      sweeps.ok = false;
    }
    if (sweeps.fewest_archived < 0 || archived < sweeps.fewest_archived) sweeps.fewest_archived = archived;
  }
  return sweeps;
}

struct Phase {
  std::string name;
  std::function<bool(double)> holds;
};

// One table row per phase and endpoint; true when every sample was ok and
// the sweep phase met the goal on every endpoint (in *goal_met).
bool PrintTable(const HttpLoad& load, const std::vector<Phase>& phases, bool* goal_met) {
  bool all_ok = true;
  *goal_met = true;
  std::printf("| phase | endpoint | requests | p50 ms | p99 ms | max ms | goal: p99 ≤ %.0f ms | "
              "client's own delay p99 / max ms |\n",
              kGoalP99Ms);
  std::printf("|---|---|---|---|---|---|---|---|\n");
  for (size_t p = 0; p < phases.size(); ++p) {
    for (size_t e = 0; e < load.paths().size(); ++e) {
      std::vector<double> ms, late;
      int64_t failed = 0;
      for (const HttpSample& s : load.Samples(e)) {
        if (!phases[p].holds(s.due_ms)) continue;
        late.push_back(s.late_ms);
        if (s.ok) ms.push_back(s.latency_ms); else ++failed;
      }
      all_ok = all_ok && failed == 0;
      const double p99 = Percentile(ms, 99);
      const bool is_goal = p + 1 == phases.size();
      if (is_goal && (ms.empty() || p99 > kGoalP99Ms)) *goal_met = false;
      std::printf("| %s | %s | %zu%s | %.1f | %.1f | %.1f | %s | %.1f / %.1f |\n",
                  phases[p].name.c_str(), load.paths()[e].c_str(), ms.size(),
                  failed ? (" (+" + std::to_string(failed) + " FAILED)").c_str() : "",
                  Percentile(ms, 50), p99, Percentile(ms, 100),
                  !is_goal ? "" : p99 <= kGoalP99Ms && !ms.empty() ? "met" : "not met",
                  Percentile(late, 99), Percentile(late, 100));
    }
  }
  return all_ok;
}

// Prints the table and the summary; true when every request was answered.
bool Report(const HttpLoad& load, const Interval& idle, const Interval& busy, const Sweeps& sweeps,
            const Deleter& deleter, int64_t rows, int64_t expected, double rate,
            double request_rate) {
  auto in_sweep = [&](double t) {
    return std::any_of(sweeps.runs.begin(), sweeps.runs.end(), [t](const Interval& r) { return r.Holds(t); });
  };
  const std::string deletes = "deletes at " + std::to_string(int(rate)) + "/s";
  const std::vector<Phase> phases = {
      {"idle (baseline)", [&](double t) { return idle.Holds(t); }},
      {deletes + ", between sweeps", [&](double t) { return busy.Holds(t) && !in_sweep(t); }},
      {"recovery sweep + " + deletes, [&](double t) { return busy.Holds(t) && in_sweep(t); }},
  };
  const Summary took = Summarize(sweeps.seconds);
  std::printf("\n### HTTP API: GET latency while the daemon sweeps %lld active rows (%lld missing)\n\n",
              static_cast<long long>(rows), static_cast<long long>(expected));
  std::printf("Each endpoint %.0f times a second on a keep-alive connection of its own, with the bearer "
              "token, from client threads at %s; latency from when each request was due to the "
              "answer's last byte (the client's own delay, from due to sent, included).\n\n",
              request_rate, load.raised_priority() ? "nice -10" : "normal priority (nice -10 refused)");
  bool goal_met = false;
  const bool requests_ok = PrintTable(load, phases, &goal_met);
  std::printf("\n%zu recovery sweeps (`recsync sweep --relist` in the daemon), %.2f s each (%.2f–%.2f), "
              "each archiving at least %lld rows; %lld files unlinked at %.0f/s meanwhile\n",
              sweeps.runs.size(), took.median, took.min, took.max,
              static_cast<long long>(sweeps.fewest_archived), static_cast<long long>(deleter.deleted()),
              deleter.achieved_rate());
  std::printf("goal (p99 ≤ %.0f ms on both endpoints during the sweeps): %s\n", kGoalP99Ms,
              goal_met ? "met" : "not met");
  return requests_ok;
}

}  // namespace

int main(int argc, char** argv) {
  Args args(argc, argv, 1);
  const std::string work = args.Need("workdir");
  const double ratio = args.GetDouble("ratio", 0.1);
  const double rate = args.GetDouble("rate", 100);
  const double request_rate = args.GetDouble("request-rate", 20);
  const double duration = args.GetDouble("duration", 20);
  Layout layout;
  layout.root = args.Need("root");
  layout.rows = args.GetInt("rows", 1'000'000);

  int64_t expected = 0;
  for (int64_t i = 0; i < layout.rows; ++i) expected += Removed(i, ratio) ? 1 : 0;
  Db db(args.Need("socket"), args.Need("db"));
  DropFilepathIndex(db);
  ResetRows(db, layout);
  const std::string token(64, 'b');
  WriteFile(work + "/api-token", token + "\n");

  BenchDaemon daemon(args.Need("recsync"), args.Need("conf"), work);
  daemon.Start(layout.root, {"--http-listen", "127.0.0.1:0", "--api-token-file", work + "/api-token"});
  std::fprintf(stderr, "http_bench: ready after %.1f s (startup sweep %lld ms, %lld archived)\n",
               daemon.startup_s(), static_cast<long long>(daemon.startup_sweep().value("duration_ms", int64_t{0})),
               static_cast<long long>(daemon.startup_sweep().value("archived", int64_t{0})));

  HttpLoad load("127.0.0.1", HttpPort(daemon), token, {"/api/v1/status", "/metrics"}, request_rate);
  load.Start();
  std::this_thread::sleep_for(std::chrono::seconds(1));  // connections open, first answers
  const Interval idle{NowMs(), NowMs() + duration * 1000};
  std::this_thread::sleep_for(std::chrono::milliseconds(int64_t(duration * 1000)));

  Deleter deleter(layout, ratio, rate);
  const double busy_from = NowMs();
  deleter.Start();
  const Sweeps sweeps = SweepFor(duration, daemon, db, layout, work, expected);
  const Interval busy{busy_from, NowMs()};
  deleter.Stop();
  load.Stop();
  const int exit_status = daemon.Stop();
  ResetRows(db, layout);

  const bool requests_ok = Report(load, idle, busy, sweeps, deleter, layout.rows, expected, rate,
                                  request_rate);
  const bool ok = requests_ok && sweeps.ok && deleter.failed() == 0;
  std::printf("daemon exit status on SIGTERM: %d; every request answered 200, every sweep and unlink done: %s\n",
              WIFEXITED(exit_status) ? WEXITSTATUS(exit_status) : -1, ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}
