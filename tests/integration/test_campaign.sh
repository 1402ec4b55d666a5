#!/usr/bin/env bash
# End to end on tiny generated data: train, determinism, campaign, thread-count invariance,
# the null-fault control, the TOML spec, and bad input.
set -euo pipefail
ARES="$1"; WORK="$2"
source "$(dirname "$0")/common.sh"
rm -rf "$WORK"; mkdir -p "$WORK"
python3 "$(dirname "$0")/../fixtures/make_idx.py" "$WORK/data" --train 2000 --test 400 --gzip

# Training one epoch, twice: same seed and threads -> the same checkpoint bytes.
"$ARES" train --model mnist_fc --dataset "$WORK/data" --epochs 1 --seed 3 --threads 2 \
  --out "$WORK/a" --quiet > "$WORK/train.txt"
"$ARES" train --model mnist_fc --dataset "$WORK/data" --epochs 1 --seed 3 --threads 2 \
  --out "$WORK/b" --quiet > /dev/null
cmp "$WORK/a/mnist_fc-s3.ckpt" "$WORK/b/mnist_fc-s3.ckpt" || fail "training is not deterministic"
err="$(awk '{print $6}' "$WORK/train.txt")"
awk -v e="$err" 'BEGIN { exit !(e < 0.2) }' || fail "one epoch should learn the toy data, error $err"
ckpt="$WORK/a/mnist_fc-s3.ckpt"

# A campaign of a few BERs, with 1 and 2 threads: identical rows (but the seconds column).
args=(--formats q2.6-2c,q2.6-sm,q2.6-2c+sign --bers 1e-5,1e-4,1e-3,1e-2 --trials 4 --quiet)
"$ARES" campaign "$ckpt" "${args[@]}" --threads 1 --out "$WORK/c1" > "$WORK/c1.txt"
"$ARES" campaign "$ckpt" "${args[@]}" --threads 2 --out "$WORK/c2" > /dev/null
[ "$(wc -l < "$WORK/c1/trials.csv")" = 49 ] || fail "expected 48 trial rows"
diff <(without_seconds "$WORK/c1/trials.csv") <(without_seconds "$WORK/c2/trials.csv") \
  || fail "trials differ between --threads 1 and 2"
cmp "$WORK/c1/summary.csv" "$WORK/c2/summary.csv" || fail "summaries differ between thread counts"
# Every threshold has a 95% interval (same for any thread count, by the cmp above): lo <= hi,
# and each level says whether the test set resolves it.
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
  { lo = $col["ber_at_1pct_lo"]; hi = $col["ber_at_1pct_hi"]
    if (lo == "" || hi == "" || (hi != "inf" && lo + 0 > hi + 0)) bad = 1
    if ($col["below_resolution_at_1pct"] !~ /^[01]$/) bad = 1 }
  END { exit bad }' "$WORK/c1/summary.csv" || fail "summary.csv lacks sound threshold intervals"
grep -q "q2.6-2c+sign" "$WORK/c1.txt" || fail "table lacks the sign-protected row"
# At BER 1e-2 over ~2M bits, every trial has faults and is evaluated.
awk -F, 'NR > 1 && $7 == 3 && ($12 == 0 || $17 != 1) { bad = 1 } END { exit bad }' \
  "$WORK/c1/trials.csv" || fail "BER 1e-2 trials must all be faulty and evaluated"
# The fast engine equals the reference engine on every trial.
"$ARES" campaign "$ckpt" "${args[@]}" --threads 2 --engine reference --out "$WORK/ref" > /dev/null
diff <(cut -d, -f1-17 "$WORK/c1/trials.csv") <(cut -d, -f1-17 "$WORK/ref/trials.csv") \
  || fail "fast and reference engines differ"

# Null-fault control: all 8 bits protected drives the whole machinery and flips nothing;
# every trial must equal the baseline exactly.
"$ARES" campaign "$ckpt" --formats q2.6-2c+msb:8 --bers 1e-3,1 --trials 3 --quiet \
  --out "$WORK/null" > /dev/null
base="$(awk -F, 'NR == 2 { print $10 }' "$WORK/null/summary.csv")"
awk -F, -v b="$base" 'NR > 1 && ($12 != 0 || $16 != b) { bad = 1 } END { exit bad }' \
  "$WORK/null/trials.csv" || fail "null-fault trials differ from the baseline $base"

# The same campaign from a TOML spec file.
cat > "$WORK/spec.toml" <<TOML
# tiny campaign
[campaign]
formats = ["q2.6-2c", "q2.6-sm", "q2.6-2c+sign"]
bers = [1e-5, 1e-4, 1e-3, 1e-2]
trials = 4
threads = 1
TOML
"$ARES" campaign "$ckpt" --spec "$WORK/spec.toml" --quiet --out "$WORK/toml" > /dev/null
diff <(without_seconds "$WORK/c1/trials.csv") <(without_seconds "$WORK/toml/trials.csv") \
  || fail "TOML spec and flags give different results"

# Other fault models run end to end; value-level ones count hit values, not bits.
for m in stuck1 zero signflip gaussian:0.5 uniform; do
  "$ARES" campaign "$ckpt" --formats q2.6-sm --fault-model "$m" --bers 1e-3,1e-1 --trials 2 \
    --quiet --out "$WORK/model_${m%%:*}" > /dev/null
  grep -q "\"fault_model\": \"$m" "$WORK/model_${m%%:*}/summary.json" || fail "$m not recorded"
  awk -F, 'NR > 1 && $7 == 1 && $12 == 0 { bad = 1 } END { exit bad }' \
    "$WORK/model_${m%%:*}/trials.csv" || fail "$m: rate 0.1 must hit something"
