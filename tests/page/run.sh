#!/usr/bin/env bash
# Usage: tests/page/run.sh RECSYNC_BINARY ARTIFACTS_DIR
#
# The storage page in a real browser (Debian's chromium, driven by
# playwright-core: storage_page_test.mjs) against a real `recsync run` and
# the throwaway MariaDB of scripts/with-mariadb.sh (run it inside that).
# It makes a Bluecherry database with its Users table (an administrator and
# a user without setup access), a storage root whose recordings have Media
# and EventsCam rows, and starts the daemon with its HTTP server. Once the
# startup sweep is over it adds rows whose files are not there (recordings
# deleted while nobody watched: only a sweep can find them), one of them
# with markup in its name. The browser signs in, previews, archives, follows
# the progress bar, reads the result, sees the root's figures change, finds
# the rows in the audit trail and signs out; a screenshot of each step goes
# to ARTIFACTS_DIR. Then the catalog must hold exactly those rows archived.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
fail() { echo "page test: $*" >&2; exit 1; }

[[ $# -eq 2 ]] || { echo "usage: $0 RECSYNC_BINARY ARTIFACTS_DIR" >&2; exit 2; }
recsync=$1
artifacts=$2
[[ -x "$recsync" ]] || fail "$recsync is not an executable recsync binary"
[[ -n "${RECSYNC_TEST_MYSQL_SOCKET:-}" ]] || fail "no test MariaDB: run it inside scripts/with-mariadb.sh"
command -v node >/dev/null || fail "node not found; run scripts/deps.sh"
node_major=$(node -p 'process.versions.node.split(".")[0]')
((node_major >= 20)) || fail "Node.js $(node --version) is too old for playwright-core; 20 or later is needed"
[[ -x /usr/bin/chromium ]] || fail "/usr/bin/chromium not found; run scripts/deps.sh (Debian package chromium)"
[[ -f "$here/node_modules/playwright-core/package.json" ]] ||
  fail "playwright-core is not installed in tests/page; run scripts/deps.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/recsync-page.XXXXXX")
db="recsync_page_$$"
daemon_pid=
sql() { mariadb --no-defaults --socket="$RECSYNC_TEST_MYSQL_SOCKET" -uroot "$@"; }
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
  if [[ -n "$daemon_pid" ]]; then
    kill -TERM "$daemon_pid" 2>/dev/null || true
    wait "$daemon_pid" 2>/dev/null || true
  fi
  sql -e "DROP DATABASE IF EXISTS $db; DROP USER IF EXISTS '$db'@'localhost';" 2>/dev/null || true
  if [[ -n "${RECSYNC_PAGE_KEEP:-}" ]]; then echo "page test: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- the catalog: Bluecherry's tables, its Users table with two accounts
sql -e "CREATE DATABASE $db CHARACTER SET utf8mb4;
        CREATE USER '$db'@'localhost' IDENTIFIED BY 'page-test';
        GRANT ALL ON $db.* TO '$db'@'localhost';"
sql "$db" <"$repo/scripts/bluecherry-schema.sql"
# Bluecherry's Users table (in the schema): password = md5(password + salt),
# hex; setup access makes an administrator. Its default admin is Admin /
# bluecherry; viewer may watch but not set up.
sql "$db" <<'SQL'
INSERT INTO Users (username, password, salt, name, access_setup)
VALUES ('Admin', MD5(CONCAT('bluecherry', '1234')), '1234', 'Administrator', 1),
       ('viewer', MD5(CONCAT('watch-only', 'a9Zq')), 'a9Zq', 'Viewer', 0);
SQL
[[ $(sql -N "$db" -e "SELECT password FROM Users WHERE username='Admin'") == b22dec1d6cfa580962f3a3796a5dc6b3 ]] ||
  fail "Admin's password hash is not Bluecherry's default"

# ---- a storage root whose name a page must not take for markup
root="$work/recordings <i>&amp;</i>"
sql "$db" -e "INSERT INTO Storage (priority, path, max_thresh, min_thresh) VALUES (1, '$root', 95.00, 90.00);"
base=$(date -d "3 days ago 00:00" +%s)
rows="$work/rows.sql"
: >"$rows"
for day in 0 1; do
  for cam in 1 2; do
    day_start=$((base + day * 86400))
    dir="$root/$(date -d "@$day_start" +%Y/%m/%d)/$(printf '%06d' "$cam")"
    mkdir -p "$dir"
    for clip in $(seq 0 29); do
      start=$((day_start + 3600 + clip * 600))
      file="$dir/$(date -d "@$start" +%H-%M-%S).mp4"
      head -c 4096 /dev/zero >"$file"
      echo "INSERT INTO Media (start, end, size, device_id, filepath) VALUES ($start, $((start + 600)), 4096, $cam, '$file');
INSERT INTO EventsCam (time, level_id, device_id, type_id, length, media_id) VALUES ($start, 'info', $cam, 'continuous', 600, LAST_INSERT_ID());" >>"$rows"
    done
  done
done
sql "$db" <"$rows"

cat >"$work/bluecherry.conf" <<CONF
bluecherry: { db: { type = 2; dbname = "$db"; user = "$db"; password = "page-test";
                    socket = "$RECSYNC_TEST_MYSQL_SOCKET"; }; };
CONF
: >"$work/fstab"  # no mount the machine's fstab declares concerns this root
port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')

# ---- the daemon, and its startup sweep over
"$recsync" --bluecherry-conf "$work/bluecherry.conf" --journal "$work/journal.db" \
  --control-socket "$work/control.sock" --fstab "$work/fstab" \
  run --http-listen "127.0.0.1:$port" >"$work/daemon.log" 2>&1 &
daemon_pid=$!
node "$here/await_startup_sweep.mjs" "$work/control.sock" "$daemon_pid" ||
  { echo "--- daemon log (last lines):" >&2; tail -n 30 "$work/daemon.log" >&2; exit 1; }

# ---- recordings deleted while nobody watched: rows whose files are not there
gone_dir="$root/$(date -d "@$((base + 86400))" +%Y/%m/%d)/000002"
first_gone=$(sql -N "$db" -e "SELECT COALESCE(MAX(id), 0) + 1 FROM Media")
# The hostile name first: the preview lists the first rows by id.
hostile="$gone_dir/23-59-59 <img src=x onerror=alert(1)>.mp4"
start=$((base + 86400 + 86399))
echo "INSERT INTO Media (start, end, size, device_id, filepath) VALUES ($start, $start, 4096, 2, '$hostile');" >"$rows"
for clip in $(seq 0 10); do
  start=$((base + 86400 + 3600 + clip * 600 + 300))
  echo "INSERT INTO Media (start, end, size, device_id, filepath) VALUES ($start, $((start + 600)), 4096, 2, '$gone_dir/$(date -d "@$start" +%H-%M-%S).mp4');" >>"$rows"
done
sql "$db" <"$rows"
gone_ids=$(sql -N "$db" -e "SELECT id FROM Media WHERE id >= $first_gone ORDER BY id" | tr '\n' ' ')
sql -N "$db" -e "SELECT filepath FROM Media WHERE id >= $first_gone ORDER BY id" >"$work/gone-paths.txt"

# ---- the browser
mkdir -p "$artifacts"
rm -f "$artifacts"/*.png
RECSYNC_PAGE_URL="http://127.0.0.1:$port/" \
RECSYNC_PAGE_ROOT="$root" \
RECSYNC_PAGE_GONE="$work/gone-paths.txt" \
RECSYNC_PAGE_HOSTILE="$hostile" \
RECSYNC_PAGE_ARTIFACTS="$artifacts" \
  node "$here/storage_page_test.mjs" ||
  { echo "--- daemon log (last lines):" >&2; tail -n 30 "$work/daemon.log" >&2; exit 1; }

# ---- what the catalog says: exactly the rows whose files were gone
archived=$(sql -N "$db" -e "SELECT id FROM Media WHERE archive = 1 ORDER BY id" | tr '\n' ' ')
[[ "$archived" == "$gone_ids" ]] || fail "archived Media rows are [$archived], expected [$gone_ids]"
events=$(sql -N "$db" -e "SELECT COUNT(*) FROM EventsCam WHERE archive = 1")
[[ "$events" == 0 ]] || fail "$events EventsCam rows were archived; their recordings are all on disk"
echo "page test: the page archived exactly the $(wc -l <"$work/gone-paths.txt") rows whose files were gone"
