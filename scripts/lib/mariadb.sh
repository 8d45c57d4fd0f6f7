# shellcheck shell=bash
# Throwaway MariaDB servers for the tests and the demo. Source this file; it
# defines functions only and changes no shell options.
#
#   mariadb_start DIR
#       Installs a fresh datadir once into DIR/template (left stopped, never
#       used in place), copies it to DIR/data and starts mariadbd on it,
#       listening on DIR/mysql.sock and on 127.0.0.1 at a free port. Returns
#       once the server answers, or fails with a one-line message naming the
#       log to read. root@localhost has no password (and grants are on, so
#       tests can create users and watch authentication fail). Exports:
#         RECSYNC_TEST_MYSQL_SOCKET      DIR/mysql.sock
#         RECSYNC_TEST_MYSQL_HOST        127.0.0.1
#         RECSYNC_TEST_MYSQL_PORT        the TCP port
#         RECSYNC_TEST_MARIADB_TEMPLATE  DIR/template: copy it to start a
#                                        private server (tests/support/
#                                        mariadb_server.h) in well under a second
#         RECSYNC_TEST_MARIADBD          the mariadbd binary
#   mariadb_stop
#       Stops the server mariadb_start started, by its pid: SIGTERM, then
#       SIGKILL if it has not exited within 30 s. Safe to call twice.
#   mariadb_reap_strays DIR
#       SIGKILLs servers whose pid file lies under DIR and whose command line
#       names DIR: private servers left by a crashed test binary that ran with
#       TMPDIR inside DIR. Safe to call when there are none.
#
# Only one server per sourcing shell; its pid is in _RECSYNC_MARIADB_PID.

# InnoDB redo log size for the template and every server started from it; a
# small log keeps the template (and each copy of it) about 30 MB. Keep in step
# with tests/support/mariadb_server.cc, or each start resizes the log.
_RECSYNC_MARIADB_LOG_FILE_SIZE=16M

_mariadb_fail() {
  echo "mariadb: $*" >&2
  return 1
}

_mariadb_find_mariadbd() {
  local candidate
  for candidate in "$(command -v mariadbd 2>/dev/null)" /usr/sbin/mariadbd /usr/libexec/mariadbd; do
    if [[ -n "$candidate" && -x "$candidate" ]]; then
      echo "$candidate"
      return 0
    fi
  done
  _mariadb_fail "mariadbd not found (apt-get install mariadb-server)"
}

# Options that make the server ignore /etc/mysql, and run as the current user
# even when that is root (mariadbd refuses root unless told).
_mariadb_user_opts() {
  if [[ $(id -u) -eq 0 ]]; then
    echo "--user=root"
  fi
}

# Whether something accepts connections on 127.0.0.1:$1. The probe runs in a
# subshell so the descriptor never leaks into the caller.
_mariadb_port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

_mariadb_install_template() {
  local dir=$1
  local template="$dir/template"
  if [[ -d "$template/mysql" ]]; then
    return 0
  fi
  command -v mariadb-install-db >/dev/null 2>&1 ||
    _mariadb_fail "mariadb-install-db not found (apt-get install mariadb-server)" || return 1
  # shellcheck disable=SC2046  # _mariadb_user_opts prints zero or one word
  if ! mariadb-install-db --no-defaults --auth-root-authentication-method=normal \
      --datadir="$template" --skip-test-db $(_mariadb_user_opts) \
      --innodb-log-file-size="$_RECSYNC_MARIADB_LOG_FILE_SIZE" \
      >"$dir/install.log" 2>&1; then
    rm -rf "$template"
    _mariadb_fail "mariadb-install-db failed; see $dir/install.log"
    return 1
  fi
}

# Waits until the server with pid $1 answers on socket $2, for at most $3
# seconds. Returns 2 if the server exited instead.
_mariadb_wait_ready() {
  local pid=$1 socket=$2 timeout=$3
  local deadline=$((SECONDS + timeout))
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      return 2
    fi
    if mariadb-admin --no-defaults --socket="$socket" --user=root --connect-timeout=1 \
        ping >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}

