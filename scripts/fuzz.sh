#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) into build-fuzz/ with clang, ASan and UBSan, and runs
# each for a few seconds from its seed corpus (fuzz/corpus/<target>/) and the inputs of past
# findings (fuzz/regressions/<target>/). Exits non-zero when any
# target finds something: a crash, a sanitizer report, an exception other than
# ares::InputError, a hang (> 10 s on one input) or an allocation over 2 GiB.
# Idempotent: quick when built; the committed seed corpora are only read.
#
#   scripts/fuzz.sh                        # every target, 5 s each
#   scripts/fuzz.sh --runs 3000 --seed 1   # CI: 3000 mutations each, the same ones every run
#   scripts/fuzz.sh --seconds 600          # longer (docs/robustness.md)
#   scripts/fuzz.sh --target fuzz_idx --seconds 60
#   scripts/fuzz.sh --seconds 0            # replay seeds and past findings only (no mutation)
#   scripts/fuzz.sh --regen-corpus         # rewrite fuzz/corpus/ from fuzz/make_corpus.cpp
#   scripts/fuzz.sh --build-only
#
# Environment: ARES_FUZZ_BUILD_DIR (default build-fuzz), ARES_FUZZ_CXX (default clang++),
# ARES_FUZZ_TORCH=OFF (only the torch-free targets), ARES_JOBS (build jobs, default nproc).
# A finding leaves its input in build-fuzz/findings/<target>/ and its report in
# build-fuzz/logs/<target>.log; rerun it with build-fuzz/<target> FILE.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${ARES_FUZZ_BUILD_DIR:-$root/build-fuzz}"
seconds=5
runs=""
seed=0
targets=()
regen=0
build_only=0
usage() { sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) [ $# -ge 2 ] || { usage >&2; exit 2; }; seconds="$2"; shift 2 ;;
    --seconds=*) seconds="${1#*=}"; shift ;;
    --runs) [ $# -ge 2 ] || { usage >&2; exit 2; }; runs="$2"; shift 2 ;;
    --runs=*) runs="${1#*=}"; shift ;;
    --seed) [ $# -ge 2 ] || { usage >&2; exit 2; }; seed="$2"; shift 2 ;;
    --seed=*) seed="${1#*=}"; shift ;;
    --target) [ $# -ge 2 ] || { usage >&2; exit 2; }; targets+=("$2"); shift 2 ;;
    --target=*) targets+=("${1#*=}"); shift ;;
    --regen-corpus) regen=1; shift ;;
    --build-only) build_only=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "fuzz.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$seconds" in
  ''|*[!0-9]*) echo "fuzz.sh: --seconds expects a whole number, got '$seconds'" >&2; exit 2 ;;
esac
case "$runs$seed" in
  *[!0-9]*) echo "fuzz.sh: --runs and --seed expect whole numbers, got '$runs' and '$seed'" >&2; exit 2 ;;
esac

cxx="${ARES_FUZZ_CXX:-clang++}"
command -v "$cxx" >/dev/null 2>&1 || {
  echo "fuzz.sh: $cxx not found (Debian: apt-get install clang libclang-rt-14-dev)" >&2; exit 2; }
if [ ! -f "$build/CMakeCache.txt" ]; then
  generator=()
  command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
  cmake -S "$root/fuzz" -B "$build" "${generator[@]}" -DCMAKE_CXX_COMPILER="$cxx" \
    -DARES_FUZZ_TORCH="${ARES_FUZZ_TORCH:-ON}" >&2
fi
cmake --build "$build" -j "${ARES_JOBS:-$(nproc)}" >&2

if [ "$regen" = 1 ]; then
  [ -x "$build/make_corpus" ] || { echo "fuzz.sh: make_corpus needs ARES_FUZZ_TORCH=ON" >&2; exit 2; }
  "$build/make_corpus" "$root/fuzz/corpus"
  echo "fuzz.sh: seed corpora rewritten in fuzz/corpus/" >&2
fi
[ "$build_only" = 0 ] || exit 0

[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(grep -v '^$' "$build/fuzzers.txt")
mkdir -p "$build/logs"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
failed=()
for t in "${targets[@]}"; do
  [ -x "$build/$t" ] || { echo "fuzz.sh: no fuzz target $t (have: $(tr '\n' ' ' < "$build/fuzzers.txt"))" >&2; exit 2; }
  work="$build/corpus/$t"  # what the fuzzer learns; the committed seeds stay untouched
  mkdir -p "$work" "$build/findings/$t"
  # Seeds, then the inputs of past findings (fuzz/regressions/<target>/): each runs first, so
  # a finding that comes back fails at once, before any mutation.
  seeds=()
  for d in "$root/fuzz/corpus/$t" "$root/fuzz/regressions/$t"; do
    [ -d "$d" ] && seeds+=("$d")
  done
  if [ -n "$runs" ]; then
    budget=(-runs="$runs")  # a fixed number of mutations: with --seed, the same run every time
  elif [ "$seconds" = 0 ]; then
    budget=(-runs=0)
  else
    budget=(-max_total_time="$seconds")
  fi
  budget+=(-seed="$seed")
  rc=0
  "$build/$t" "${budget[@]}" -timeout=10 -rss_limit_mb=2560 -malloc_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$build/findings/$t/" "$work" "${seeds[@]}" \
    > "$build/logs/$t.log" 2>&1 || rc=$?
  executed="$(sed -n 's/^stat::number_of_executed_units: *//p' "$build/logs/$t.log" | tail -1)"
  if [ "$rc" = 0 ]; then
    printf '%-24s ok: %s inputs, corpus %s\n' "$t" "${executed:-?}" \
      "$(find "$work" -type f | wc -l)"
  else
    failed+=("$t")
    printf '%-24s FINDING (exit %s): %s\n' "$t" "$rc" \
      "$(grep -m1 -E '==ares-fuzz==|ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer)|runtime error' \
         "$build/logs/$t.log" || echo 'see the log')"
    grep -m1 -E "Test unit written to" "$build/logs/$t.log" | sed 's/^/    /' || true
    echo "    log: $build/logs/$t.log"
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: findings in ${failed[*]}" >&2
  exit 1
fi
echo "fuzz.sh: ${#targets[@]} targets, no findings"
