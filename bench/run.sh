#!/usr/bin/env bash
# Usage: bench/run.sh [--quick] [--rows N] [--rounds R] [--archived M] [--keep]
#
# Every benchmark of docs/performance.md, on a throwaway MariaDB and a
# generated recordings tree in a temp dir:
#   1. builds Release (scripts/build.sh release) and uses build/release/recsync;
#   2. generates N active rows (default 1,000,000) with their files;
#   3. sweep_bench: naive vs `recsync sweep`, cold (a new journal: every
#      folder listed) and warm (the last run's journal: only changed folders
#      listed), steady (0.1 % missing) and recovery (10 % missing), R rounds
#      (default 3) after a warm-up;
#   4. floors: the limits of the same data, server and disk;
#   5. http_bench: `recsync run`'s HTTP API, GET /api/v1/status and /metrics
#      at 20/s each: latency idle, then during back-to-back recovery sweeps
#      (10 % missing) with deletions at 100/s (goal p99 <= 10 ms);
#   6. daemon_bench: `recsync run` without the Media(filepath) index:
#      delete latency at 100/s, an rm -rf burst of 10,000, idle wake-ups, RSS;
#   7. memory with archived history: M archived rows (default 10,000,000)
#      added, then one steady sweep round (--archived 0 skips it).
# RECSYNC_BENCH_BUILD_DIR=DIR builds the benchmarks (and recsync) in DIR instead
# of build/release; RECSYNC_BENCH_RECSYNC=BIN measures that recsync binary.
# --quick: 100,000 rows, 1 round, short daemon and HTTP runs, 200,000 archived rows:
# checks the harness works (scripts/test.sh runs it), not how fast anything is.
# Exits non-zero when a step fails or a correctness guard trips. Prints
# markdown tables that docs/performance.md reproduces.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

rows=1000000 rounds=3 archived=10000000 keep=
rate=100 duration=20 burst=10000 idle=10 reps=3 sqlite_single=20000
http_rate=20 http_duration=30
quick=
while (($#)); do
  case "$1" in
    --quick) quick=1 ;;
    --rows) rows=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    --archived) archived=$2; shift ;;
    --keep) keep=1 ;;
    *) echo "usage: $0 [--quick] [--rows N] [--rounds R] [--archived M] [--keep]" >&2; exit 2 ;;
  esac
  shift
done
if [[ -n "$quick" ]]; then
  rows=100000 rounds=1 archived=200000 duration=3 burst=2000 idle=3 reps=1 sqlite_single=2000
  http_duration=3
fi

if [[ -n "${RECSYNC_BENCH_BUILD_DIR:-}" ]]; then
  # Another Release build directory (configured here if need be).
  bin=$(realpath -m "$RECSYNC_BENCH_BUILD_DIR")
  cmake -S . -B "$bin" -DCMAKE_BUILD_TYPE=Release >/dev/null
  targets=(bench_generate bench_naive_sweep bench_sweep_bench bench_floors bench_daemon_bench
    bench_http_bench)
  [[ -n "${RECSYNC_BENCH_RECSYNC:-}" ]] || targets+=(recsync)
  cmake --build "$bin" -j"$(nproc)" --target "${targets[@]}" >/dev/null
else
  scripts/build.sh release >/dev/null
  bin="$repo/build/release"
fi
recsync=${RECSYNC_BENCH_RECSYNC:-$bin/recsync}
for tool in generate naive_sweep sweep_bench floors http_bench daemon_bench; do
  [[ -x "$bin/bench/$tool" ]] || { echo "bench: $bin/bench/$tool was not built (RECSYNC_BENCH=OFF?)" >&2; exit 1; }
done

# shellcheck source=scripts/lib/mariadb.sh
source scripts/lib/mariadb.sh
work=$(mktemp -d "${TMPDIR:-/tmp}/recsync-bench.XXXXXX")
cleanup() {
  mariadb_stop
  if [[ -n "$keep" ]]; then echo "bench: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mariadb_start "$work/db"
sock=$RECSYNC_TEST_MYSQL_SOCKET
sql() { mariadb --no-defaults --socket="$sock" -uroot "$@"; }
# Room for the 1 M-row tables, so every run reads them from memory, and a
# redo log of a production size: the throwaway servers' 16 MiB (kept small so
# test copies start fast) stalls every round that archives 100 k rows on
# checkpoints, making both tools' timings swing by a factor of two.
sql -e "SET GLOBAL innodb_buffer_pool_size = 1024*1024*1024;
        SET GLOBAL innodb_log_file_size = 512*1024*1024;
        CREATE DATABASE bluecherry;
        CREATE USER 'bluecherry'@'localhost' IDENTIFIED BY 'bench';
        GRANT ALL ON bluecherry.* TO 'bluecherry'@'localhost';"
sql bluecherry <scripts/bluecherry-schema.sql
root="$work/recordings"
mkdir -p "$root"
sql bluecherry -e "INSERT INTO Storage (priority, path, max_thresh, min_thresh) VALUES (1, '$root', 95.00, 90.00);"
conf="$work/bluecherry.conf"
cat >"$conf" <<CONF
bluecherry:
{
  db:
  {
    type = 2;
    dbname = "bluecherry";
    user = "bluecherry";
    password = "bench";
    socket = "$sock";
  };
};
CONF
mkdir -p "$work/run"
common=(--socket "$sock" --db bluecherry --root "$root" --rows "$rows")

echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo) RAM," \
  "kernel $(uname -r), $(df -T "$work" | awk 'NR==2 {print $2}') at $work," \
  "MariaDB $(sql -N -e 'SELECT VERSION()'), repo at $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "== measuring $recsync (built $(date -r "$recsync" '+%F %T'))"
echo "== generating $rows rows"
"$bin/bench/generate" load "${common[@]}"
sync  # the new tree written back before anything is timed

"$bin/bench/sweep_bench" "${common[@]}" --recsync "$recsync" --naive "$bin/bench/naive_sweep" \
  --generate "$bin/bench/generate" --conf "$conf" --workdir "$work/run" --rounds "$rounds"

"$bin/bench/floors" "${common[@]}" --workdir "$work/run" --reps "$reps" \
  --sqlite-single "$sqlite_single"

# The tree as the recovery scenario left it (10 % of the files removed).
"$bin/bench/http_bench" "${common[@]}" --recsync "$recsync" --conf "$conf" --workdir "$work/run" \
  --ratio 0.1 --rate "$rate" --request-rate "$http_rate" --duration "$http_duration"

"$bin/bench/generate" restore --root "$root" --rows "$rows"
sync  # the recreated files written back: their writeback stalls every fsync
"$bin/bench/daemon_bench" "${common[@]}" --recsync "$recsync" --conf "$conf" --workdir "$work/run" \
  --rate "$rate" --duration "$duration" --burst "$burst" --idle "$idle"

if ((archived > 0)); then
  echo
  echo "== adding $archived archived rows (the archived history)"
  "$bin/bench/generate" archived "${common[@]}" --count "$archived"
  "$bin/bench/generate" restore --root "$root" --rows "$rows"
  sync
  "$bin/bench/sweep_bench" "${common[@]}" --recsync "$recsync" --naive "$bin/bench/naive_sweep" \
    --generate "$bin/bench/generate" --conf "$conf" --workdir "$work/run" --rounds 1 \
    --scenario "steady+${archived}-archived:0.001"
fi
echo
echo "bench: done"
