#!/usr/bin/env bash
# Configures and builds one flavour of recsync into build/<flavour>.
#   scripts/build.sh release   optimised (the binary the demo uses)
#   scripts/build.sh asan      debug with AddressSanitizer + UBSan
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=${1:-release}
case "$flavour" in
  release) args=(-DCMAKE_BUILD_TYPE=Release) ;;
  asan) args=(-DCMAKE_BUILD_TYPE=Debug -DRECSYNC_SANITIZE=ON) ;;
  *) echo "usage: $0 release|asan" >&2; exit 2 ;;
esac
cmake -S . -B "build/$flavour" "${args[@]}" >/dev/null
cmake --build "build/$flavour" -j"$(nproc)"