mariadb_start() {
  local dir=${1:?usage: mariadb_start DIR}
  if [[ -n "${_RECSYNC_MARIADB_PID:-}" ]]; then
    _mariadb_fail "a server is already running (pid $_RECSYNC_MARIADB_PID); call mariadb_stop first"
    return 1
  fi
  mkdir -p "$dir" || return 1
  dir=$(cd "$dir" && pwd) || return 1
  local socket="$dir/mysql.sock"
  # sun_path holds 108 bytes; a longer path fails later with a puzzling error.
  if ((${#socket} > 100)); then
    _mariadb_fail "socket path $socket is too long for a unix socket; use a shorter directory"
    return 1
  fi
  local mariadbd
  mariadbd=$(_mariadb_find_mariadbd) || return 1
  command -v mariadb-admin >/dev/null 2>&1 ||
    _mariadb_fail "mariadb-admin not found (apt-get install mariadb-client)" || return 1

  _mariadb_install_template "$dir" || return 1
  rm -rf "$dir/data"
  cp -a "$dir/template" "$dir/data" || _mariadb_fail "cannot copy $dir/template" || return 1

  # Pick a random port nobody listens on; if another process grabs it before
  # mariadbd binds, the bind fails and we try again with another.
  local port pid rc
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 40001))
    if _mariadb_port_in_use "$port"; then
      continue
    fi
    : >"$dir/error.log"
    # shellcheck disable=SC2046
    "$mariadbd" --no-defaults --datadir="$dir/data" --socket="$socket" \
      --port="$port" --bind-address=127.0.0.1 --pid-file="$dir/mariadbd.pid" \
      $(_mariadb_user_opts) --innodb-buffer-pool-size=256M \
      --innodb-log-file-size="$_RECSYNC_MARIADB_LOG_FILE_SIZE" \
      --log-error="$dir/error.log" >>"$dir/mariadbd.out" 2>&1 &
    pid=$!
    rc=0
    _mariadb_wait_ready "$pid" "$socket" "${RECSYNC_MARIADB_START_TIMEOUT:-60}" || rc=$?
    if ((rc == 0)); then
      _RECSYNC_MARIADB_PID=$pid
      export RECSYNC_TEST_MYSQL_SOCKET="$socket"
      export RECSYNC_TEST_MYSQL_HOST=127.0.0.1
      export RECSYNC_TEST_MYSQL_PORT="$port"
      export RECSYNC_TEST_MARIADB_TEMPLATE="$dir/template"
      export RECSYNC_TEST_MARIADBD="$mariadbd"
      return 0
    fi
    if ((rc == 1)); then  # still running but not answering: give up on it
      kill -KILL "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
      _mariadb_fail "mariadbd did not become ready within ${RECSYNC_MARIADB_START_TIMEOUT:-60}s; see $dir/error.log"
      return 1
    fi
    wait "$pid" 2>/dev/null || true
    if ! grep -q -e "Address already in use" -e "Bind on TCP/IP port" "$dir/error.log"; then
      _mariadb_fail "mariadbd exited during start-up; see $dir/error.log"
      return 1
    fi
  done
  _mariadb_fail "no free port found for mariadbd after 10 tries; see $dir/error.log"
}

mariadb_stop() {
  local pid=${_RECSYNC_MARIADB_PID:-}
  [[ -n "$pid" ]] || return 0
  _RECSYNC_MARIADB_PID=
  kill -TERM "$pid" 2>/dev/null || return 0
  local deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "mariadb: mariadbd (pid $pid) ignored SIGTERM for 30s; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  return 0
}

mariadb_reap_strays() {
  local dir=${1:?usage: mariadb_reap_strays DIR}
  local pidfile pid
  while IFS= read -r -d '' pidfile; do
    pid=$(<"$pidfile") || continue
    [[ "$pid" =~ ^[0-9]+$ ]] || continue
    # The pid may have been reused since; only kill a server on this datadir.
    if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$dir/"; then
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done < <(find "$dir" -name '*.pid' -type f -print0 2>/dev/null)
  return 0
}
