#!/usr/bin/env bash
# Builds the torch-free modules (ares_core: common, format, fault, analysis) and their tests
# (ares_core_tests) with AddressSanitizer and UndefinedBehaviorSanitizer into build-asan/,
# using the default compiler, and runs the tests. Exits non-zero on a build failure, a failed
# test, or any sanitizer report (UBSan included: halt_on_error=1). Idempotent: quick when built.
#
#   scripts/sanitize.sh [CTEST ARGS...]       e.g. scripts/sanitize.sh -R Format
#
# Environment: ARES_ASAN_BUILD_DIR (default build-asan), ARES_JOBS (default nproc),
# ASAN_OPTIONS and UBSAN_OPTIONS (defaults below; yours replace them).
#
# Before the tests it checks the two things that make the run mean something: that every
# translation unit of ares_core and ares_core_tests was compiled with
# -fsanitize=address,undefined (CMake's ARES_SANITIZE, via ares_warnings()), and that a UBSan
# report really stops a program under these options.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${ARES_ASAN_BUILD_DIR:-$root/build-asan}"
jobs="${ARES_JOBS:-$(nproc)}"

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:check_initialization_order=1:strict_init_order=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"

if [ ! -f "$build/CMakeCache.txt" ]; then
  generator=()
  command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
  # RelWithDebInfo: optimised like the real build, with line numbers in the reports.
  cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DARES_WITH_TORCH=OFF -DARES_SANITIZE=ON -DARES_BUILD_TESTS=ON \
    -DARES_BUILD_BENCHMARKS=OFF >&2
fi
cmake --build "$build" -j "$jobs" --target ares_core_tests >&2

# 1. The sanitizer flags reach every translation unit of both targets.
python3 - "$build/compile_commands.json" <<'PY'
import json, sys
entries = json.load(open(sys.argv[1]))
want = {"ares_core.dir": 0, "ares_core_tests.dir": 0}
missing = []
for e in entries:
    out = e.get("output", "") + " " + e.get("command", "")
    for target in want:
        if "/" + target + "/" in out or out.startswith("CMakeFiles/" + target + "/"):
            want[target] += 1
            cmd = e.get("command") or " ".join(e.get("arguments", []))
            if "-fsanitize=address,undefined" not in cmd:
                missing.append(e["file"])
for target, n in want.items():
    if n == 0:
        sys.exit(f"sanitize.sh: no translation unit of {target[:-4]} in compile_commands.json")
if missing:
    sys.exit("sanitize.sh: built without -fsanitize=address,undefined:\n  " + "\n  ".join(missing))
print(f"sanitize.sh: ASan+UBSan on all {want['ares_core.dir']} ares_core and "
      f"{want['ares_core_tests.dir']} ares_core_tests translation units", file=sys.stderr)
PY

# 2. A UBSan report stops the program under these options (GCC and clang both default to
# "report and continue", which would let a test pass with a report in its log).
cxx="$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt")"
probe="$build/ubsan_probe"
if [ ! -x "$probe" ]; then
  printf '%s\n' '#include <climits>' \
    'int main(int argc, char**) { int x = INT_MAX - 1 + argc; return (x + 1) == 0; }' \
    > "$probe.cpp"
  "$cxx" -O0 -fsanitize=address,undefined "$probe.cpp" -o "$probe"
fi
probe_rc=0
"$probe" 2> "$probe.log" || probe_rc=$?
if [ "$probe_rc" = 0 ] || ! grep -q "runtime error" "$probe.log"; then
  echo "sanitize.sh: a signed overflow did not fail the probe (exit $probe_rc);" \
       "UBSAN_OPTIONS=$UBSAN_OPTIONS does not halt" >&2
  exit 1
fi

# 3. The tests.
cd "$build"
ctest -L unit --output-on-failure -j "$jobs" "$@"
