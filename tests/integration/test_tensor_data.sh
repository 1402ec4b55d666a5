#!/usr/bin/env bash
# A language model from the command line (issue 16): the char LM of tests/fixtures/char_lm.py
# as TorchScript, its windows as a torch.save() dict (--dataset windows.pt). `ares evaluate`
# gives PyTorch's next-token error, `ares sites` lists its graph sites, a campaign at an
# attention site records each trial's perplexity, and its rows equal those of ares.campaign
# from Python on the same module and tensors (the checkpoint column aside). Bad tensor files:
# one line, exit 2, nothing written.
set -euo pipefail
ARES="$1"; WORK="$2"
source "$(dirname "$0")/common.sh"
need_python_torch
rm -rf "$WORK"; mkdir -p "$WORK"
FIX="$(cd "$(dirname "$0")/../fixtures" && pwd)"
"$PY" "$FIX/char_lm.py" "$WORK"

# PyTorch's own next-token error on the same windows.
want="$("$PY" - "$WORK" <<'PY'
import sys, torch
net = torch.jit.load(sys.argv[1] + "/lm.pt")
d = torch.load(sys.argv[1] + "/windows.pt")
with torch.no_grad():
    print(int((net(d["x"]).argmax(1) != d["y"]).sum()))
PY
)"
"$ARES" evaluate "$WORK/lm.pt" --dataset "$WORK/windows.pt" > "$WORK/eval.txt" 2> /dev/null
grep -qF "($want of 800 wrong)" "$WORK/eval.txt" || fail "evaluate: $(cat "$WORK/eval.txt"), PyTorch: $want"
echo "ok: evaluate: $(cat "$WORK/eval.txt") (PyTorch: $want wrong)"

"$ARES" sites "$WORK/lm.pt" --dataset "$WORK/windows.pt" > "$WORK/sites.txt" 2> /dev/null
grep -Eq '^act:blocks\.0\.attn\.softmax +[0-9]+' "$WORK/sites.txt" \
  || fail "sites: no act:blocks.0.attn.softmax: $(cat "$WORK/sites.txt")"

settings=(--site act:blocks.0.attn.softmax --formats q2.6-2c --bers 1e-4,1e-3,1e-2 --trials 3
          --seed 3 --threads 2)
"$ARES" campaign "$WORK/lm.pt" --dataset "$WORK/windows.pt" "${settings[@]}" --quiet \
  --out "$WORK/cli" > /dev/null 2>&1
[ "$(wc -l < "$WORK/cli/trials.csv")" = 10 ] || fail "expected 9 trial rows"
awk -F, 'NR > 1 && !($24 > 0 && $25 > 1) { bad = 1 } END { exit bad }' "$WORK/cli/trials.csv" \
  || fail "trials without a perplexity"
awk -F, 'NR > 1 && $18 > 0 { n++ } END { exit !(n > 0) }' "$WORK/cli/trials.csv" \
  || fail "no trial changed a prediction"
grep -q '"median_perplexity": \[' "$WORK/cli/summary.json" || fail "summary.json: no perplexity"

# The same campaign from Python, where the module is built (ARES_PYTHON=OFF builds none).
pydir="$(dirname "$ARES")/python"
if [ -d "$pydir/ares" ]; then
  PYTHONPATH="$pydir" ARES_BIN="$ARES" "$PY" - "$WORK" <<'PY'
import sys, torch
import ares
d = torch.load(sys.argv[1] + "/windows.pt")
settings = dict(site="act:blocks.0.attn.softmax", formats=["q2.6-2c"], bers=[1e-4, 1e-3, 1e-2],
                trials=3, seed=3, threads=2, progress=False)
model = torch.jit.load(sys.argv[1] + "/lm.pt")
ares.campaign(model, (d["x"], d["y"]), out=sys.argv[1] + "/py", **settings)
ares.campaign(model, sys.argv[1] + "/windows.pt", out=sys.argv[1] + "/py-file", **settings)
PY
  diff <(without_checkpoint "$WORK/cli/trials.csv") <(without_checkpoint "$WORK/py/trials.csv") \
    || fail "the command line's rows differ from ares.campaign's"
  diff <(without_checkpoint "$WORK/cli/trials.csv") \
       <(without_checkpoint "$WORK/py-file/trials.csv") \
    || fail "ares.campaign(model, 'windows.pt') differs from the command line"
  echo "ok: the command line's rows are ares.campaign's (tensors or the file), nll included"
else
  echo "note: no Python module in $pydir; the comparison with ares.campaign is left out"
fi

# Bad tensor files.
"$PY" - "$WORK" <<'PY'
import sys, torch
w = sys.argv[1]
d = torch.load(w + "/windows.pt")
torch.save({"x": d["x"], "y": d["y"].float()}, w + "/float_labels.pt")
torch.save({"inputs": d["x"], "labels": d["y"]}, w + "/keys.pt")
torch.save({"x": d["x"], "y": d["y"][:-1]}, w + "/counts.pt")
torch.save(torch.jit.load(w + "/lm.pt").state_dict(), w + "/state_dict.pt")
PY
for f in float_labels keys counts state_dict missing; do
  expect_input_error "tensor file $f" "$ARES" campaign "$WORK/lm.pt" --dataset "$WORK/$f.pt" \
    --bers 1e-3 --trials 1 --quiet --out "$WORK/bad-$f"
  [ ! -e "$WORK/bad-$f" ] || fail "$f: the campaign left $WORK/bad-$f behind"
done
echo "test_tensor_data: all checks passed"
