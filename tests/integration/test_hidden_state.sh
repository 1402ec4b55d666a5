#!/usr/bin/env bash
# The RNN hidden-state site and the weight site's selection end to end on tiny generated data:
# fmnist_gru trained one epoch on a row-sequential toy set; a `--site hidden:gru` campaign
# (summary with thresholds, thread and batch invariance, the null-fault control, TOML, bad
# stages); then `--param-kind` and `--bits` (candidate bits, TOML, resume refusal, bad input).
set -euo pipefail
ARES="$1"; WORK="$2"
source "$(dirname "$0")/common.sh"
rm -rf "$WORK"; mkdir -p "$WORK"
python3 "$(dirname "$0")/../fixtures/make_idx.py" "$WORK/toy" --train 600 --test 100 --gzip
export ARES_DATA_DIR="$WORK"  # "toy-seq": the toy set read row by row (28 steps of 28)

# Two epochs at a higher rate: the GRU learns the toy set a little (error well below 0.9).
"$ARES" train --model fmnist_gru --dataset toy-seq --epochs 2 --lr 0.003 --seed 2 --threads 2 \
  --out "$WORK/run" --quiet > "$WORK/train.txt"
ckpt="$WORK/run/fmnist_gru-s2.ckpt"
[ -f "$ckpt" ] || fail "no checkpoint: $(cat "$WORK/train.txt")"

# Hidden-state faults: 2 formats x 4 BERs x 3 trials; 1 thread vs 2 threads (bit for bit), and
# another batch: the same rows, the nll to float rounding (BLAS rounds a batch of 17 rows
# differently), so the summaries differ only in their last column (baseline_perplexity).
hid=("$ckpt" --site hidden:gru --formats q2.6-2c,q4.4-sm --bers 1e-5,1e-4,1e-3,1e-2 --trials 3
  --quiet)
"$ARES" campaign "${hid[@]}" --threads 1 --out "$WORK/h1" > "$WORK/h1.txt"
"$ARES" campaign "${hid[@]}" --threads 2 --out "$WORK/h3" > /dev/null
"$ARES" campaign "${hid[@]}" --threads 2 --batch 17 --out "$WORK/h2" > /dev/null
[ "$(wc -l < "$WORK/h1/trials.csv")" = 25 ] || fail "expected 24 trial rows"
diff <(without_seconds "$WORK/h1/trials.csv") <(without_seconds "$WORK/h3/trials.csv") \
  || fail "hidden-state trials differ between thread counts"
cmp "$WORK/h1/summary.csv" "$WORK/h3/summary.csv" || fail "summaries differ between thread counts"
diff <(without_nll "$WORK/h1/trials.csv") <(without_nll "$WORK/h2/trials.csv") \
  || fail "hidden-state trials differ between batches"
nll_close "$WORK/h1/trials.csv" "$WORK/h2/trials.csv" || fail "hidden-state nll differs between batches"
cmp <(without_seconds "$WORK/h1/summary.csv") <(without_seconds "$WORK/h2/summary.csv") \
  || fail "summaries differ between batches"
awk -F, 'NR > 1 && $5 != "hidden:gru" { bad = 1 } END { exit bad }' "$WORK/h1/trials.csv" \
  || fail "site column is not hidden:gru"
# Candidate bits: 100 samples x 28 steps x 128 units x 8 bits.
awk -F, 'NR > 1 && $11 != 2867200 { bad = 1 } END { exit bad }' "$WORK/h1/trials.csv" \
  || fail "bits column"
# BER 1e-2 over 28,672 bits a sample: every trial is faulty and evaluated, from stage 0.
awk -F, 'NR > 1 && $7 == 3 && ($12 == 0 || $17 != 1 || $13 != 0) { bad = 1 } END { exit bad }' \
  "$WORK/h1/trials.csv" || fail "BER 1e-2 hidden-state trials must all be evaluated"
# The summary: a header with the four levels, one row per format with a threshold each.
head -1 "$WORK/h1.txt" | grep -q "+0.5%.*+1%.*+5%.*+10%" || fail "summary header: $(head -1 "$WORK/h1.txt")"
[ "$(sed '/^95% intervals/q' "$WORK/h1.txt" | grep -c "fmnist_gru")" = 2 ] \
  || fail "summary rows: $(cat "$WORK/h1.txt")"
[ "$(sed -n '/^95% intervals/,$p' "$WORK/h1.txt" | grep -c "fmnist_gru")" = 2 ] \
  || fail "interval rows: $(cat "$WORK/h1.txt")"
awk -F, 'NR > 1 { for (i = 12; i <= 18; i += 2) if ($i !~ /^(within|below_grid|above_grid)$/) bad = 1 }
  END { exit bad || NR != 3 }' "$WORK/h1/summary.csv" || fail "summary.csv thresholds"
# A model better than chance degrades within the grid: some threshold is a grid BER.
grep -q ",within" "$WORK/h1/summary.csv" || fail "no threshold within the grid: $(cat "$WORK/h1.txt")"
grep -q '"ber": ' "$WORK/h1/summary.json" || fail "summary.json lacks thresholds"
echo "ok: hidden:gru campaign"; cat "$WORK/h1.txt"

# Null-fault control: all 8 bits protected drives the machinery and changes nothing.
"$ARES" campaign "$ckpt" --site hidden:gru --formats q2.6-2c+msb:8 --bers 1e-2,1 --trials 2 \
  --quiet --out "$WORK/hnull" > /dev/null
