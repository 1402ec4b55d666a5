#!/usr/bin/env bash
# clang-tidy (the checked-in .clang-tidy) over the project's own sources; exits 1 on any
# warning in them.
#   scripts/tidy.sh          the torch-free modules (common, format, fault, analysis) and the
#                            argument parser (apps/ares/args.cpp): about a
#                            minute on 2 cores (CI)
#   scripts/tidy.sh --all    every source file, the LibTorch ones too: clang-tidy spends
#                            about 50 s on each (torch/torch.h), so 15-20 minutes on 2 cores
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
jobs="$(nproc)"
if [ "${1:-}" = --all ]; then
  dir="$root/build-tidy"
  # No precompiled header: clang cannot read GCC's .gch, and the headers are what it checks.
  cmake -S . -B "$dir" -G Ninja -DCMAKE_DISABLE_PRECOMPILE_HEADERS=ON > /dev/null
  files=(src/*/*.cpp apps/ares/*.cpp)
else
  dir="$root/build-tidy-core"
  cmake -S . -B "$dir" -G Ninja -DARES_WITH_TORCH=OFF > /dev/null
  files=(src/common/*.cpp src/format/*.cpp src/fault/*.cpp src/analysis/*.cpp apps/ares/args.cpp)
fi
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# run-clang-tidy takes regexes of file names; one alternation of the chosen files.
regex="$(printf '%s|' "${files[@]}")"
run-clang-tidy -p "$dir" -j "$jobs" -quiet "${regex%|}" > "$log" 2>&1 || true
warnings="$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E "^$root/(src|include|apps)/.*: (warning|error):" | sort -u || true)"
if grep -q "Error while processing" "$log"; then
  grep -B3 "Error while processing" "$log" | sed 's/\x1b\[[0-9;]*m//g' >&2
  echo "tidy: clang-tidy could not process some files" >&2
  exit 1
fi
if [ -n "$warnings" ]; then
  echo "$warnings"
  echo "tidy: $(echo "$warnings" | wc -l) warnings in ${#files[@]} files" >&2
  exit 1
fi
echo "tidy: ${#files[@]} files clean"
