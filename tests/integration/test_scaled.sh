#!/usr/bin/env bash
# Scaled formats (intN..., mx...): weight campaigns store element codes and, per group, scale
# and zero-point words that fault too. Rows are the same for 1 and 2 threads and for the fast
# and reference engines; the population counts the metadata bits as --words selects them;
# --words data and meta fault only their words; int8 per channel keeps the float accuracy;
# bad combinations give one line and exit 2.
set -euo pipefail
ARES="$1"; WORK="$2"
source "$(dirname "$0")/common.sh"
rm -rf "$WORK"; mkdir -p "$WORK"
python3 "$(dirname "$0")/../fixtures/make_idx.py" "$WORK/data" --train 2000 --test 400 --gzip
"$ARES" train --model mnist_fc --dataset "$WORK/data" --epochs 1 --seed 3 --threads 2 \
  --out "$WORK/ck" --quiet > /dev/null
ckpt="$WORK/ck/mnist_fc-s3.ckpt"

fmts=int8,int8-ch,int4-ch-asym-s16,mxfp8-e4m3,mxint8,mxfp4,af8-e4
args=("$ckpt" --formats "$fmts" --bers 1e-4,1e-3,1e-2 --trials 3 --quiet)
"$ARES" campaign "${args[@]}" --threads 2 --out "$WORK/t2" > /dev/null
"$ARES" campaign "${args[@]}" --threads 1 --out "$WORK/t1" > /dev/null
"$ARES" campaign "${args[@]}" --threads 2 --engine reference --out "$WORK/ref" > /dev/null
diff <(without_seconds "$WORK/t1/trials.csv") <(without_seconds "$WORK/t2/trials.csv") \
  || fail "scaled formats: rows differ between 1 and 2 threads"
# The errors agree; a flipped scale exponent can make a channel Inf, and Inf - Inf in the fast
# engine's sparse update gives NaN where the reference engine's dense pass keeps Inf, so the
# outcome classes of such rows (changed, nonfinite) may differ: compare up to the errors.
diff <(cut -d, -f1-16 "$WORK/t2/trials.csv") <(cut -d, -f1-16 "$WORK/ref/trials.csv") \
  || fail "scaled formats: fast and reference engines differ"

# The population: data bits plus every group's metadata. mnist_fc has 6 parameters
# (784x300, 300, 300x100, 100, 100x10, 10): one scale per tensor is 6 groups, one per
# channel 300 + 1 + 100 + 1 + 10 + 1 = 413; MX blocks of 32 per row: 300 * 25 + 10 + 100 * 10
# + 4 + 10 * 4 + 1 = 8555.
python3 - "$WORK/t2/summary.json" <<'PY' || fail "scaled formats: wrong bit populations or errors"
import json, sys
js = json.load(open(sys.argv[1]))
groups = {"int8": 6, "int8-ch": 413, "int4-ch-asym-s16": 413, "mxfp8-e4m3": 8555,
          "mxint8": 8555, "mxfp4": 8555, "af8-e4": 6}
meta = {"int8": 32, "int8-ch": 32, "int4-ch-asym-s16": 16 + 4, "mxfp8-e4m3": 8, "mxint8": 8,
        "mxfp4": 8, "af8-e4": 8}
width = {"int8": 8, "int8-ch": 8, "int4-ch-asym-s16": 4, "mxfp8-e4m3": 8, "mxint8": 8, "mxfp4": 4,
         "af8-e4": 8}
for s in js["summaries"]:
    f = s["format"]
    assert s["values"] == 266610, s["values"]
    assert s["bits"] == s["values"] * width[f] + groups[f] * meta[f], (f, s["bits"])
    # 8-bit integers per channel and mxint8 keep the float model's accuracy (within 1%)
    if f in ("int8-ch", "mxint8", "af8-e4"):
        assert abs(s["baseline_error"] - s["float_error"]) < 0.01, s
    # errors grow with the BER up to 1e-2 for every format
    assert s["mean_error"][-1] > s["baseline_error"], s
PY