base="$(awk -F, 'NR == 2 { print $10 }' "$WORK/hnull/summary.csv")"
awk -F, -v b="$base" 'NR > 1 && ($12 != 0 || $16 != b || $17 != 0) { bad = 1 } END { exit bad }' \
  "$WORK/hnull/trials.csv" || fail "null hidden-state faults differ from the baseline $base"

# The same campaign from TOML.
cat > "$WORK/hidden.toml" <<TOML
site = "hidden:gru"
formats = ["q2.6-2c", "q4.4-sm"]
bers = [1e-5, 1e-4, 1e-3, 1e-2]
trials = 3
TOML
"$ARES" campaign "$ckpt" --spec "$WORK/hidden.toml" --quiet --out "$WORK/htoml" > /dev/null
diff <(without_seconds "$WORK/h1/trials.csv") <(without_seconds "$WORK/htoml/trials.csv") \
  || fail "TOML and flags give different hidden-state results"

expect_input_error "hidden site on a linear stage" "$ARES" campaign "$ckpt" --site hidden:fc1 \
  --bers 1e-3 --trials 1 --out "$WORK/x1"
expect_input_error "hidden site, unknown stage" "$ARES" campaign "$ckpt" --site hidden:nosuch \
  --bers 1e-3 --trials 1 --out "$WORK/x2"
expect_input_error "hidden site, no stage" "$ARES" campaign "$ckpt" --site hidden: \
  --out "$WORK/x3"
[ ! -e "$WORK/x1/campaign.db" ] || fail "a refused campaign left a store"

# Weight-site selection. --bits 7: one candidate bit per value (78,474 values); under sign
# protection (bit 7 is q2.6's sign) none, so no fault at any BER.
"$ARES" campaign "$ckpt" --formats q2.6-2c,q2.6-2c+sign --bits 7 --bers 1e-3,1e-1 --trials 2 \
  --quiet --out "$WORK/b7" > /dev/null
awk -F, 'NR > 1 && $6 == "none" && ($7 != 78474 || $8 != 78474) { bad = 1 }
  NR > 1 && $6 == "sign" && $8 != 0 { bad = 1 } END { exit bad }' "$WORK/b7/summary.csv" \
  || fail "--bits 7 candidate bits: $(cat "$WORK/b7/summary.csv")"
awk -F, 'NR > 1 && $4 == "sign" && $12 != 0 { bad = 1 }
  NR > 1 && $4 == "none" && $7 == 1 && $12 < 1000 { bad = 1 } END { exit bad }' \
  "$WORK/b7/trials.csv" || fail "--bits 7 faults"
# Resuming that store with another selection is refused.
expect_input_error "resume with other bits" "$ARES" campaign "$ckpt" \
  --formats q2.6-2c,q2.6-2c+sign --bits 6 --bers 1e-3,1e-1 --trials 2 --quiet --out "$WORK/b7"
expect_input_error "resume with another kind" "$ARES" campaign "$ckpt" \
  --formats q2.6-2c,q2.6-2c+sign --bits 7 --param-kind weight --bers 1e-3,1e-1 --trials 2 \
  --quiet --out "$WORK/b7"
# --param-kind bias: gru.bias_ih + gru.bias_hh (2 x 384) + fc1.bias (128) + fc2.bias (10).
"$ARES" campaign "$ckpt" --formats q4.4-sm --param-kind bias --bits 0-3,7 --bers 1e-2 \
  --trials 2 --quiet --out "$WORK/bias" > /dev/null
awk -F, 'NR == 2 && ($7 != 906 || $8 != 4530) { bad = 1 } END { exit bad }' \
  "$WORK/bias/summary.csv" || fail "--param-kind bias values: $(cat "$WORK/bias/summary.csv")"
cat > "$WORK/sel.toml" <<TOML
formats = ["q4.4-sm"]
param_kind = "bias"
bits = [0, 1, 2, 3, 7]
bers = [1e-2]
trials = 2
TOML
"$ARES" campaign "$ckpt" --spec "$WORK/sel.toml" --quiet --out "$WORK/seltoml" > /dev/null
diff <(without_seconds "$WORK/bias/trials.csv") <(without_seconds "$WORK/seltoml/trials.csv") \
  || fail "TOML and flags give different selections"
expect_input_error "bit outside the format" "$ARES" campaign "$ckpt" --formats q2.6-2c --bits 8 \
  --out "$WORK/x4"
expect_input_error "bad bit list" "$ARES" campaign "$ckpt" --bits 3-1 --out "$WORK/x5"
expect_input_error "bad param kind" "$ARES" campaign "$ckpt" --param-kind gates --out "$WORK/x6"
expect_input_error "param kind on the hidden site" "$ARES" campaign "$ckpt" --site hidden:gru \
  --param-kind bias --out "$WORK/x7"
# (Into a file: grep -q stops reading at the first match, and with pipefail the writer's
# SIGPIPE would fail the line once the help outgrows one pipe write.)
"$ARES" campaign --help > "$WORK/help.txt"
grep -q -- "--param-kind" "$WORK/help.txt" || fail "--help lacks --param-kind"
grep -q "hidden:STAGE" "$WORK/help.txt" || fail "--help lacks hidden:STAGE"
echo "PASS"
