#!/usr/bin/env bash
# Multi-level cells (--fault-model mlc:B[-gray|-bin][:W0,...]) end to end: the rows are the
# same for 1 and 2 threads, the canonical spec is recorded, Gray and binary mappings give
# other rows from the same streams, weights with commas pass through the flag, and bad specs
# give one line and exit 2.
set -euo pipefail
ARES="$1"; WORK="$2"
source "$(dirname "$0")/common.sh"
rm -rf "$WORK"; mkdir -p "$WORK"
python3 "$(dirname "$0")/../fixtures/make_idx.py" "$WORK/data" --train 2000 --test 400 --gzip
"$ARES" train --model mnist_fc --dataset "$WORK/data" --epochs 1 --seed 3 --threads 2 \
  --out "$WORK/ck" --quiet > /dev/null
ckpt="$WORK/ck/mnist_fc-s3.ckpt"

# col NAME FILE: the values of a CSV column, by header name.
col() {
  awk -F, -v n="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == n) c = i; next } { print $c }' "$2"
}

args=(--formats q2.6-2c,q2.6-sm+sign --bers 1e-4,1e-3,1e-2 --trials 3 --quiet)
"$ARES" campaign "$ckpt" "${args[@]}" --fault-model mlc:2-gray --threads 1 --out "$WORK/g1" > /dev/null
"$ARES" campaign "$ckpt" "${args[@]}" --fault-model mlc:2-gray --threads 2 --out "$WORK/g2" > /dev/null
[ "$(wc -l < "$WORK/g1/trials.csv")" = 19 ] || fail "expected 18 trial rows"
diff <(without_seconds "$WORK/g1/trials.csv") <(without_seconds "$WORK/g2/trials.csv") \
  || fail "mlc:2-gray rows differ between 1 and 2 threads"
grep -q '"fault_model": "mlc:2-gray"' "$WORK/g1/summary.json" || fail "mlc:2-gray not recorded"
# Hits at 1e-2 (about 2,000 hit bits per trial) change the error.
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
  $c["ber_index"] == 2 && ($c["faults"] == 0 || $c["evaluated"] != 1) { bad = 1 }
  END { exit bad }' "$WORK/g1/trials.csv" || fail "mlc:2-gray at 1e-2 must hit and be evaluated"

# The default mapping is Gray: mlc:2 gives mlc:2-gray's rows and records the canonical spec.
"$ARES" campaign "$ckpt" "${args[@]}" --fault-model mlc:2 --threads 2 --out "$WORK/d" > /dev/null
diff <(without_seconds "$WORK/g1/trials.csv") <(without_seconds "$WORK/d/trials.csv") \
  || fail "mlc:2 and mlc:2-gray differ"
grep -q '"fault_model": "mlc:2-gray"' "$WORK/d/summary.json" || fail "mlc:2 not canonical"

# Binary mapping: the same hits (the faults column), other codes (the error column).
"$ARES" campaign "$ckpt" "${args[@]}" --fault-model mlc:2-bin --threads 2 --out "$WORK/b" > /dev/null
[ "$(col faults "$WORK/g1/trials.csv")" = "$(col faults "$WORK/b/trials.csv")" ] \
  || fail "gray and bin must draw the same hits"
[ "$(col error "$WORK/g1/trials.csv")" != "$(col error "$WORK/b/trials.csv")" ] \
  || fail "gray and bin gave the same errors"

# Weights (a comma-separated list) reach the model through the flag; thread-count invariant.
w=mlc:3-bin:1,2,2,2,2,2,2,0.5
"$ARES" campaign "$ckpt" "${args[@]}" --fault-model "$w" --threads 1 --out "$WORK/w1" > /dev/null
"$ARES" campaign "$ckpt" "${args[@]}" --fault-model "$w" --threads 2 --out "$WORK/w2" > /dev/null
diff <(without_seconds "$WORK/w1/trials.csv") <(without_seconds "$WORK/w2/trials.csv") \
  || fail "$w rows differ between 1 and 2 threads"
grep -q "\"fault_model\": \"$w\"" "$WORK/w1/summary.json" || fail "$w not recorded"

for bad in mlc:4 mlc:2-foo mlc:2:1,1,1 mlc:2:1,-1,1,1 mlc:2:0,0,0,0; do
  expect_input_error "bad mlc spec $bad" "$ARES" campaign "$ckpt" --fault-model "$bad" \
    --out "$WORK/bad"
  # The line names the spec.
  err="$("$ARES" campaign "$ckpt" --fault-model "$bad" --out "$WORK/bad" 2>&1 >/dev/null || true)"
  case "$err" in *"'$bad'"*) ;; *) fail "the error for $bad does not name it: $err" ;; esac
done
echo "ok: mlc"

# Bursts across words (burst:M): thread-count invariant; burst:1 gives flip's rows; at the same
# BER longer bursts flip more bits (the faults column counts upsets: the same for every M).
"$ARES" campaign "$ckpt" "${args[@]}" --fault-model burst:4 --threads 1 --out "$WORK/u1" > /dev/null
"$ARES" campaign "$ckpt" "${args[@]}" --fault-model burst:4 --threads 2 --out "$WORK/u2" > /dev/null
diff <(without_seconds "$WORK/u1/trials.csv") <(without_seconds "$WORK/u2/trials.csv") \
  || fail "burst:4 rows differ between 1 and 2 threads"
"$ARES" campaign "$ckpt" "${args[@]}" --fault-model burst:1 --threads 2 --out "$WORK/u0" > /dev/null
"$ARES" campaign "$ckpt" "${args[@]}" --fault-model flip --threads 2 --out "$WORK/f0" > /dev/null
[ "$(col error "$WORK/u0/trials.csv")" = "$(col error "$WORK/f0/trials.csv")" ] \
  || fail "burst:1 must give flip's errors"
[ "$(col faults "$WORK/u1/trials.csv")" = "$(col faults "$WORK/f0/trials.csv")" ] \
  || fail "burst:4 must place the same upsets as flip"
for bad in burst burst:0.5 burst:70; do
  expect_input_error "bad burst spec $bad" "$ARES" campaign "$ckpt" --fault-model "$bad" \
    --out "$WORK/bad"
done
echo "ok: burst"
