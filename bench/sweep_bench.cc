// bench/sweep_bench: the naive sweep against `recsync sweep`, on the same data.
//
//   sweep_bench --recsync BIN --naive BIN --generate BIN --socket S --db D
//               --root R --rows N --conf BLUECHERRY_CONF --workdir W
//               [--rounds 3] [--scenario NAME:RATIO ...] [--no-warmup]
// For each scenario (default steady:0.001 and recovery:0.1, in that order:
// the removed sets are nested) the files are removed with `generate remove`,
// then one untimed warm-up of each tool, then `rounds` rounds of naive and
// recsync alternately, each on freshly reset rows (archive=0). recsync runs
// twice per round:
// - cold: on a new journal, so it lists every folder (a first sweep);
// - warm: on the journal of its previous warm run, after `generate churn`
//   recreated and unlinked the removed files again, so that exactly the
//   folders that lost files since the last sweep have changed (the hourly
//   sweep of a running recorder: see reconcile/listing_cache.h).
// Each child's wall time and peak RSS come from wait4(). Every run must
// archive exactly the ids whose files were removed, or the benchmark fails
// (exit 1).
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <sqlite3.h>

#include "bench/bench_lib.h"

using namespace bench;

namespace {

// Every Media id the journal's last sweep recorded as archived.
std::set<int64_t> JournalArchivedIds(const std::string& journal) {
  std::set<int64_t> ids;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(journal.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db,
                           "SELECT media_id FROM actions WHERE action = 'archive' AND confirmed = 1 "
                           "AND cause = 'sweep' AND cause_id = (SELECT MAX(id) FROM sweeps)",
                           -1, &st, nullptr) == SQLITE_OK) {
      while (sqlite3_step(st) == SQLITE_ROW) ids.insert(sqlite3_column_int64(st, 0));
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return ids;
}


// Waits until the previous run's after-effects are gone, so each timed run
// starts on a quiet machine, whichever tool it is:
// - dirty pages written back (the generator's files, the journals);
// - InnoDB's purge of the reset's undo records done (it runs in the
//   background and would take CPU from whichever tool runs next; the
//   two-core sweep loses more to it than the one-thread baseline);
// - InnoDB's dirty pages flushed, so the redo log's checkpoint age is back
//   to zero. Left alone, the page cleaner (innodb_io_capacity 200) keeps
//   nearly every page of the tables dirty after a reset (10,700 of 11,800
//   here, a checkpoint age of 100 MB) and the age grows with every round,
//   so some later run, of either tool, pays for flushing what earlier runs
//   dirtied. The cleaner gets a large I/O budget for the flush (about 1 s)
//   and its settings back before the run.
// At most 30 s for the purge and 60 s for the flush.
// Waits while `sql` (one integer) is above `limit`, for at most `limit_time`.
void WaitWhileAbove(Db& db, const std::string& sql, int64_t limit,
                    std::chrono::seconds limit_time) {
  const auto deadline = std::chrono::steady_clock::now() + limit_time;
  while (std::chrono::steady_clock::now() < deadline && db.QueryInt(sql) > limit) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void Settle(Db& db) {
  ::sync();
  WaitWhileAbove(db,
                 "SELECT COUNT FROM information_schema.INNODB_METRICS "
                 "WHERE NAME = 'trx_rseg_history_len'",
                 100, std::chrono::seconds(30));
  const int64_t io = db.QueryInt("SELECT @@GLOBAL.innodb_io_capacity");
  const int64_t io_max = db.QueryInt("SELECT @@GLOBAL.innodb_io_capacity_max");
  const int64_t dirty_pct = db.QueryInt("SELECT ROUND(@@GLOBAL.innodb_max_dirty_pages_pct)");
  db.Exec("SET GLOBAL innodb_io_capacity_max = 100000");
  db.Exec("SET GLOBAL innodb_io_capacity = 50000");
  db.Exec("SET GLOBAL innodb_max_dirty_pages_pct = 0");
  WaitWhileAbove(db,
                 "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
                 "WHERE VARIABLE_NAME = 'INNODB_BUFFER_POOL_PAGES_DIRTY'",
                 0, std::chrono::seconds(60));
  db.Exec("SET GLOBAL innodb_max_dirty_pages_pct = " + std::to_string(dirty_pct));
  db.Exec("SET GLOBAL innodb_io_capacity = " + std::to_string(io));
  db.Exec("SET GLOBAL innodb_io_capacity_max = " + std::to_string(io_max));
  ::sync();  // what the flush wrote
}

struct Run {
  double wall_ms = 0;
  double rss_mib = 0;
  int64_t archived = 0;
};

std::set<int64_t> ParseIds(const std::string& text) {
  std::set<int64_t> ids;
  std::istringstream in(text);
  int64_t id;
  while (in >> id) ids.insert(id);
  return ids;
}

}  // namespace

int main(int argc, char** argv) {
  Args args(argc, argv, 1);
  const std::string recsync = args.Need("recsync");
  const std::string naive = args.Need("naive");
  const std::string generate = args.Need("generate");
  const std::string socket = args.Need("socket");
  const std::string dbname = args.Need("db");
  const std::string conf = args.Need("conf");
  const std::string work = args.Need("workdir");
  const int rounds = static_cast<int>(args.GetInt("rounds", 3));
  const bool warmup = !args.Flag("no-warmup");
  Layout layout;
  layout.root = args.Need("root");
  layout.rows = args.GetInt("rows", 1'000'000);
  std::vector<std::string> scenarios = args.All("scenario");
  if (scenarios.empty()) scenarios = {"steady:0.001", "recovery:0.1"};

  Db db(socket, dbname);
  const int64_t total_rows = db.QueryInt("SELECT COUNT(*) FROM Media");
  struct Row {
    std::string name;
    int64_t missing;
    std::vector<Run> naive, cold, warm;
  };
  std::vector<Row> table;
  bool all_ok = true;
  int seq = 0;

  for (const auto& spec : scenarios) {
    const auto colon = spec.find(':');
    if (colon == std::string::npos) Die("--scenario NAME:RATIO, not " + spec);
    const std::string name = spec.substr(0, colon);
    const double ratio = std::stod(spec.substr(colon + 1));
    char ratio_text[32];
    std::snprintf(ratio_text, sizeof ratio_text, "%g", ratio);
    auto gen = RunChild({generate, "remove", "--root", layout.root, "--rows",
                         std::to_string(layout.rows), "--ratio", ratio_text},
                        "", "");
    if (gen.exit_code != 0) Die("generate remove failed");
    std::set<int64_t> expected;
    for (int64_t i = 0; i < layout.rows; ++i) {
      if (Removed(i, ratio)) expected.insert(layout.IdOf(i));
    }
    std::printf("\n== sweep scenario %s: %lld active rows (%lld in Media), %zu files missing\n",
                name.c_str(), static_cast<long long>(layout.rows),
                static_cast<long long>(total_rows), expected.size());
    std::printf("%-10s %-5s %-8s %10s %12s %10s %9s\n", "scenario", "round", "tool", "wall_s",
                "rows/s", "rss_MiB", "archived");
    Row row{name, static_cast<int64_t>(expected.size()), {}, {}, {}};
    const std::string warm_journal = work + "/journal-warm-" + name + ".db";

    enum class Tool { kNaive, kCold, kWarm };
    auto run_one = [&](Tool tool, int round) -> Run {
      const bool is_naive = tool == Tool::kNaive;
      if (tool == Tool::kWarm) {
        auto churn = RunChild({generate, "churn", "--root", layout.root, "--rows",
                               std::to_string(layout.rows), "--ratio", ratio_text},
                              "", "");
        if (churn.exit_code != 0) Die("generate churn failed");
      }
      ResetRows(db, layout);
      Settle(db);
      const std::string out = work + "/out-" + std::to_string(++seq) + ".txt";
      const std::string err = work + "/err-" + std::to_string(seq) + ".txt";
      const std::string ids_file = work + "/ids-" + std::to_string(seq) + ".txt";
      const std::string journal = tool == Tool::kWarm
                                      ? warm_journal
                                      : work + "/journal-" + std::to_string(seq) + ".db";
      ChildResult cr;
      std::set<int64_t> got;
      if (is_naive) {
        cr = RunChild({naive, "--socket", socket, "--db", dbname, "--ids-out", ids_file}, out,
                      err);
        if (cr.exit_code != 0) Die("naive_sweep failed (" + err + ")");
        got = ParseIds(ReadFile(ids_file));
      } else {
        cr = RunChild({recsync, "sweep", "--json", "--min-age", "0", "--max-missing-ratio", "1",
                       "--storage", layout.root, "--journal", journal, "--bluecherry-conf", conf,
                       "--control-socket", work + "/unused.sock"},
                      out, err);
        if (cr.exit_code != 0) {
          // The work dir goes when the run ends: say what recsync said.
          Die("recsync sweep exited " + std::to_string(cr.exit_code) + ": " + ReadFile(err) +
              " (see " + out + ", " + err + ")");
        }
        // The JSON lists only the first rows; the journal's audit trail has
        // every archived id (and checks that it is complete).
        auto j = nlohmann::json::parse(ReadFile(out));
        got = JournalArchivedIds(journal);
        if (static_cast<int64_t>(got.size()) != j["archived"].get<int64_t>()) {
          std::fprintf(stderr, "sweep_bench: the journal lists %zu archived rows, the report %lld\n",
                       got.size(), static_cast<long long>(j["archived"].get<int64_t>()));
          got.clear();
        }
        if (tool == Tool::kCold) {
          for (const char* suffix : {"", "-wal", "-shm", ".lock"}) {
            unlink((journal + suffix).c_str());
          }
        }
      }
      const bool ok = got == expected;
      if (!ok) {
        all_ok = false;
        std::fprintf(stderr, "sweep_bench: %s archived %zu ids, expected %zu (outputs in %s)\n",
                     is_naive ? "naive" : "recsync", got.size(), expected.size(), out.c_str());
      }
      Run r{cr.wall_ms, cr.maxrss_kib / 1024.0, static_cast<int64_t>(got.size())};
      const char* tool_name = is_naive ? "naive" : tool == Tool::kCold ? "cold" : "warm";
      std::printf("%-10s %-5s %-8s %10.3f %12.0f %10.1f %9lld%s\n", name.c_str(),
                  round < 0 ? "w-up" : std::to_string(round + 1).c_str(), tool_name,
                  r.wall_ms / 1e3,
                  layout.rows / (r.wall_ms / 1e3), r.rss_mib, static_cast<long long>(r.archived),
                  ok ? "" : "  WRONG IDS");
      std::fflush(stdout);
      unlink(ids_file.c_str());
      return r;
    };

    if (warmup) {
      run_one(Tool::kNaive, -1);
      run_one(Tool::kCold, -1);
    }
    // The warm journal starts from one full sweep, untimed.
    for (const char* suffix : {"", "-wal", "-shm", ".lock"}) {
      unlink((warm_journal + suffix).c_str());
    }
    run_one(Tool::kWarm, -1);
    for (int k = 0; k < rounds; ++k) {
      row.naive.push_back(run_one(Tool::kNaive, k));
      row.cold.push_back(run_one(Tool::kCold, k));
      row.warm.push_back(run_one(Tool::kWarm, k));
    }
    table.push_back(row);
  }
  ResetRows(db, layout);

  auto wall = [](const std::vector<Run>& v) {
    std::vector<double> x;
    for (const auto& r : v) x.push_back(r.wall_ms / 1e3);
    return Summarize(x);
  };
  auto rss = [](const std::vector<Run>& v) {
    double m = 0;
    for (const auto& r : v) m = std::max(m, r.rss_mib);
    return m;
  };
  std::printf("\n### Sweep: naive vs recsync (%d rounds, medians, min–max)\n\n", rounds);
  std::printf("recsync cold: a first sweep, listing every folder; warm: the next sweep, "
              "listing only the folders that changed\n\n");
  std::printf("| scenario | active rows | missing | naive s | recsync cold s | recsync warm s | "
              "naive/cold | naive/warm | naive rows/s | warm rows/s | "
              "peak RSS MiB naive / cold / warm |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (const auto& r : table) {
    const Summary n = wall(r.naive), c = wall(r.cold), w = wall(r.warm);
    std::printf("| %s | %lld | %lld | %.3f (%.3f–%.3f) | %.3f (%.3f–%.3f) | %.3f (%.3f–%.3f) | "
                "%.2f× | %.2f× | %.0f | %.0f | %.1f / %.1f / %.1f |\n",
                r.name.c_str(), static_cast<long long>(layout.rows),
                static_cast<long long>(r.missing), n.median, n.min, n.max, c.median, c.min, c.max,
                w.median, w.min, w.max, n.median / c.median, n.median / w.median,
                layout.rows / n.median, layout.rows / w.median, rss(r.naive), rss(r.cold),
                rss(r.warm));
  }
  std::printf("\ncorrectness guard (both archived exactly the removed ids): %s\n",
              all_ok ? "ok" : "FAILED");
  return all_ok ? 0 : 1;
}
