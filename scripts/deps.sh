#!/usr/bin/env bash
# Installs the Debian 12 packages recsync needs to build, test and demo.
# Idempotent: silent and quick when everything is present. Needs root (or
# sudo) only when something is missing.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libuv1-dev libsqlitecpp-dev libsqlite3-dev libspdlog-dev libfmt-dev
  nlohmann-json3-dev libcli11-dev libconfig++-dev libmariadb-dev libsystemd-dev
  catch2
  mariadb-server mariadb-client sqlite3
  bindfs fuse3
  libmicrohttpd-dev libgnutls28-dev
  # for promtool: the tests run `promtool check metrics` on what /metrics answers
  prometheus
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [[ "$status" == installed ]] || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0

echo "deps: installing ${missing[*]}" >&2
sudo=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "deps: missing ${missing[*]}; run scripts/deps.sh as root" >&2; exit 1; }
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
# The package lists may be absent on a fresh machine; refresh them once.
if ! "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/recsync-deps.log 2>&1; then
  "${sudo[@]}" apt-get update -q >>/tmp/recsync-deps.log 2>&1
  "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >>/tmp/recsync-deps.log 2>&1 ||
    { echo "deps: apt-get install failed; see /tmp/recsync-deps.log" >&2; exit 1; }
fi
# Debian starts the system MariaDB after installing it; recsync's tests and
# demo never use it (they run their own throwaway server).
