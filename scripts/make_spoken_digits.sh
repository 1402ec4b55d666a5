#!/usr/bin/env bash
# Generates Ares's spoken-digit corpus with espeak-ng: OUT_DIR/{train,test}/<digit>_<voice>_<speed>_<pitch>.wav
# (the digits "zero" .. "nine" said by the English voice with each espeak-ng variant, at each
# speed and pitch), identical recordings dropped, train and test split by voice. The same
# espeak-ng gives the same files on every run. See docs/sequences.md.
#
# usage: scripts/make_spoken_digits.sh OUT_DIR [--voices N] [--speeds "S ..."] [--pitches "P ..."]
#                                              [--test-every K] [--jobs J]
#   --voices N      use only the first N variants in name order (default: all, about 100)
#   --speeds        words per minute, espeak-ng -s (default "140 200")
#   --pitches       0..99, espeak-ng -p (default "35 65")
#   --test-every K  every K-th variant in name order goes to test/ (default 5: 20% of voices)
#   --jobs J        espeak-ng processes in parallel (default: nproc)
# Then: ares train --model tidigits_gru --dataset OUT_DIR. Into ~/.cache/ares/data/spoken-digits,
# `--dataset spoken-digits` finds it.
set -euo pipefail

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
die() { echo "make_spoken_digits.sh: $*" >&2; exit 2; }

[ $# -ge 1 ] || usage
case "$1" in -h|--help) usage ;; esac
OUT="$1"; shift
VOICES=0; SPEEDS="140 200"; PITCHES="35 65"; TEST_EVERY=5; JOBS="$(nproc 2>/dev/null || echo 2)"
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || die "$1 needs a value"
  case "$1" in
    --voices) VOICES="$2" ;;
    --speeds) SPEEDS="$2" ;;
    --pitches) PITCHES="$2" ;;
    --test-every) TEST_EVERY="$2" ;;
    --jobs) JOBS="$2" ;;
    *) die "unknown option $1" ;;
  esac
  shift 2
done
int_list() { [[ "$2" =~ ^[0-9]+( [0-9]+)*$ ]] || die "$1 must be integers separated by spaces, got '$2'"; }
int_list --voices "$VOICES"; int_list --speeds "$SPEEDS"; int_list --pitches "$PITCHES"
int_list --test-every "$TEST_EVERY"; int_list --jobs "$JOBS"
[ "$TEST_EVERY" -ge 2 ] || die "--test-every must be >= 2, got $TEST_EVERY"
[ "$JOBS" -ge 1 ] || die "--jobs must be >= 1"
command -v espeak-ng >/dev/null || die "espeak-ng not installed (sudo apt-get install espeak-ng)"

# Variants: the "!v/NAME" file column of the variant list. A name must be a file in the voices
# folder (the list shows "Mr serious", whose space espeak-ng cannot take after "en+"); an
# unknown variant would silently give the plain voice.
DATA="$(espeak-ng --version | sed -n 's/.*Data at: //p')"
mapfile -t VARIANTS < <(espeak-ng --voices=variant \
  | awk 'NR > 1 { for (i = 1; i <= NF; i++) if ($i ~ /^!v\//) { print substr($i, 4); break } }' \
  | while read -r v; do [ -f "$DATA/voices/!v/$v" ] && echo "$v"; done | LC_ALL=C sort -u)
[ "${#VARIANTS[@]}" -gt 0 ] || die "espeak-ng lists no voice variants"
if [ "$VOICES" -gt 0 ] && [ "$VOICES" -lt "${#VARIANTS[@]}" ]; then
  VARIANTS=("${VARIANTS[@]:0:$VOICES}")
fi

WORDS=(zero one two three four five six seven eight nine)
mkdir -p "$OUT"
rm -rf "$OUT/train" "$OUT/test" "$OUT/.staging"
STAGE="$OUT/.staging"
mkdir -p "$STAGE"

# One job per file, listed in a fixed order (variant, digit, speed, pitch): that order decides
# which of two identical recordings is kept, so the result does not depend on --jobs.
JOBLIST="$STAGE/jobs.txt"
for v in "${VARIANTS[@]}"; do
  for d in 0 1 2 3 4 5 6 7 8 9; do
    for s in $SPEEDS; do
      for p in $PITCHES; do echo "$d $v $s $p ${WORDS[$d]}"; done
    done
  done
done > "$JOBLIST"
export STAGE
# shellcheck disable=SC2016  # expanded by the inner sh, once per job
xargs -P "$JOBS" -L 1 sh -c 'exec espeak-ng -v "en+$1" -s "$2" -p "$3" -w "$STAGE/$0_$1_$2_$3.wav" "$4"' \
  < "$JOBLIST" || die "espeak-ng failed"

# Some variants (and some speed/pitch settings of a variant) say a digit identically: keep the
# first of identical recordings in the job order, so no recording is in both train and test.
awk '{ print $1 "_" $2 "_" $3 "_" $4 ".wav" }' "$JOBLIST" > "$STAGE/names.txt"
(cd "$STAGE" && xargs sha256sum < names.txt) > "$STAGE/hashes.txt"
awk '!seen[$1]++ { print $2 }' "$STAGE/hashes.txt" > "$STAGE/kept.txt"

# Split by voice: every TEST_EVERY-th variant in name order is a test voice.
printf '%s\n' "${VARIANTS[@]}" | awk -v k="$TEST_EVERY" '{ print $0, ((NR - 1) % k == k - 1) ? "test" : "train" }' \
  > "$STAGE/split.txt"
mkdir -p "$OUT/train" "$OUT/test"
awk 'NR == FNR { split_of[$1] = $2; next }
     { n = split($0, f, "_"); v = f[2]; for (i = 3; i < n - 1; i++) v = v "_" f[i];
       print $0, split_of[v] }' "$STAGE/split.txt" "$STAGE/kept.txt" > "$STAGE/moves.txt"
while read -r name where; do
  [ -n "$where" ] || die "internal error: no split for $name"
  mv "$STAGE/$name" "$OUT/$where/$name"
done < "$STAGE/moves.txt"

total="$(wc -l < "$STAGE/names.txt")"
train="$(find "$OUT/train" -name '*.wav' | wc -l)"; test="$(find "$OUT/test" -name '*.wav' | wc -l)"
train_voices="$(awk '$2 == "train"' "$STAGE/split.txt" | wc -l)"
test_voices="$(awk '$2 == "test"' "$STAGE/split.txt" | wc -l)"
{
  echo "# Ares spoken-digit corpus (scripts/make_spoken_digits.sh; docs/sequences.md)"
  echo "espeak-ng: $(espeak-ng --version | sed 's/ *Data at:.*//')"
  echo "speeds: $SPEEDS"
  echo "pitches: $PITCHES"
  echo "test_every: $TEST_EVERY"
  echo "generated: $total"
  echo "duplicates_dropped: $((total - train - test))"
  echo "train: $train files, $train_voices voices"
  echo "test: $test files, $test_voices voices"
  echo "voices:"
  sed 's/^/  /' "$STAGE/split.txt"
} > "$OUT/corpus.txt"
rm -rf "$STAGE"
echo "spoken digits: $train train ($train_voices voices), $test test ($test_voices voices)," \
  "$((total - train - test)) duplicates dropped -> $OUT"
