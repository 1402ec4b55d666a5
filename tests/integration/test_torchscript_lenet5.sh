#!/usr/bin/env bash
# The zoo's lenet5 re-written in Python (tests/fixtures/lenet5_torchscript.py), loaded with a
# zoo checkpoint's weights and exported as TorchScript, is staged from its graph into the
# zoo's stages: the same clean error and, for weight and activation campaigns, the same rows
# as the zoo model (checkpoint and seconds aside), fast engine and reference engine alike.
set -euo pipefail
ARES="$1"; WORK="$2"
source "$(dirname "$0")/common.sh"
need_python_torch
rm -rf "$WORK"; mkdir -p "$WORK"
python3 "$(dirname "$0")/../fixtures/make_idx.py" "$WORK/data" --train 600 --test 200 --gzip
"$ARES" train --model lenet5 --dataset "$WORK/data" --epochs 1 --seed 4 --threads 2 \
  --out "$WORK/ck" --quiet > /dev/null
ckpt="$WORK/ck/lenet5-s4.ckpt"
"$PY" "$(dirname "$0")/../fixtures/lenet5_torchscript.py" "$ckpt" "$WORK/lenet5.pt"

"$ARES" evaluate "$ckpt" --predictions "$WORK/zoo_pred.csv" > "$WORK/zoo_eval.txt"
"$ARES" evaluate "$WORK/lenet5.pt" --dataset "$WORK/data" --predictions "$WORK/ts_pred.csv" \
  > "$WORK/ts_eval.txt" 2> "$WORK/ts_eval.err"
cmp "$WORK/zoo_pred.csv" "$WORK/ts_pred.csv" || fail "predictions differ from the zoo model's"
[ ! -s "$WORK/ts_eval.err" ] || fail "the Python lenet5 was not staged: $(cat "$WORK/ts_eval.err")"
"$ARES" sites "$WORK/lenet5.pt" --dataset "$WORK/data" > "$WORK/ts_sites.txt"
"$ARES" sites "$ckpt" > "$WORK/zoo_sites.txt"
# The zoo's sites first, the same lines; then the graph's own (its ops' outputs, the logits).
head -n "$(wc -l < "$WORK/zoo_sites.txt")" "$WORK/ts_sites.txt" | diff "$WORK/zoo_sites.txt" - \
  || fail "the sites differ from the zoo model's"
tail -n +"$(($(wc -l < "$WORK/zoo_sites.txt") + 1))" "$WORK/ts_sites.txt" | grep -qE '^act:relu_1 ' \
  || fail "no graph sites after the zoo's"

# Rows without the checkpoint (column 2) and seconds: identical.
for site in weights act:conv2; do
  for engine in fast reference; do
    args=(--site "$site" --formats q2.6-2c,q2.6-sm --bers 1e-4,1e-3,1e-2 --trials 3 --engine "$engine"
          --threads 2 --quiet)
    "$ARES" campaign "$ckpt" "${args[@]}" --out "$WORK/zoo_${site/:/_}_$engine" > /dev/null
    "$ARES" campaign "$WORK/lenet5.pt" --dataset "$WORK/data" "${args[@]}" \
      --out "$WORK/ts_${site/:/_}_$engine" > /dev/null
    diff <(without_checkpoint "$WORK/zoo_${site/:/_}_$engine/trials.csv") \
      <(without_checkpoint "$WORK/ts_${site/:/_}_$engine/trials.csv") \
      || fail "$site, $engine engine: the TorchScript lenet5's rows differ from the zoo's"
    echo "ok: $site $engine: rows identical to the zoo model's"
  done
done
awk -F, 'NR > 1 && $13 > 0 { n++ } END { exit !(n > 0) }' "$WORK/ts_weights_fast/trials.csv" \
  || fail "no trial started after the first stage (no prefix reuse)"
echo "test_torchscript_lenet5: ok"
