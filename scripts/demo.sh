#!/usr/bin/env bash
# recsync end to end, on a throwaway MariaDB and a generated recordings tree:
#   1. builds recsync and starts a private MariaDB with Bluecherry's schema;
#   2. writes a few hundred recordings in Bluecherry's layout, with their
#      Media and EventsCam rows;
#   3. deletes some of them behind the database's back (a camera's whole day,
#      and a scattering of single files), as a crash or a manual rm would;
#   4. runs `recsync sweep --dry-run`, then `recsync sweep`, and shows the
#      summary, `recsync journal sweeps`, the audit trail and the archived rows;
#   5. starts the daemon (`recsync run`), shows the storage page's address and
#      its API with a token from `recsync token new`, then the daemon archiving
#      a deletion and following a rename live, then stops it with SIGTERM.
# Nothing outside a temp dir is touched; everything is removed on exit
# (RECSYNC_DEMO_KEEP=1 keeps it). RECSYNC_DEMO_PAUSE=1 waits for Enter before
# stopping the daemon, to look at the page in a browser.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

scripts/deps.sh
scripts/build.sh release >/dev/null
recsync_bin="$repo/build/release/recsync"

# shellcheck source=lib/mariadb.sh
source scripts/lib/mariadb.sh
demo=$(mktemp -d /tmp/recsync-demo.XXXXXX)
daemon_pid=
cleanup() {
  if [[ -n "$daemon_pid" ]]; then kill "$daemon_pid" 2>/dev/null || true; wait "$daemon_pid" 2>/dev/null || true; fi
  mariadb_stop
  if [[ -n "${RECSYNC_DEMO_KEEP:-}" ]]; then echo "demo: kept $demo"; else rm -rf "$demo"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "Starting a throwaway MariaDB in $demo/db"
mariadb_start "$demo/db"
sql() { mariadb --no-defaults --socket="$RECSYNC_TEST_MYSQL_SOCKET" -uroot "$@"; }
sql -e "CREATE DATABASE bluecherry; CREATE USER 'bluecherry'@'localhost' IDENTIFIED BY 'demo;\"pass';
        GRANT ALL ON bluecherry.* TO 'bluecherry'@'localhost';"
sql bluecherry <scripts/bluecherry-schema.sql

storage="$demo/recordings"
sql bluecherry -e "INSERT INTO Storage (priority, path, max_thresh, min_thresh) VALUES (1, '$storage', 95.00, 90.00);"
# The administrator Bluecherry installs (Admin / bluecherry): the storage page
# signs in with Bluecherry's own accounts.
sql bluecherry -e "INSERT INTO Users (username, password, salt, name, access_setup)
                   VALUES ('Admin', MD5(CONCAT('bluecherry', '1234')), '1234', 'Administrator', 1);"

# Bluecherry's own config file, as the packages install it (libconfig syntax).
cat >"$demo/bluecherry.conf" <<EOF
version = "1.0";
bluecherry:
{
  db:
  {
    # 0 = sqlite, 1 = pgsql, 2 = mysql
    type = 2;
    dbname = "bluecherry";
    user = "bluecherry";
    password = "demo;\"pass";
    socket = "$RECSYNC_TEST_MYSQL_SOCKET";
    userhost = "localhost";
  };
};
EOF

step "Recording: 3 days x 4 cameras x 25 clips (+ .jpg sidecars) under $storage"
base=$(date -d "3 days ago 00:00" +%s)
inserts="$demo/rows.sql"
: >"$inserts"
count=0
for day in 0 1 2; do
  for cam in 1 2 3 4; do
    day_start=$((base + day * 86400))
    dir="$storage/$(date -d "@$day_start" +%Y/%m/%d)/$(printf '%06d' "$cam")"
    mkdir -p "$dir"
    for clip in $(seq 0 24); do
      start=$((day_start + 3600 + clip * 900))
      name=$(date -d "@$start" +%H-%M-%S)
      [[ $((clip % 5)) -eq 0 ]] && name="$name-motion"
      head -c 2048 /dev/urandom >"$dir/$name.mp4"
      : >"$dir/$name.jpg"
      echo "INSERT INTO Media (start, end, size, device_id, filepath, archive) VALUES ($start, $((start + 900)), 2048, $cam, '$dir/$name.mp4', 0);" >>"$inserts"
      echo "INSERT INTO EventsCam (time, level_id, device_id, type_id, length, archive, media_id) VALUES ($start, 'info', $cam, 'continuous', 900, 0, LAST_INSERT_ID());" >>"$inserts"
      count=$((count + 1))
    done
  done
done
sql bluecherry <"$inserts"
echo "$count recordings on disk, $(sql -N bluecherry -e 'SELECT COUNT(*) FROM Media WHERE archive=0') active Media rows"

step "Deleting files behind Bluecherry's back"
gone_day="$storage/$(date -d "@$((base + 86400))" +%Y/%m/%d)/000002"
echo "rm -rf $gone_day   (camera 2, a whole day: 25 clips)"
rm -rf "$gone_day"
echo "rm of 10 single clips on other cameras (their .jpg sidecars stay)"
find "$storage" -name '*.mp4' | sort | awk 'NR % 29 == 0 && n++ < 10' | xargs rm -f
echo "$(find "$storage" -name '*.mp4' | wc -l) clips left on disk; the database still lists $(sql -N bluecherry -e 'SELECT COUNT(*) FROM Media WHERE archive=0') as active"

run() {
  echo "\$ recsync $*"
  "$recsync_bin" --bluecherry-conf "$demo/bluecherry.conf" --journal "$demo/journal.db" \
    --control-socket "$demo/control.sock" "$@"
}

step "What a sweep would do (nothing changes)"
run sweep --dry-run >"$demo/dry-run.txt" || true
head -8 "$demo/dry-run.txt"
echo "  ... ($(grep -c 'would archive' "$demo/dry-run.txt") rows in all)"

step "The sweep"
run sweep

step "recsync journal sweeps"
run journal sweeps

step "recsync journal actions (the audit trail; first 5)"
run journal actions --limit 5

step "The database now"
sql bluecherry -t -e "SELECT archive, COUNT(*) AS media_rows FROM Media GROUP BY archive;
                      SELECT archive, COUNT(*) AS events FROM EventsCam GROUP BY archive;
                      SELECT id, device_id, filepath FROM Media WHERE archive=1 ORDER BY id LIMIT 5;"

step "A second sweep finds nothing more to do"
run sweep

step "The daemon: recsync run (in the background; under systemd it is the service)"
# The page and the API on a free loopback port (the service's is 127.0.0.1:7320),
# so that a recsync already running here does not stand in the way.
"$recsync_bin" --bluecherry-conf "$demo/bluecherry.conf" --journal "$demo/journal.db" \
  --control-socket "$demo/control.sock" --http-listen 127.0.0.1:0 \
  --api-token-file "$demo/api-token" run 2>"$demo/daemon.log" &
daemon_pid=$!
for _ in $(seq 100); do
  "$recsync_bin" --control-socket "$demo/control.sock" status >/dev/null 2>&1 && break
  kill -0 "$daemon_pid" 2>/dev/null || { cat "$demo/daemon.log"; exit 1; }
  sleep 0.1
done
run status

step "The storage page and its API"
http=$("$recsync_bin" --control-socket "$demo/control.sock" status --json |
  sed -n 's/.*"http":{"listen":"\([^"]*\)".*/\1/p')
echo "the page: http://$http/   (sign in as Admin / bluecherry; RECSYNC_DEMO_PAUSE=1 keeps the daemon up at the end)"
echo "\$ curl -s http://$http/healthz"
curl -s "http://$http/healthz"
echo
echo "\$ recsync token new --api-token-file $demo/api-token"
"$recsync_bin" token new --api-token-file "$demo/api-token" --http-listen "$http"
# The daemon reads the token at start and on reload (SIGHUP, what
# `systemctl reload recsync` sends).
echo "\$ kill -HUP $daemon_pid   (systemctl reload recsync)"
kill -HUP "$daemon_pid"
auth="Authorization: Bearer $(cat "$demo/api-token")"
for _ in $(seq 100); do
  [[ $(curl -s -o /dev/null -w '%{http_code}' -H "$auth" "http://$http/api/v1/status") == 200 ]] && break
  sleep 0.1
done
echo "\$ curl -s -H \"Authorization: Bearer \$(cat $demo/api-token)\" http://$http/api/v1/status"
# Into a variable first: `| head -c` could stop curl with SIGPIPE (see below).
status_json=$(curl -s -H "$auth" "http://$http/api/v1/status")
echo "${status_json:0:600} ..."

# awk reads to the end: `head -1` would leave sort writing into a closed pipe,
# and pipefail would make its SIGPIPE the script's exit status.
victim=$(find "$storage" -name '*.mp4' | sort | awk 'NR == 1')
victim_id=$(sql -N bluecherry -e "SELECT id FROM Media WHERE filepath='$victim'")
step "rm of a recording while the daemon runs"
echo "\$ rm $victim"
rm "$victim"
# `recsync sync` returns once every earlier file event is journaled and applied.
run sync
sql bluecherry -t -e "SELECT id, archive, filepath FROM Media WHERE id=$victim_id;
                      SELECT media_id, archive FROM EventsCam WHERE media_id=$victim_id;"

moved=$(find "$storage" -name '*.mp4' | sort | sed -n 2p)
moved_id=$(sql -N bluecherry -e "SELECT id FROM Media WHERE filepath='$moved'")
step "A recording renamed within the storage: its row follows it"
echo "\$ mv $moved ${moved%.mp4}-kept.mp4"
mv "$moved" "${moved%.mp4}-kept.mp4"
run sync
sql bluecherry -t -e "SELECT id, archive, filepath FROM Media WHERE id=$moved_id;"

step "recsync journal list (the events the daemon journaled and applied)"
run journal list --limit 5

if [[ -n "${RECSYNC_DEMO_PAUSE:-}" && -t 0 ]]; then
  read -rp "the page is at http://$http/ (Admin / bluecherry); press Enter to stop the daemon " _
fi

step "SIGTERM: the daemon stops cleanly"
kill -TERM "$daemon_pid"
wait "$daemon_pid" && echo "recsync run exited with status $?"
daemon_pid=
echo "--- the daemon's log ---"
cat "$demo/daemon.log"
