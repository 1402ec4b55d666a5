#!/usr/bin/env bash
# Spoken digits end to end: generate a tiny espeak-ng corpus (deterministic, split by voice),
# train tidigits_gru on it for one epoch, run a tiny weight campaign, and bad audio input.
set -euo pipefail
ARES="$1"; WORK="$2"
source "$(dirname "$0")/common.sh"
MAKE="$(dirname "$0")/../../scripts/make_spoken_digits.sh"
if ! command -v espeak-ng > /dev/null; then
  echo "SKIP: espeak-ng not installed"
  exit 77
fi
rm -rf "$WORK"; mkdir -p "$WORK"

# 10 voices (every 5th a test voice), one speed and pitch: 100 recordings, twice.
gen=(--voices 10 --speeds 175 --pitches 50)
"$MAKE" "$WORK/data" "${gen[@]}" --jobs 2 > "$WORK/gen.txt"
"$MAKE" "$WORK/again" "${gen[@]}" --jobs 1 > /dev/null
diff -r "$WORK/data" "$WORK/again" > /dev/null || fail "the corpus differs between two runs"
train_n="$(find "$WORK/data/train" -name '*.wav' | wc -l)"
test_n="$(find "$WORK/data/test" -name '*.wav' | wc -l)"
[ "$test_n" -ge 10 ] && [ "$train_n" -ge 40 ] || fail "expected ~80 train and ~20 test files, got $train_n and $test_n"
grep -q "^test: $test_n files, 2 voices" "$WORK/data/corpus.txt" || fail "corpus.txt: $(cat "$WORK/data/corpus.txt")"
voices() { find "$1" -name '*.wav' -printf '%f\n' | sed 's/^[0-9]_//; s/_[0-9]*_[0-9]*\.wav$//' | sort -u; }
[ -z "$(comm -12 <(voices "$WORK/data/train") <(voices "$WORK/data/test"))" ] \
  || fail "a voice is in both train and test"
# No two files hold the same recording.
[ -z "$(find "$WORK/data" -name '*.wav' -exec sha256sum {} + | awk '{ print $1 }' | sort | uniq -d)" ] \
  || fail "duplicate recordings"
echo "ok: corpus $train_n train + $test_n test, deterministic, split by voice"

# One epoch of tidigits_gru: runs and writes a checkpoint; the campaign rebuilds the model.
"$ARES" train --model tidigits_gru --dataset "$WORK/data" --epochs 1 --seed 1 --threads 2 \
  --out "$WORK/run" --quiet > "$WORK/train.txt"
ckpt="$WORK/run/tidigits_gru-s1.ckpt"
[ -f "$ckpt" ] || fail "no checkpoint: $(cat "$WORK/train.txt")"
"$ARES" train --model tidigits_gru --dataset "$WORK/data" --epochs 1 --seed 1 --threads 2 \
  --out "$WORK/run2" --quiet > /dev/null
cmp "$ckpt" "$WORK/run2/tidigits_gru-s1.ckpt" || fail "training is not deterministic"
"$ARES" campaign "$ckpt" --bers 1e-5,1e-4 --trials 2 --eval-limit 20 --threads 2 \
  --out "$WORK/camp" --quiet > "$WORK/camp.txt"
[ "$(wc -l < "$WORK/camp/trials.csv")" = 13 ] || fail "expected 3 formats x 2 BERs x 2 trials"
grep -q "tidigits_gru" "$WORK/camp.txt" || fail "campaign table lacks the model"
echo "ok: trained ($(awk '{ print "test error", $6 }' "$WORK/train.txt")) and ran a campaign"

# Bad input: one line, exit 2.
mkdir -p "$WORK/bad/train" "$WORK/bad/test"
cp "$WORK/data/test/"*.wav "$WORK/bad/test/"
cp "$WORK/data/train/"*.wav "$WORK/bad/train/"
victim="$(find "$WORK/bad/test" -name '*.wav' | sort | head -1)"
head -c 100 "$victim" > "$WORK/cut.wav" && mv "$WORK/cut.wav" "$victim"
expect_input_error "truncated wav" "$ARES" evaluate "$ckpt" --dataset "$WORK/bad"
cp "$WORK/data/test/$(basename "$victim")" "$victim"
cp "$victim" "$WORK/bad/test/hello.wav"
expect_input_error "unlabelled wav" "$ARES" evaluate "$ckpt" --dataset "$WORK/bad"
rm "$WORK/bad/test/hello.wav"
expect_input_error "wrong model shape" "$ARES" train --model fmnist_gru --dataset "$WORK/bad" \
  --epochs 1 --quiet --out "$WORK/x"
err="$(ARES_DATA_DIR="$WORK/none" XDG_CACHE_HOME="$WORK/none" "$ARES" train --model tidigits_gru \
  --dataset spoken-digits --out "$WORK/x" 2>&1 >/dev/null || true)"
case "$err" in *make_spoken_digits.sh*) echo "ok: missing corpus -> $err" ;;
  *) fail "missing spoken-digits should say how to make it: $err" ;; esac
echo "PASS"
