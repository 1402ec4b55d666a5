#!/usr/bin/env bash
# `ares quantize` on tiny generated data: the grid of formats, the recommendation, the CSV,
# per-layer choices, training the default checkpoint when it is missing, and bad input.
set -euo pipefail
ARES="$1"; WORK="$2"
source "$(dirname "$0")/common.sh"
rm -rf "$WORK"; mkdir -p "$WORK"
python3 "$(dirname "$0")/../fixtures/make_idx.py" "$WORK/data" --train 1000 --test 300
"$ARES" train --model mnist_fc --dataset "$WORK/data" --epochs 1 --seed 2 --out "$WORK/ck" \
  --quiet > /dev/null
ckpt="$WORK/ck/mnist_fc-s2.ckpt"

"$ARES" quantize "$ckpt" --bits 2-8 --int-bits 1-3 --max-loss 5 --per-layer --out "$WORK/q" \
  --quiet > "$WORK/q.txt"
grep -q "two's complement" "$WORK/q.txt" || fail "no two's complement grid"
grep -q "sign-magnitude" "$WORK/q.txt" || fail "no sign-magnitude grid"
grep -q "^fp16" "$WORK/q.txt" && grep -q "^bf16" "$WORK/q.txt" || fail "no float rows"
grep -q "^recommended: q" "$WORK/q.txt" || fail "no recommendation: $(cat "$WORK/q.txt")"
grep -q "together: error" "$WORK/q.txt" || fail "no per-layer combination"
# Grid: 2 encodings x (widths 2..8 x integer bits 1..3, I <= width: 7 + 7 + 6) + 2 floats,
# for the whole model and for each of 3 layers.
rows=$(( (2 * 20 + 2) * 4 ))
[ "$(wc -l < "$WORK/q/quantize.csv")" = $((rows + 1)) ] || fail "expected $rows CSV rows"
python3 - "$WORK/q/quantize.csv" "$WORK/q.txt" <<'PY' || fail "recommendation breaks its rule"
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["scope"] == "model"]
ok = [r for r in rows if r["within"] == "1"]
assert ok, "nothing within the bound"
for r in rows:  # within <=> error <= bound
    assert (float(r["error"]) <= float(r["bound"])) == (r["within"] == "1"), r
best = min(ok, key=lambda r: (int(r["bits"]), float(r["error"]), r["format"].endswith("-sm"),
                              int(r["int_bits"])))
text = open(sys.argv[2]).read()
assert "recommended: %s " % best["format"] in text, (best["format"], text)
# 8-bit formats keep a small trained model accurate.
q26 = [r for r in rows if r["format"] == "q2.6-2c"][0]
assert float(q26["error"]) < 0.2, q26
PY

# Without a checkpoint: the default one is trained first (here under a scratch directory).
(cd "$WORK" && "$ARES" quantize --model mnist_fc --dataset "$WORK/data" --epochs 1 --bits 8 \
  --int-bits 2 --floats none --quiet > "$WORK/q2.txt")
[ -f "$WORK/runs/mnist_fc-data/mnist_fc-s1.ckpt" ] || fail "default checkpoint not trained"
grep -q "q2.6-2c" "$WORK/q2.txt" || fail "single-format grid missing"

# Scaled formats join the grid, ranked by bits per weight with their scales counted: the
# recommendation is the within-bound row of fewest stored bits per weight.
"$ARES" quantize "$ckpt" --bits 4,8 --int-bits 2 --floats none --max-loss 5 \
  --scaled int8,int8-ch,int4-ch-asym,mxfp8-e4m3,mxfp4 --quiet --out "$WORK/qs" > "$WORK/qs.txt"
grep -q "int8-ch .* bits per weight" "$WORK/qs.txt" || fail "scaled rows missing: $(cat "$WORK/qs.txt")"
python3 - "$WORK/qs/quantize.csv" "$WORK/qs.txt" <<'PY' || fail "scaled recommendation breaks its rule"
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["scope"] == "model"]
assert len(rows) == 9, rows
bpw = {r["format"]: float(r["bits_per_weight"]) for r in rows}
# mnist_fc: 266,610 weights in 6 tensors, 413 output channels, 8,555 MX blocks
want = {"q2.6-2c": 8, "int8": 8 + 6 * 32 / 266610, "int8-ch": 8 + 413 * 32 / 266610,
        "int4-ch-asym": 4 + 413 * (32 + 4) / 266610, "mxfp8-e4m3": 8 + 8555 * 8 / 266610,
        "mxfp4": 4 + 8555 * 8 / 266610}
for f, b in want.items():
    assert abs(bpw[f] - b) < 1e-9, (f, bpw[f], b)
ok = [r for r in rows if r["within"] == "1"]
best = min(ok, key=lambda r: (float(r["bits_per_weight"]), float(r["error"]),
                              r["format"].endswith("-sm"), int(r["int_bits"])))
assert "recommended: %s " % best["format"] in open(sys.argv[2]).read(), best
PY
expect_input_error "unscaled in --scaled" "$ARES" quantize "$ckpt" --scaled q2.6-2c

expect_input_error "no model" "$ARES" quantize
expect_input_error "bad width" "$ARES" quantize "$ckpt" --bits 40
expect_input_error "bad range" "$ARES" quantize "$ckpt" --bits 8-4
expect_input_error "bad encoding" "$ARES" quantize "$ckpt" --encodings 3c
expect_input_error "fixed in floats" "$ARES" quantize "$ckpt" --floats q2.6-2c
expect_input_error "missing checkpoint" "$ARES" quantize "$WORK/none.ckpt"
expect_input_error "wrong model" "$ARES" quantize "$ckpt" --model lenet5
echo "test_quantize: all checks passed"
