#!/usr/bin/env bash
# Chips (--chips N): persistent maps of stuck-at cells. Rows are the same for 1 and 2 threads;
# a chip's faulty cells only grow along the BER grid (nested maps); two encodings of one width
# see the same cells; saved maps loaded again give the same rows; a hand-written map of one
# cell faults exactly that cell at every BER; bad input gives one line and exit 2.
set -euo pipefail
ARES="$1"; WORK="$2"
source "$(dirname "$0")/common.sh"
rm -rf "$WORK"; mkdir -p "$WORK"
python3 "$(dirname "$0")/../fixtures/make_idx.py" "$WORK/data" --train 2000 --test 300 --gzip
"$ARES" train --model mnist_fc --dataset "$WORK/data" --epochs 1 --seed 3 --threads 2 \
  --out "$WORK/ck" --quiet > /dev/null
ckpt="$WORK/ck/mnist_fc-s3.ckpt"

args=("$ckpt" --formats q2.6-2c,q2.6-sm,q4.12-2c --bers 1e-5,1e-4,1e-3,1e-2 --chips 4 --quiet)
"$ARES" campaign "${args[@]}" --threads 1 --save-chips "$WORK/maps" --out "$WORK/c1" > /dev/null
"$ARES" campaign "${args[@]}" --threads 2 --out "$WORK/c2" > /dev/null
diff <(without_seconds "$WORK/c1/trials.csv") <(without_seconds "$WORK/c2/trials.csv") \
  || fail "chips: rows differ between 1 and 2 threads"
[ "$(ls "$WORK/maps" | wc -l)" = 4 ] || fail "chips: expected 4 saved maps in $WORK/maps"

python3 - "$WORK/c1/trials.csv" <<'PY' || fail "chips: faults not nested, or encodings on other cells"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
faults = {(r["format"], int(r["trial"]), int(r["ber_index"])): int(r["faults"]) for r in rows}
for (f, chip, b), n in faults.items():
    if b > 0:
        assert n >= faults[(f, chip, b - 1)], (f, chip, b)  # the cells only grow with the BER
    # q2.6-2c and q2.6-sm store 8-bit words on the same cells
    assert faults[("q2.6-2c", chip, b)] == faults[("q2.6-sm", chip, b)], (chip, b)
# ~ BER x bits cells at 1e-2 (266,610 words of 8 bits): 21,329, within 5 sigma
n = [faults[("q2.6-2c", c, 3)] for c in range(4)]
assert all(abs(x - 21329) < 5 * 146 for x in n), n
# the trials differ between chips
assert len(set(n)) > 1, n
PY

# Saved maps loaded again: the same rows.
"$ARES" campaign "${args[@]}" --threads 2 --load-chips "$WORK/maps" --out "$WORK/c3" > /dev/null
diff <(without_seconds "$WORK/c1/trials.csv") <(without_seconds "$WORK/c3/trials.csv") \
  || fail "chips: loaded maps give other rows than the drawn ones"

# A measured map of one cell, stuck at 1, at the sign bit of fc1.weight's first word (address
# 7 for 8-bit words): one faulty cell at every BER, for every encoding of 8 bits.
mkdir -p "$WORK/one"
printf 'address,stuck\n7,1\n' > "$WORK/one/chip-0.csv"
"$ARES" campaign "$ckpt" --formats q2.6-2c,q2.6-sm --bers 1e-6,1e-3 --chips 1 \
  --load-chips "$WORK/one" --quiet --out "$WORK/one_out" > /dev/null
awk -F, 'NR > 1 && $12 != 1 { bad = 1 } END { exit bad }' "$WORK/one_out/trials.csv" \
  || fail "a map of one cell must fault one cell in every trial"

expect_input_error "chips and trials" "$ARES" campaign "$ckpt" --chips 2 --trials 3 --out "$WORK/x1"
expect_input_error "chips on an activation site" "$ARES" campaign "$ckpt" --chips 2 \
  --site act:fc1 --out "$WORK/x2"
expect_input_error "chips under a fault model" "$ARES" campaign "$ckpt" --chips 2 \
  --fault-model stuck0 --out "$WORK/x3"
expect_input_error "load without chips" "$ARES" campaign "$ckpt" --load-chips "$WORK/maps" \
  --out "$WORK/x4"
expect_input_error "missing map" "$ARES" campaign "$ckpt" --chips 6 --load-chips "$WORK/maps" \
  --out "$WORK/x5"
printf 'address,stuck\n9,1\n4,0\n' > "$WORK/one/chip-0.csv"
expect_input_error "bad map" "$ARES" campaign "$ckpt" --chips 1 --load-chips "$WORK/one" \
  --out "$WORK/x6"
for x in x1 x2 x3 x4 x5 x6; do [ ! -e "$WORK/$x" ] || fail "$x: a refused campaign left $WORK/$x"; done
echo "test_chips: ok"