done
expect_input_error "bad fault model" "$ARES" campaign "$ckpt" --fault-model stuck2 --out "$WORK/x9"

# Activation faults: fc1's output stored in q4.4-sm; thread-count invariant; all bits
# protected is the null-fault control; an unknown stage is refused.
act=("$ckpt" --site act:fc1 --formats q4.4-sm,q4.4-2c --bers 1e-5,1e-4,1e-3 --trials 3 --quiet)
"$ARES" campaign "${act[@]}" --threads 1 --out "$WORK/act1" > /dev/null
"$ARES" campaign "${act[@]}" --threads 2 --out "$WORK/act2" > /dev/null
diff <(without_seconds "$WORK/act1/trials.csv") <(without_seconds "$WORK/act2/trials.csv") \
  || fail "activation trials differ between thread counts"
grep -q ",act:fc1," "$WORK/act1/trials.csv" || fail "site column"
awk -F, 'NR > 1 && $7 == 2 && $17 == 1 { n++ } END { exit !(n > 0) }' "$WORK/act1/trials.csv" \
  || fail "no activation trial was evaluated at BER 1e-3"
"$ARES" campaign "$ckpt" --site act:fc2 --formats q4.4-sm+msb:8 --bers 1e-2 --trials 2 --quiet \
  --out "$WORK/actnull" > /dev/null
base="$(awk -F, 'NR == 2 { print $10 }' "$WORK/actnull/summary.csv")"
awk -F, -v b="$base" 'NR > 1 && ($12 != 0 || $16 != b) { bad = 1 } END { exit bad }' \
  "$WORK/actnull/trials.csv" || fail "null activation faults differ from the baseline"
expect_input_error "unknown stage" "$ARES" campaign "$ckpt" --site act:nosuch --out "$WORK/x10"
expect_input_error "bad site" "$ARES" campaign "$ckpt" --site gradients --out "$WORK/x10"

# Bad input: one line, exit 2, nothing written.
cp -r "$WORK/data" "$WORK/bad"
printf 'garbage-not-idx' | gzip > "$WORK/bad/t10k-images-idx3-ubyte.gz"
expect_input_error "corrupt IDX" "$ARES" campaign "$ckpt" --dataset "$WORK/bad" --bers 1e-3 \
  --trials 1 --out "$WORK/x1"
head -c 1000 "$WORK/data/t10k-images-idx3-ubyte.gz" > "$WORK/bad/t10k-images-idx3-ubyte.gz"
expect_input_error "truncated IDX" "$ARES" train --model mnist_fc --dataset "$WORK/bad" \
  --out "$WORK/x2"
expect_input_error "unknown model" "$ARES" train --model nosuchnet --out "$WORK/x3"
expect_input_error "bad format" "$ARES" campaign "$ckpt" --formats q2.6-xx --out "$WORK/x4"
expect_input_error "zero width" "$ARES" campaign "$ckpt" --formats q0.0-sm --out "$WORK/x4"
expect_input_error "BER 0" "$ARES" campaign "$ckpt" --bers 0 --out "$WORK/x5"
expect_input_error "BER > 1" "$ARES" campaign "$ckpt" --bers 1.5 --out "$WORK/x6"
expect_input_error "missing checkpoint" "$ARES" campaign "$WORK/none.ckpt" --out "$WORK/x7"
head -c 5000 "$ckpt" > "$WORK/trunc.ckpt"
expect_input_error "truncated checkpoint" "$ARES" campaign "$WORK/trunc.ckpt" --out "$WORK/x8"
expect_input_error "unknown flag" "$ARES" campaign "$ckpt" --bogus 1
# Paired encodings: recorded in summary.json, and the same faults per trial across widths.
"$ARES" campaign "$ckpt" --formats q2.6-2c,q2.6-sm --bers 1e-3,1e-2 --trials 3 --pairing paired \
  --quiet --out "$WORK/paired" > /dev/null
grep -q '"pairing": "paired"' "$WORK/paired/summary.json" || fail "pairing not recorded"
[ "$(awk -F, 'NR > 1 && $3 == "q2.6-2c" { print $7, $9, $12 }' "$WORK/paired/trials.csv")" = \
  "$(awk -F, 'NR > 1 && $3 == "q2.6-sm" { print $7, $9, $12 }' "$WORK/paired/trials.csv")" ] \
  || fail "paired encodings count different faults"
# Planning: the fault sample size, and trials from this campaign as a pilot.
"$ARES" plan --population 100 --margin 0.01 | grep -q "^99 faults" || fail "plan: sample size"
"$ARES" plan "$WORK/c1" --factor 2 | grep -q "trials per BER for every interval" \
  || fail "plan: pilot"
expect_input_error "plan factor" "$ARES" plan "$WORK/c1" --factor 1
expect_input_error "plan margin" "$ARES" plan --population 100 --margin 2
expect_input_error "bad protection" "$ARES" campaign "$ckpt" --formats q2.6-2c+msb:9
for d in x1 x2 x3 x4 x5 x6 x7 x8 x9 x10; do
  [ ! -e "$WORK/$d" ] || fail "bad input left $WORK/$d behind"
done
echo "test_campaign: all checks passed"
