#!/usr/bin/env bash
# TorchScript models staged from their graph (issue 16): CNNs written with functional calls
# (ReLU and tanh variants) and an nn.Sequential MLP, exported by Debian's python3-torch, give
# PyTorch's predictions, run weight campaigns by their stage names with the fast engine's rows
# equal to the reference engine's and to the one-stage model's, and take --site act:STAGE; a
# residual model falls back to one stage with one line saying why, and still runs.
set -euo pipefail
ARES="$1"; WORK="$2"
source "$(dirname "$0")/common.sh"
need_python_torch
rm -rf "$WORK"; mkdir -p "$WORK"
python3 "$(dirname "$0")/../fixtures/make_idx.py" "$WORK/data" --train 300 --test 400
"$PY" "$(dirname "$0")/../fixtures/export_chain_models.py" "$WORK/data" "$WORK"

# trials.csv without its nll, perplexity, seconds and first_stage columns (one stage has only
# stage 0). The engines' logits differ by float rounding, so the nll is compared to 1e-5.
rows() { without_nll "$1" | cut -d, -f13 --complement; }

for m in cnn cnn_tanh mlp residual resblock; do
  "$ARES" evaluate "$WORK/$m.pt" --dataset "$WORK/data" --threads 1 \
    --predictions "$WORK/${m}_ares.csv" > "$WORK/$m.eval" 2> "$WORK/$m.err"
  cmp "$WORK/${m}_pred.csv" "$WORK/${m}_ares.csv" || fail "$m: predictions differ from PyTorch's"
  if [ "$m" = residual ]; then
    [ "$(wc -l < "$WORK/$m.err")" = 1 ] || fail "residual: expected one note, got: $(cat "$WORK/$m.err")"
    grep -qF "residual.pt: forward is not a chain of Linear/Conv2d (" "$WORK/$m.err" &&
      grep -qF "used twice" "$WORK/$m.err" && grep -qF "one stage, no prefix reuse" "$WORK/$m.err" ||
      fail "residual: the note does not say why: $(cat "$WORK/$m.err")"
  else
    [ ! -s "$WORK/$m.err" ] || fail "$m: staged, but stderr says: $(cat "$WORK/$m.err")"
  fi
  echo "ok: $m: $(cat "$WORK/$m.eval") — PyTorch's predictions"
done

# Weight campaigns by stage names: fast == reference == one stage (ARES_TORCHSCRIPT_STAGES=0).
declare -A stage_targets=([cnn]='conv*,fc1.weight' [cnn_tanh]='conv2.*,fc*.weight'
                          [mlp]='net_3.*,net_5.weight' [resblock]='block.*,down.*,fc.weight')
declare -A script_targets=([cnn]='script.conv*,script.fc1.weight'
                           [cnn_tanh]='script.conv2.*,script.fc*.weight'
                           [mlp]='script.net.3.*,script.net.5.weight'
                           [resblock]='script.block.*,script.down.*,script.fc.weight')
for m in cnn cnn_tanh mlp resblock; do
  args=("$WORK/$m.pt" --dataset "$WORK/data" --formats q2.6-2c,fp16 --bers 1e-4,1e-3,1e-2
        --trials 4 --threads 2 --quiet)
  "$ARES" campaign "${args[@]}" --targets "${stage_targets[$m]}" --engine fast \
    --out "$WORK/$m-fast" > /dev/null
  "$ARES" campaign "${args[@]}" --targets "${stage_targets[$m]}" --engine reference \
    --out "$WORK/$m-ref" > /dev/null
  ARES_TORCHSCRIPT_STAGES=0 "$ARES" campaign "${args[@]}" --targets "${script_targets[$m]}" \
    --engine fast --out "$WORK/$m-one" > /dev/null
  diff <(without_nll "$WORK/$m-fast/trials.csv") <(without_nll "$WORK/$m-ref/trials.csv") \
    || fail "$m: fast and reference engines differ"
  nll_close "$WORK/$m-fast/trials.csv" "$WORK/$m-ref/trials.csv" \
    || fail "$m: fast and reference nll differ"
  diff <(rows "$WORK/$m-fast/trials.csv") <(rows "$WORK/$m-one/trials.csv") \
    || fail "$m: staged and one-stage rows differ"
  nll_close "$WORK/$m-fast/trials.csv" "$WORK/$m-one/trials.csv" \
    || fail "$m: staged and one-stage nll differ"
  awk -F, 'NR > 1 && $17 == 1 && $13 > 0 { n++ } END { exit !(n > 0) }' "$WORK/$m-fast/trials.csv" \
    || fail "$m: no evaluated trial began after the first stage"
  awk -F, 'NR > 1 && $16 > 0 { n++ } END { exit !(n > 0) }' "$WORK/$m-fast/trials.csv" \
    || fail "$m: no trial had an error"
  echo "ok: $m: weight campaign by stage names, fast == reference == one stage"
done
grep -q '"fc1.weight"\|fc1\.weight' "$WORK/cnn-fast/summary.json" || fail "cnn: fc1.weight not targeted"
grep -q 'fc1\.bias' "$WORK/cnn-fast/summary.json" && fail "cnn: fc1.bias was targeted"

# Activation sites on a staged TorchScript model.
"$ARES" campaign "$WORK/cnn.pt" --dataset "$WORK/data" --site act:conv2 --formats q4.4-sm \
  --bers 1e-4,1e-3 --trials 2 --quiet --out "$WORK/act" > /dev/null
grep -q ",act:conv2," "$WORK/act/trials.csv" || fail "act:conv2 rows missing"
expect_input_error "unknown stage of a staged TorchScript model" "$ARES" campaign "$WORK/cnn.pt" \
  --dataset "$WORK/data" --site act:script --quiet --out "$WORK/x1"

# The residual model runs as one stage, by its TorchScript names.
"$ARES" campaign "$WORK/residual.pt" --dataset "$WORK/data" --targets 'script.fc1.weight' \
  --bers 1e-3 --trials 2 --quiet --out "$WORK/res" > /dev/null 2> "$WORK/res.err"
grep -qF "one stage, no prefix reuse" "$WORK/res.err" || fail "residual campaign: no note"
awk -F, 'NR > 1 && $17 == 1 { n++ } END { exit !(n > 0) }' "$WORK/res/trials.csv" \
  || fail "residual: no trial was evaluated"
echo "test_torchscript_stages: all checks passed"
