#!/usr/bin/env bash
# Bring your own model: a TorchScript CNN exported by Debian's python3-torch gives exactly
# PyTorch's predictions in Ares, and runs a weight campaign by its stages' parameter names.
set -euo pipefail
ARES="$1"; WORK="$2"
source "$(dirname "$0")/common.sh"
need_python_torch
rm -rf "$WORK"; mkdir -p "$WORK"
python3 "$(dirname "$0")/../fixtures/make_idx.py" "$WORK/data" --train 10 --test 600
"$PY" "$(dirname "$0")/../fixtures/export_torchscript.py" "$WORK/data" "$WORK/net.pt" \
  "$WORK/torch_pred.csv"
"$ARES" evaluate "$WORK/net.pt" --dataset "$WORK/data" --threads 1 \
  --predictions "$WORK/ares_pred.csv" > "$WORK/eval.txt"
cmp "$WORK/torch_pred.csv" "$WORK/ares_pred.csv" || fail "predictions differ from PyTorch's"
echo "ok: $(cat "$WORK/eval.txt") — predictions identical to PyTorch's"

# A weight campaign over the stages' parameter names (the chain is staged from the graph:
# features.0 -> stage features_0); fast and reference engines agree.
args=("$WORK/net.pt" --dataset "$WORK/data" --bers 1e-4,1e-3,1e-2 --trials 3 --quiet
      --targets 'features_*,classifier.weight')
"$ARES" campaign "${args[@]}" --out "$WORK/c" > /dev/null
"$ARES" campaign "${args[@]}" --engine reference --out "$WORK/r" > /dev/null
diff <(without_seconds "$WORK/c/trials.csv") <(without_seconds "$WORK/r/trials.csv") > /dev/null \
  || diff <(cut -d, -f1-17 "$WORK/c/trials.csv") <(cut -d, -f1-17 "$WORK/r/trials.csv") \
  || fail "engines differ on the TorchScript model"
grep -q "classifier.bias" "$WORK/c/summary.json" && fail "bias was not targeted"
awk -F, 'NR > 1 && $17 == 1 { n++ } END { exit !(n > 0) }' "$WORK/c/trials.csv" \
  || fail "no trial was evaluated"

# Not TorchScript: a zip of something else, and a text file.
"$PY" -c "import zipfile,sys; zipfile.ZipFile(sys.argv[1], 'w').writestr('x.txt', 'hi')" \
  "$WORK/notscript.pt"
expect_input_error "zip that is not TorchScript" "$ARES" evaluate "$WORK/notscript.pt" \
  --dataset "$WORK/data"
echo "hello" > "$WORK/text.pt"
expect_input_error "text file as a model" "$ARES" evaluate "$WORK/text.pt" --dataset "$WORK/data"
expect_input_error "TorchScript without a dataset" "$ARES" evaluate "$WORK/net.pt"

# A model that does not take the data, one that returns a tuple, one that returns no logits.
cat > "$WORK/bad_models.py" <<'PYEOF'
import sys, torch
class Small(torch.nn.Module):  # expects 100 features, gets 28 x 28 images
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(100, 10)
    def forward(self, x):
        return self.fc(torch.flatten(x, 1))
class Pair(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(784, 10)
    def forward(self, x):
        y = self.fc(torch.flatten(x, 1))
        return y, y
class Flat(torch.nn.Module):
    def forward(self, x):
        return torch.flatten(x)
torch.manual_seed(0)
for name, m in (("small", Small()), ("pair", Pair()), ("flat", Flat())):
    torch.jit.script(m).save("%s/%s.pt" % (sys.argv[1], name))
PYEOF
"$PY" "$WORK/bad_models.py" "$WORK"  # from a file: torch.jit.script reads the classes' source
expect_input_error "input the model does not take" "$ARES" evaluate "$WORK/small.pt" \
  --dataset "$WORK/data"
err="$("$ARES" campaign "$WORK/small.pt" --dataset "$WORK/data" --quiet --out "$WORK/x1" 2>&1 \
  >/dev/null)" || true
grep -qF "forward failed on a batch of shape [" <<<"$err" && grep -qF "mat1 and mat2" <<<"$err" ||
  fail "the shape error does not say what failed: $err"
[ ! -e "$WORK/x1/trials.csv" ] || fail "a refused campaign wrote trials.csv"
expect_input_error "tuple output" "$ARES" evaluate "$WORK/pair.pt" --dataset "$WORK/data"
err="$("$ARES" evaluate "$WORK/pair.pt" --dataset "$WORK/data" 2>&1 >/dev/null)" || true
grep -qF "forward returns a tuple" <<<"$err" || fail "the tuple error does not say so: $err"
expect_input_error "output that is not logits" "$ARES" evaluate "$WORK/flat.pt" \
  --dataset "$WORK/data"
echo "test_torchscript: all checks passed"
