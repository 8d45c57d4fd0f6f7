#!/usr/bin/env bash
# Installs the Debian 12 packages recsync needs to build, test and demo, and
# the browser test's one npm package (tests/page: playwright-core, pinned by
# its lockfile, driving Debian's chromium). Idempotent: silent and quick when
# everything is present. Needs root (or sudo) only when a package is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake pkg-config
  libuv1-dev libsqlitecpp-dev libsqlite3-dev libspdlog-dev libfmt-dev
  nlohmann-json3-dev libcli11-dev libconfig++-dev libmariadb-dev libsystemd-dev
  catch2
  mariadb-server mariadb-client sqlite3
  bindfs fuse3
  libmicrohttpd-dev libgnutls28-dev
  # the demo's requests to the page's API
  curl
  # for promtool: the tests run `promtool check metrics` on what /metrics answers
  prometheus
  # for the browser test of the storage page (tests/page)
  chromium fonts-liberation
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [[ "$status" == installed ]] || missing+=("$p")
done
# Node.js may come from Debian or from NodeSource (whose nodejs package
# bundles npm, and conflicts with Debian's npm): ask only for what is absent.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)

install_packages() {
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
  # demo never use it (they run their own throwaway server). The prometheus
  # package likewise starts a server; only its promtool is needed.
  if [[ " ${missing[*]} " == *" prometheus "* ]] && command -v systemctl >/dev/null; then
    "${sudo[@]}" systemctl disable --now prometheus >/dev/null 2>&1 || true
  fi
}
((${#missing[@]} == 0)) || install_packages

# The browser test's playwright-core, exactly as tests/page/package-lock.json
# pins it; `npm ci` only when what is installed differs.
page_test=tests/page
locked=$(node -p "require('./$page_test/package-lock.json').packages['node_modules/playwright-core'].version")
installed=$(node -p "try { require('./$page_test/node_modules/playwright-core/package.json').version } catch { '' }")
if [[ "$locked" != "$installed" ]]; then
  echo "deps: npm ci in $page_test (playwright-core $locked)" >&2
  (cd "$page_test" && npm ci --no-audit --no-fund --loglevel=error >/tmp/recsync-npm.log 2>&1) ||
    { echo "deps: npm ci in $page_test failed; see /tmp/recsync-npm.log" >&2; exit 1; }
fi
