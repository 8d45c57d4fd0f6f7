#!/usr/bin/env bash
# Usage: scripts/with-mariadb.sh CMD [ARGS...]
#
# Runs CMD with a throwaway MariaDB server (see scripts/lib/mariadb.sh for the
# RECSYNC_TEST_* variables it exports), then stops the server and removes its
# directory, whatever happens. Exits with CMD's exit code.
#
# CMD also gets TMPDIR inside that directory, so private servers a test starts
# (and anything else it leaves behind, even after a crash) go away with it.
set -euo pipefail

if [[ $# -eq 0 ]]; then
  echo "usage: $0 CMD [ARGS...]" >&2
  exit 2
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib/mariadb.sh
source "$here/lib/mariadb.sh"

dir=$(mktemp -d "${TMPDIR:-/tmp}/recsync-mariadb.XXXXXX")
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
  mariadb_stop
  mariadb_reap_strays "$dir"
  if [[ -n "${RECSYNC_KEEP_MARIADB_DIR:-}" ]]; then
    echo "with-mariadb: kept $dir" >&2
  else
    rm -rf "$dir"
  fi
}
trap cleanup EXIT
# Turn signals into a normal exit so the EXIT trap runs.
trap 'exit 130' INT
trap 'exit 143' TERM

if ! mariadb_start "$dir/server"; then
  # The directory goes away on exit: show the logs' tails while they exist.
  logs=("$dir"/server/error.log "$dir"/server/mariadbd.out)
  [[ -d "$dir/server/template/mysql" ]] || logs=("$dir"/server/install.log)
  for log in "${logs[@]}"; do
    if [[ -s "$log" ]]; then
      echo "--- last lines of $log:" >&2
      tail -n 20 "$log" >&2
    fi
  done
  exit 1
fi
mkdir -p "$dir/tmp"
export TMPDIR="$dir/tmp"

rc=0
"$@" || rc=$?
exit "$rc"