# --words data: the data bits only, and the rows of the same data faults; --words meta: the
# metadata only (fewer faults, every one in a scale or zero point).
"$ARES" campaign "$ckpt" --formats int8-ch --bers 1e-3 --trials 4 --words data --quiet \
  --out "$WORK/data_only" > /dev/null
"$ARES" campaign "$ckpt" --formats int8-ch --bers 1e-2 --trials 8 --words meta --quiet \
  --out "$WORK/meta_only" > /dev/null
awk -F, 'NR == 2 { exit !($8 == 266610 * 8) }' "$WORK/data_only/summary.csv" \
  || fail "--words data must count the data bits only"
awk -F, 'NR == 2 { exit !($8 == 413 * 32) }' "$WORK/meta_only/summary.csv" \
  || fail "--words meta must count the metadata bits only"
# At 1e-2 over 13,216 scale bits there are about 130 faults per trial; a flipped scale exponent
# ruins a whole channel, so errors appear.
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
  { f += $c["faults"]; if ($c["error"] > e) e = $c["error"] }
  END { exit !(f > 400 && f < 1700 && e > 0.2) }' "$WORK/meta_only/trials.csv" \
  || fail "--words meta at 1e-2 must fault the scales, and ruin channels"
# --meta-protection secded: each scale a (39,32) codeword (e8m0: (13,8)). At 1e-4 over the
# metadata alone (413 * 39 bits for int8-ch: ~1.6 flips per trial) two flips in one codeword
# are rare: every flip is corrected and every trial keeps the baseline; the population counts
# the check bits; at 1e-2 double errors are detected.
"$ARES" campaign "$ckpt" --formats int8-ch,mxfp8-e4m3 --bers 1e-4,1e-2 --trials 6 --words meta \
  --meta-protection secded --quiet --out "$WORK/meta_secded" > /dev/null
awk -F, 'NR == 2 && $8 != 413 * 39 { bad = 1 } NR == 3 && $8 != 8555 * 13 { bad = 1 } END { exit bad }' \
  "$WORK/meta_secded/summary.csv" || fail "--meta-protection secded must count the check bits"
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
  $c["ber_index"] == 0 && $c["format"] == "int8-ch" { f += $c["faults"]; if ($c["ecc_corrected"] != $c["faults"] || $c["evaluated"] != 0) bad = 1 }
  $c["ber_index"] == 1 { d += $c["ecc_detected"] }
  END { exit !(bad == 0 && f > 3 && d > 0) }' "$WORK/meta_secded/trials.csv" \
  || fail "--meta-protection secded must correct single flips at 1e-4 and detect double ones at 1e-2"
expect_input_error "meta protection without scales" "$ARES" campaign "$ckpt" --formats q2.6-2c \
  --meta-protection secded --out "$WORK/x6"
expect_input_error "meta protection of 12-bit zero points" "$ARES" campaign "$ckpt" \
  --formats int12-asym --meta-protection secded --out "$WORK/x7"
"$ARES" formats show int8-ch | grep -q "one fp32 word per output channel" \
  || fail "formats show int8-ch must describe its scales"
"$ARES" formats show mxfp4 | grep -q "element    fp4-e2m1" || fail "formats show mxfp4"

expect_input_error "scaled format at an activation site" "$ARES" campaign "$ckpt" \
  --site act:fc1 --formats int8 --out "$WORK/x1"
expect_input_error "words meta without scales" "$ARES" campaign "$ckpt" --formats q2.6-2c \
  --words meta --out "$WORK/x2"
expect_input_error "bad words" "$ARES" campaign "$ckpt" --formats int8 --words scales \
  --out "$WORK/x3"
expect_input_error "code over a scaled format" "$ARES" campaign "$ckpt" --formats int8 \
  --protections secded:72 --out "$WORK/x4"
expect_input_error "int1" "$ARES" campaign "$ckpt" --formats int1 --out "$WORK/x5"
expect_input_error "mx element" "$ARES" formats show mxfp5
expect_input_error "adaptivfloat width" "$ARES" formats show af8-e7
for x in x1 x2 x3 x4 x5 x6 x7; do [ ! -e "$WORK/$x" ] || fail "$x: a refused campaign left $WORK/$x"; done
echo "test_scaled: ok"
