// bench/daemon_bench: `recsync run` over the generated rows, without the
// Media(filepath) index (as every install before Bluecherry 3.1.14).
//
//   daemon_bench --recsync BIN --socket S --db D --root R --rows N
//                --conf BLUECHERRY_CONF --workdir W
//                [--rate 100] [--duration 20] [--burst 10000] [--idle 10]
//                [--watcher inotify|fanotify|auto]   (default: the daemon's own)
// Expects every file present and every row active (generate restore + reset
// happen here too). Starts the daemon, waits for its startup sweep, warms it
// with a few deletions and `recsync sync`, then measures:
//   latency  deletes at a steady rate; per delete, the journal's action
//            time_ms minus the unlink's wall-clock ms (p50, p99, max);
//   burst    rm -rf of whole camera folders holding `burst` recordings; time
//            from the end of rm until the last of their rows is archived
//            (polling MariaDB every 5 ms, and from the journal's actions);
//   idle     context switches of all the daemon's threads over `idle` s;
//   memory   VmHWM after the startup sweep and after the runs.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_daemon.h"
#include "bench/bench_lib.h"

using namespace bench;
using json = nlohmann::json;

namespace {

int64_t StatusField(int pid, const std::string& file, const std::string& key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/" + file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) return std::strtoll(line.c_str() + key.size() + 1, nullptr, 10);
  }
  return -1;
}

// Voluntary + nonvoluntary context switches of every thread of `pid`.
int64_t ContextSwitches(int pid) {
  const std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = opendir(dir.c_str());
  if (!d) return -1;
  int64_t total = 0;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    const std::string file = std::string("task/") + e->d_name + "/status";
    const int64_t v = StatusField(pid, file, "voluntary_ctxt_switches");
    const int64_t nv = StatusField(pid, file, "nonvoluntary_ctxt_switches");
    if (v > 0) total += v;
    if (nv > 0) total += nv;
  }
  closedir(d);
  return total;
}

}  // namespace

