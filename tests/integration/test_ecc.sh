#!/usr/bin/env bash
# Code protections (secded:N, parity): check bits are stored and faulted, the decoder acts.
# At a low BER every fault is a single error in its codeword, corrected: every trial equals
# the baseline; at a high BER errors appear and the decoder detects double errors; the
# reference engine gives the fast engine's rows; the counts survive a resume; bad
# combinations give one line and exit 2.
set -euo pipefail
ARES="$1"; WORK="$2"
source "$(dirname "$0")/common.sh"
rm -rf "$WORK"; mkdir -p "$WORK"
python3 "$(dirname "$0")/../fixtures/make_idx.py" "$WORK/data" --train 2000 --test 400 --gzip
"$ARES" train --model mnist_fc --dataset "$WORK/data" --epochs 1 --seed 3 --threads 2 \
  --out "$WORK/ck" --quiet > /dev/null
ckpt="$WORK/ck/mnist_fc-s3.ckpt"

# col NAME FILE: the values of a CSV column, by header name.
col() {
  awk -F, -v n="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == n) c = i; next } { print $c }' "$2"
}

# Low BER: ~2 flips per trial among ~33,000 codewords of 72 bits, so two in one codeword is
# about one trial in 10,000. Every flip is corrected: no trial is evaluated, and every error
# equals the baseline, while the unprotected configuration does see changes.
"$ARES" campaign "$ckpt" --formats q2.6-2c --protections secded:72,none --bers 1e-6,3e-6 \
  --trials 12 --threads 2 --quiet --out "$WORK/low" > /dev/null
base="$(awk -F, 'NR == 2 { print $10 }' "$WORK/low/summary.csv")"
awk -F, -v b="$base" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
  $c["protection"] == "secded:72" {
    if ($c["error"] != b || $c["evaluated"] != 0 || $c["ecc_detected"] != 0 ||
        $c["ecc_corrected"] != $c["faults"]) bad = 1
    faults += $c["faults"] }
  $c["protection"] == "none" && $c["faults"] > 0 && $c["evaluated"] == 1 { seen = 1 }
  END { exit !(bad == 0 && faults > 10 && seen) }' "$WORK/low/trials.csv" \
  || fail "secded:72 at a low BER must correct every fault and keep the baseline $base"

# The population counts the check bits: values padded to whole codewords of 72 bits.
vals="$(awk -F, 'NR == 2 { print $7 }' "$WORK/low/summary.csv")"
bits="$(awk -F, 'NR == 2 { print $8 }' "$WORK/low/summary.csv")"
[ "$bits" = "$(( (vals * 8 + 63) / 64 * 72 ))" ] || fail "secded:72 bits $bits for $vals values"
[ "$(awk -F, 'NR == 3 { print $8 }' "$WORK/low/summary.csv")" = "$(( vals * 8 ))" ] \
  || fail "unprotected bits changed"
[ "$(col bits "$WORK/low/trials.csv" | head -1)" = "$bits" ] || fail "trials.csv bits"

# High BER: double errors are common, detected; errors appear. Fast == reference engine.
args=(--formats q2.6-2c,q4.12-2c --protections secded:72,secded:72:zero,secded:39,parity
      --bers 1e-4,1e-3,1e-2 --trials 3 --threads 2 --quiet)
"$ARES" campaign "$ckpt" "${args[@]}" --out "$WORK/high" > /dev/null
"$ARES" campaign "$ckpt" "${args[@]}" --engine reference --out "$WORK/ref" > /dev/null
diff <(without_nll "$WORK/high/trials.csv") <(without_nll "$WORK/ref/trials.csv") \
  || fail "fast and reference engines differ under codes"
nll_close "$WORK/high/trials.csv" "$WORK/ref/trials.csv" || fail "fast and reference nll differ"
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
  $c["ber_index"] == 2 && $c["protection"] ~ /^secded/ {
    if ($c["ecc_detected"] == 0 || $c["ecc_corrected"] == 0) bad = 1 }
  END { exit bad }' "$WORK/high/trials.csv" || fail "BER 1e-2 must give detected and corrected codewords"
python3 - "$WORK/high/summary.json" <<'PY' || fail "summary.json lacks sound ecc counts"
import json, sys
js = json.load(open(sys.argv[1]))
for s in js["summaries"]:
    e = s["ecc"]
    assert e["code"] == s["protection"], e
    assert len(e["corrected"]) == len(js["bers"]) == len(e["detected"]) == len(e["miscorrected"])
    assert e["codewords"] * (e["data_bits"] + e["check_bits"]) == s["bits"], (e, s["bits"])
    assert e["on_detected"] == ("zero" if s["protection"] in ("secded:72:zero", "parity") else "keep")
    assert e["detected"][-1] > 0, e
    # Errors appear at 1e-2 (the 8-bit format has ~2 flips per 72-bit codeword there).
    if s["format"] == "q2.6-2c":
        assert s["mean_error"][-1] > s["baseline_error"], s
PY

# The counts are stored: a rerun on the same store resumes every trial and gives the same
# summary.json counts.
cp "$WORK/high/summary.json" "$WORK/high.json"
cp "$WORK/high/trials.csv" "$WORK/high.csv"
rm "$WORK/high/trials.csv" "$WORK/high/summary.csv" "$WORK/high/summary.json"
"$ARES" campaign "$ckpt" "${args[@]}" --out "$WORK/high" > /dev/null 2> "$WORK/resume.err"
grep -q "resuming" "$WORK/resume.err" || fail "the rerun did not resume"
diff <(python3 -c 'import json,sys; print([s["ecc"] for s in json.load(open(sys.argv[1]))["summaries"]])' "$WORK/high.json") \
     <(python3 -c 'import json,sys; print([s["ecc"] for s in json.load(open(sys.argv[1]))["summaries"]])' "$WORK/high/summary.json") \
  || fail "resumed ecc counts differ"
diff <(without_nll "$WORK/ref/trials.csv") <(without_nll "$WORK/high/trials.csv") \
  || fail "resumed trials differ"
cmp "$WORK/high.csv" "$WORK/high/trials.csv" || fail "resumed trials differ from the stored ones"

# Bad input: one line, exit 2, naming the spec.
expect_input_error "secded on a 12-bit format" \
  "$ARES" campaign "$ckpt" --formats q4.8-2c+secded:72 --bers 1e-3 --trials 1 --quiet \
  --out "$WORK/bad"
expect_input_error "unknown code" \
  "$ARES" campaign "$ckpt" --formats q2.6-2c+secded:64 --bers 1e-3 --trials 1 --quiet \
  --out "$WORK/bad"
expect_input_error "secded with paired" \
  "$ARES" campaign "$ckpt" --formats q2.6-2c+secded:72,q2.6-sm --pairing paired --bers 1e-3 \
  --trials 1 --quiet --out "$WORK/bad"
expect_input_error "secded with --bits" \
  "$ARES" campaign "$ckpt" --formats q2.6-2c+secded:72 --bits 0-3 --bers 1e-3 --trials 1 \
  --quiet --out "$WORK/bad"
expect_input_error "secded at an activation site" \
  "$ARES" campaign "$ckpt" --formats q2.6-2c+secded:72 --site act:0 --bers 1e-3 --trials 1 \
  --quiet --out "$WORK/bad"
expect_input_error "secded with stuck1" \
  "$ARES" campaign "$ckpt" --formats q2.6-2c+parity --fault-model stuck1 --bers 1e-3 \
  --trials 1 --quiet --out "$WORK/bad"
echo "test_ecc: ok"
