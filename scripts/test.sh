#!/usr/bin/env bash
# Sets up, builds and runs every test (unit, property, integration).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${ARES_BUILD_DIR:-$root/build}"
"$root/scripts/setup.sh" "$build"
cd "$build"
ctest --output-on-failure -j "$(nproc)" "$@"
