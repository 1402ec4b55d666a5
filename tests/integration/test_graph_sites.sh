#!/usr/bin/env bash
# Sites anywhere in a TorchScript model (issue 16): a small vision transformer (attention, GELU
# MLP, LayerNorm, a class token) trained a few steps by Debian's python3-torch and a residual
# model, brought in as TorchScript only. `ares sites` lists their submodule and op outputs;
# activation campaigns run at attention, MLP, LayerNorm and residual-add sites, with rows that do
# not depend on the thread count; a weight campaign runs on the transformer; an unknown site is
# refused in one line with the nearest names, exit 2, nothing written.
set -euo pipefail
ARES="$1"; WORK="$2"
source "$(dirname "$0")/common.sh"
need_python_torch
rm -rf "$WORK"; mkdir -p "$WORK"
python3 "$(dirname "$0")/../fixtures/make_idx.py" "$WORK/data" --train 300 --test 120
"$PY" "$(dirname "$0")/../fixtures/vit_torchscript.py" "$WORK/data" "$WORK" --train-steps 20 \
  2> /dev/null
"$PY" "$(dirname "$0")/../fixtures/export_chain_models.py" "$WORK/data" "$WORK"

# The column of trials.csv called $2, for every row of file $1.
column() { awk -F, -v name="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i; next }
                                 { print $c }' "$1"; }

"$ARES" evaluate "$WORK/vit.pt" --dataset "$WORK/data" --predictions "$WORK/vit_ares.csv" \
  > /dev/null 2>&1
cmp "$WORK/vit_pred.csv" "$WORK/vit_ares.csv" || fail "vit: predictions differ from PyTorch's"
echo "ok: vit: PyTorch's predictions"

"$ARES" sites "$WORK/vit.pt" --dataset "$WORK/data" > "$WORK/vit.sites" 2> /dev/null
for want in "act:blocks.0.norm1 17x32 544" "act:blocks.0.attn 17x32 544" \
            "act:blocks.0.attn.qkv 17x96 1632" "act:blocks.0.attn.softmax 4x17x17 1156" \
            "act:blocks.0.add 17x32 544" "act:blocks.1.mlp.gelu 17x64 1088" \
            "act:blocks.1.mlp 17x32 544" "act:norm 17x32 544" "act:select 32 32"; do
  set -- $want
  awk -v s="$1" -v shape="$2" -v n="$3" '$1 == s && $2 == shape && $3 == n { found = 1 }
      END { exit !found }' "$WORK/vit.sites" || fail "vit: ares sites lacks '$want': $(cat "$WORK/vit.sites")"
done
# Values that are not one row per sample (the permuted qkv, its heads) are not sites.
! grep -q "^act:blocks.0.attn.permute " "$WORK/vit.sites" || fail "vit: lists a value that is not per sample"
echo "ok: vit: ares sites lists attention, MLP, LayerNorm and residual sites"

for site in blocks.0.attn.softmax blocks.1.mlp.gelu blocks.0.norm1 blocks.1.add; do
  args=("$WORK/vit.pt" --dataset "$WORK/data" --site "act:$site" --formats q2.6-2c,fp16
        --bers 3e-4,3e-3 --trials 3 --quiet)
  "$ARES" campaign "${args[@]}" --threads 1 --out "$WORK/vit-$site-1" > /dev/null 2>&1
  "$ARES" campaign "${args[@]}" --threads 2 --out "$WORK/vit-$site-2" > /dev/null 2>&1
  diff <(without_seconds "$WORK/vit-$site-1/trials.csv") \
       <(without_seconds "$WORK/vit-$site-2/trials.csv") > /dev/null \
    || fail "vit: act:$site: rows differ between 1 and 2 threads"
  column "$WORK/vit-$site-1/trials.csv" faults | awk '$1 > 0 { n++ } END { exit !(n > 0) }' \
    || fail "vit: act:$site: no trial drew a fault"
  column "$WORK/vit-$site-1/trials.csv" changed | awk '$1 > 0 { n++ } END { exit !(n > 0) }' \
    || fail "vit: act:$site: no fault changed a prediction"
done
echo "ok: vit: act campaigns at attention, MLP, LayerNorm and residual sites, same rows for 1 and 2 threads"

"$ARES" campaign "$WORK/vit.pt" --dataset "$WORK/data" --formats q2.6-2c --bers 1e-4,1e-3 \
  --trials 2 --threads 2 --targets 'script.blocks.*' --quiet --out "$WORK/vit-w" > /dev/null \
  2> "$WORK/vit-w.err"
grep -qF "one stage, no prefix reuse" "$WORK/vit-w.err" || fail "vit: no note on one stage"
[ "$(($(wc -l < "$WORK/vit-w/trials.csv") - 1))" = 4 ] || fail "vit: weight campaign rows"
echo "ok: vit: weight campaign on the attention blocks"

# The residual model: its add is a site; a near miss is refused in one line, nothing written.
"$ARES" campaign "$WORK/residual.pt" --dataset "$WORK/data" --site act:add --formats q2.6-2c \
  --bers 1e-3 --trials 2 --quiet --out "$WORK/res-add" > /dev/null 2>&1
[ "$(column "$WORK/res-add/trials.csv" faults | head -1)" -gt 0 ] || fail "residual: act:add drew no fault"
set +e
"$ARES" campaign "$WORK/residual.pt" --dataset "$WORK/data" --site act:ad --formats q2.6-2c \
  --bers 1e-3 --trials 2 --out "$WORK/res-bad" > /dev/null 2> "$WORK/res-bad.err"
rc=$?
set -e
[ "$rc" = 2 ] || fail "residual: act:ad: exit $rc, expected 2"
grep -v "forward is not a chain" "$WORK/res-bad.err" > "$WORK/res-bad.line" || true
[ "$(wc -l < "$WORK/res-bad.line")" = 1 ] && grep -qF "nearest: add" "$WORK/res-bad.line" \
  || fail "residual: act:ad: expected one line with the nearest names: $(cat "$WORK/res-bad.err")"
[ ! -e "$WORK/res-bad" ] || fail "residual: act:ad: left $WORK/res-bad behind"
echo "ok: residual: act:add runs; act:ad refused: $(cat "$WORK/res-bad.line")"

# Files that are not a one-input TorchScript model: one line each, exit 2, nothing written.
"$PY" "$(dirname "$0")/../fixtures/bad_models.py" "$WORK"
for bad in state_dict two_inputs; do
  expect_input_error "$bad" "$ARES" campaign "$WORK/$bad.pt" --dataset "$WORK/data" \
    --bers 1e-3 --trials 1 --out "$WORK/bad-$bad"
  [ ! -e "$WORK/bad-$bad" ] || fail "$bad: left $WORK/bad-$bad behind"
done
{ "$ARES" campaign "$WORK/state_dict.pt" --dataset "$WORK/data" --out "$WORK/bad-x" 2>&1 || true; } |
  grep -qF "a torch.save() archive (a state_dict or a pickled module), not TorchScript" \
  || fail "state_dict: the line does not say what the file is"
{ "$ARES" campaign "$WORK/two_inputs.pt" --dataset "$WORK/data" --out "$WORK/bad-x" 2>&1 || true; } |
  grep -qF "forward takes 2 inputs without defaults (x, y)" \
  || fail "two_inputs: the line does not say why"
echo "test_graph_sites: all checks passed"
