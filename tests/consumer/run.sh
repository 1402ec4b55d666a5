#!/usr/bin/env bash
# Installs the build tree BUILD into WORK/prefix, then configures, builds and runs the consumer
# project against it: what an outside project does with find_package(ares).
set -euo pipefail
BUILD="$1"; WORK="$2"
here="$(cd "$(dirname "$0")" && pwd)"
rm -rf "$WORK"; mkdir -p "$WORK"
cmake --install "$BUILD" --prefix "$WORK/prefix" > "$WORK/install.log"
[ -f "$WORK/prefix/include/ares/campaign/in_memory.h" ] || { echo "FAIL: headers not installed"; exit 1; }
[ -x "$WORK/prefix/bin/ares" ] || { echo "FAIL: the ares command is not installed"; exit 1; }
"$WORK/prefix/bin/ares" version | grep -q "blas_kernel" || { echo "FAIL: installed ares"; exit 1; }
generator=()
command -v ninja > /dev/null && generator=(-G Ninja)
cmake -S "$here" -B "$WORK/build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$WORK/prefix" > "$WORK/configure.log" ||
  { cat "$WORK/configure.log"; echo "FAIL: find_package(ares)"; exit 1; }
cmake --build "$WORK/build" > "$WORK/build.log" 2>&1 || { tail -30 "$WORK/build.log"; exit 1; }
out="$("$WORK/build/consumer")"
echo "$out"
grep -q "consumer: 4 trials" <<< "$out" || { echo "FAIL: consumer output"; exit 1; }
echo "ok: installed, found with find_package(ares), linked ares::ares"