int main(int argc, char** argv) {
  Args args(argc, argv, 1);
  const std::string recsync = args.Need("recsync");
  const std::string socket = args.Need("socket");
  const std::string dbname = args.Need("db");
  const std::string conf = args.Need("conf");
  const std::string work = args.Need("workdir");
  const double rate = args.GetDouble("rate", 100);
  const double duration = args.GetDouble("duration", 20);
  const int64_t burst = args.GetInt("burst", 10000);
  const double idle_s = args.GetDouble("idle", 10);
  Layout layout;
  layout.root = args.Need("root");
  layout.rows = args.GetInt("rows", 1'000'000);

  Db db(socket, dbname);
  DropFilepathIndex(db);
  ResetRows(db, layout);

  BenchDaemon daemon(recsync, conf, work);
  auto cli = [&](const std::vector<std::string>& words, const std::string& out) {
    return daemon.Cli(words, out);
  };
  std::vector<std::string> run_args = {"--http-listen", "off"};
  if (const std::string watcher = args.Get("watcher", ""); !watcher.empty()) {
    run_args.insert(run_args.end(), {"--watcher", watcher});
  }
  daemon.Start(layout.root, run_args);
  const int pid = daemon.pid();
  const json last_sweep = daemon.startup_sweep();
  const double startup_s = daemon.startup_s();
  const int64_t hwm_startup = StatusField(pid, "status", "VmHWM");
  std::fprintf(stderr, "daemon_bench: ready after %.1f s (startup sweep %lld ms), VmHWM %lld kB\n",
               startup_s, static_cast<long long>(last_sweep.value("duration_ms", int64_t{0})),
               static_cast<long long>(hwm_startup));

  // Victims: burst folders from day 0 on; single deletions from the end.
  std::vector<std::string> burst_dirs;
  std::vector<int64_t> burst_ids;
  for (int64_t day = 0; day < layout.days() && static_cast<int64_t>(burst_ids.size()) < burst;
       ++day) {
    for (int cam = 1; cam <= layout.cameras && static_cast<int64_t>(burst_ids.size()) < burst;
         ++cam) {
      burst_dirs.push_back(layout.DirOf(day, cam));
      for (int64_t i = layout.FirstOf(day, cam); i < layout.rows && layout.DayOf(i) == day;
           i += layout.cameras) {
        burst_ids.push_back(layout.IdOf(i));
      }
    }
  }
  const int64_t burst_last_index = layout.IndexOf(*std::max_element(burst_ids.begin(), burst_ids.end()));
  std::vector<int64_t> singles;  // indexes, from the end, spread over folders
  const int64_t want = 5 + static_cast<int64_t>(rate * duration);
  for (int64_t i = layout.rows - 1; i > burst_last_index + layout.rows_per_day() &&
                                    static_cast<int64_t>(singles.size()) < want;
       i -= 37) {
    singles.push_back(i);
  }
  if (static_cast<int64_t>(singles.size()) < want) Die("too few rows for the latency run");

  // Warm-up: a few deletions and a sync.
  for (int k = 0; k < 5; ++k) unlink(layout.PathOf(singles[k]).c_str());
  if (cli({"sync"}, "").exit_code != 0) Die("recsync sync failed after the warm-up");

  // (a) latency at a steady rate.
  std::map<int64_t, double> unlinked_ms;  // media id -> epoch ms of the unlink
  const double t0 = NowMs();
  const double period_ms = 1000.0 / rate;
  for (size_t k = 5; k < singles.size(); ++k) {
    const double due = t0 + (k - 5) * period_ms;
    const double now = NowMs();
    if (due > now) std::this_thread::sleep_for(std::chrono::microseconds(int64_t((due - now) * 1000)));
    if (unlink(layout.PathOf(singles[k]).c_str()) != 0) Die("unlink: " + std::string(std::strerror(errno)));
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    unlinked_ms[layout.IdOf(singles[k])] = ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
  }
  const double achieved_rate = unlinked_ms.size() / ((NowMs() - t0) / 1e3);
  if (cli({"sync"}, "").exit_code != 0) Die("recsync sync failed after the latency run");

  auto read_actions = [&] {
    std::map<int64_t, int64_t> at;  // media id -> action time_ms
    const std::string out = work + "/actions.jsonl";
    if (cli({"journal", "actions", "--json", "--limit", "0"}, out).exit_code != 0) {
      Die("recsync journal actions failed");
    }
    std::istringstream in(ReadFile(out));
    std::string line;
    while (std::getline(in, line)) {
      const json a = json::parse(line, nullptr, false);
      if (a.is_discarded()) continue;
      at[a["media_id"].get<int64_t>()] = a["time_ms"].get<int64_t>();
    }
    return at;
  };
  std::vector<double> latencies;
  {
    const auto at = read_actions();
    for (const auto& [id, ms] : unlinked_ms) {
      auto it = at.find(id);
      if (it != at.end()) latencies.push_back(std::max(0.0, it->second - ms));
    }
  }

  // (b) burst: rm -rf of whole folders.
  const std::string lo = std::to_string(*std::min_element(burst_ids.begin(), burst_ids.end()));
  const std::string hi = std::to_string(*std::max_element(burst_ids.begin(), burst_ids.end()));
  const std::string count_q =
      "SELECT COUNT(*) FROM Media WHERE id BETWEEN " + lo + " AND " + hi + " AND archive=1";
  const int64_t before = db.QueryInt(count_q);
  std::vector<std::string> rm = {"/bin/rm", "-rf"};
  rm.insert(rm.end(), burst_dirs.begin(), burst_dirs.end());
  const ChildResult rm_result = RunChild(rm, "", "");
  const int64_t rm_end_ms = EpochMs();
  const double rm_end = NowMs();
  if (rm_result.exit_code != 0) Die("rm -rf failed");
  double burst_poll_s = -1;
  const int64_t target = before + static_cast<int64_t>(burst_ids.size());
  while (NowMs() - rm_end < 60'000) {
    if (db.QueryInt(count_q) >= target) {
      burst_poll_s = (NowMs() - rm_end) / 1e3;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (cli({"sync"}, "").exit_code != 0) Die("recsync sync failed after the burst");
  double burst_journal_s = -1;
  int64_t burst_archived = 0;
  {
    const auto at = read_actions();
    int64_t last = 0;
    for (int64_t id : burst_ids) {
      auto it = at.find(id);
      if (it == at.end()) continue;
      ++burst_archived;
      last = std::max(last, it->second);
    }
    if (burst_archived == static_cast<int64_t>(burst_ids.size())) {
      burst_journal_s = (last - rm_end_ms) / 1e3;
    }
  }

  // (c) idle wake-ups, (d) memory.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const int64_t cs0 = ContextSwitches(pid);
  std::this_thread::sleep_for(std::chrono::milliseconds(int64_t(idle_s * 1000)));
  const int64_t cs1 = ContextSwitches(pid);
  const int64_t hwm_end = StatusField(pid, "status", "VmHWM");
  const int64_t threads = StatusField(pid, "status", "Threads");
  const int exit_status = daemon.Stop();

  const bool ok = latencies.size() == unlinked_ms.size() &&
                  burst_archived == static_cast<int64_t>(burst_ids.size()) && burst_poll_s >= 0;
  std::printf("\n### Daemon: recsync run over %lld active rows, no Media(filepath) index\n\n",
              static_cast<long long>(layout.rows));
  std::printf("| measure | goal | measured |\n|---|---|---|\n");
  std::printf("| start-up until the startup sweep is done | | %.1f s (sweep %lld ms, %lld checked) |\n",
              startup_s, static_cast<long long>(last_sweep.value("duration_ms", int64_t{0})),
              static_cast<long long>(last_sweep.value("checked", int64_t{0})));
  std::printf("| delete → row archived, p50 / p99 / max (%zu of %zu deletes at %.0f/s) | ≤ 20 / ≤ 100 ms | "
              "%.0f / %.0f / %.0f ms |\n",
              latencies.size(), unlinked_ms.size(), achieved_rate, Percentile(latencies, 50),
              Percentile(latencies, 99), Percentile(latencies, 100));
  std::printf("| rm -rf of %zu recordings (%zu folders): last unlink → all archived (poll / journal) "
              "| ≤ 2 s | %.3f s / %.3f s |\n",
              burst_ids.size(), burst_dirs.size(), burst_poll_s, burst_journal_s);
  std::printf("| idle wake-ups (context switches of %lld threads over %.0f s) | timers only | %.1f /s |\n",
              static_cast<long long>(threads), idle_s, (cs1 - cs0) / idle_s);
  std::printf("| peak RSS (VmHWM) after the startup sweep / after the runs | ≤ 64 MiB | %.1f / %.1f MiB |\n",
              hwm_startup / 1024.0, hwm_end / 1024.0);
  std::printf("\ndaemon exit status on SIGTERM: %d; all deletions archived: %s\n",
              WIFEXITED(exit_status) ? WEXITSTATUS(exit_status) : -1, ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}
