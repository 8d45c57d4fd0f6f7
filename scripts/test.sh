#!/usr/bin/env bash
# The test command: installs what is missing, builds twice (Release, and Debug
# with ASan+UBSan), starts a throwaway MariaDB on a unix socket in a temp dir
# (never the system one) and runs every test in both builds. Exits non-zero on
# any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
scripts/build.sh release
scripts/build.sh asan

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
jobs=$(nproc)
scripts/with-mariadb.sh bash -c "
  set -e
  echo '== tests: release build'
  ctest --test-dir build/release --output-on-failure -j$jobs
  echo '== tests: asan+ubsan build'
  ctest --test-dir build/asan --output-on-failure -j$jobs
"

# The benchmarks still work (a quick run on 100,000 rows; it checks the
# harness and its correctness guards, not speed).
echo '== benchmark smoke run: bench/run.sh --quick'
bench/run.sh --quick
