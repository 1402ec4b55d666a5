#!/usr/bin/env bash
# The OCP 8-bit floats end to end on tiny generated data: a campaign over fp8-e4m3, fp8-e5m2
# and their -nosat variants (rows, bit counts, fast engine == reference engine, the null-fault
# control), `ares quantize --floats` with them, and a bad fp8 spec. A few seconds.
set -euo pipefail
ARES="$1"; WORK="$2"
source "$(dirname "$0")/common.sh"
rm -rf "$WORK"; mkdir -p "$WORK"
python3 "$(dirname "$0")/../fixtures/make_idx.py" "$WORK/data" --train 500 --test 200 --gzip
"$ARES" train --model mnist_fc --dataset "$WORK/data" --epochs 1 --seed 3 --threads 1 \
  --out "$WORK/ck" --quiet > /dev/null
ckpt="$WORK/ck/mnist_fc-s3.ckpt"

formats=fp8-e4m3,fp8-e5m2,fp8-e4m3-nosat,fp8-e5m2-nosat
args=(--formats "$formats" --bers 1e-4,1e-2 --trials 2 --threads 1 --quiet)
"$ARES" campaign "$ckpt" "${args[@]}" --out "$WORK/c" > "$WORK/c.txt"
# 4 formats x 2 BERs x 2 trials, in the order given, each named by its canonical spec.
[ "$(wc -l < "$WORK/c/trials.csv")" = 17 ] || fail "expected 16 trial rows"
[ "$(awk -F, 'NR > 1 { print $5 }' "$WORK/c/summary.csv" | paste -sd, -)" = "$formats" ] ||
  fail "summary.csv lacks the fp8 rows: $(cat "$WORK/c/summary.csv")"
for f in ${formats//,/ }; do
  grep -q " $f " "$WORK/c.txt" || fail "the table lacks $f: $(cat "$WORK/c.txt")"
done
# 8 stored bits per value.
awk -F, 'NR > 1 && $8 != 8 * $7 { bad = 1 } END { exit bad }' "$WORK/c/summary.csv" ||
  fail "fp8 rows do not store 8 bits per value"
# At BER 1e-2 every trial has faults and is evaluated.
awk -F, 'NR > 1 && $7 == 1 && ($12 == 0 || $17 != 1) { bad = 1 } END { exit bad }' \
  "$WORK/c/trials.csv" || fail "BER 1e-2 trials must all be faulty and evaluated"
# The fast engine equals the reference engine on every trial.
"$ARES" campaign "$ckpt" "${args[@]}" --engine reference --out "$WORK/ref" > /dev/null
diff <(cut -d, -f1-17 "$WORK/c/trials.csv") <(cut -d, -f1-17 "$WORK/ref/trials.csv") ||
  fail "fast and reference engines differ on fp8"

# Null-fault control: all 8 bits protected flips nothing; every trial equals the baseline.
"$ARES" campaign "$ckpt" --formats fp8-e4m3+msb:8,fp8-e5m2-nosat+msb:8 --bers 1e-3,1 \
  --trials 2 --threads 1 --quiet --out "$WORK/null" > /dev/null
awk -F, 'NR == FNR { if (FNR > 1) base[$5] = $10; next }
  FNR > 1 && ($12 != 0 || $16 != base[$3]) { bad = 1 } END { exit bad }' \
  "$WORK/null/summary.csv" "$WORK/null/trials.csv" || fail "fp8 null-fault trials differ"

# ares quantize considers fp8 only when asked (its default floats stay fp16,bf16).
"$ARES" quantize "$ckpt" --bits 8 --int-bits 2 --encodings 2c --floats fp8-e4m3,fp8-e5m2 \
  --max-loss 5 --quiet --out "$WORK/q" > "$WORK/q.txt"
grep -q "^fp8-e4m3 " "$WORK/q.txt" && grep -q "^fp8-e5m2 " "$WORK/q.txt" ||
  fail "quantize lacks the fp8 rows: $(cat "$WORK/q.txt")"
grep -q ",model,fp8-e4m3,8," "$WORK/q/quantize.csv" || fail "quantize.csv lacks fp8-e4m3"
"$ARES" quantize "$ckpt" --bits 8 --int-bits 2 --encodings 2c --quiet > "$WORK/q2.txt"
if grep -q "^fp8" "$WORK/q2.txt"; then fail "quantize lists fp8 without --floats"; fi

expect_input_error "bad fp8 spec" "$ARES" campaign "$ckpt" --formats fp8-e4m3,fp8-e3m4 \
  --out "$WORK/x1"
err="$("$ARES" campaign "$ckpt" --formats fp8-e3m4 --out "$WORK/x2" 2>&1 >/dev/null)" || true
grep -qF "format 'fp8-e3m4'" <<<"$err" || fail "the error does not name the spec: $err"
expect_input_error "fixed point among the floats" "$ARES" quantize "$ckpt" --floats q2.6-2c \
  --out "$WORK/x3"

echo "test_fp8: all checks passed"
