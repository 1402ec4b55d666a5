#!/usr/bin/env bash
# The study and the report end to end on tiny generated data: `ares study` trains 3
# instances, runs their campaign and writes the report; `ares report` on the same campaign
# gives the same tables; the report's relative thresholds equal the campaign's; a rerun
# reuses checkpoints and trials; per-layer and per-bit studies add their tables; without
# gnuplot the tables and the page are still written; bad input gives one line and exit 2;
# and headless Chromium opens the page and finds every figure loaded.
set -euo pipefail
ARES="$1"; WORK="$2"
source "$(dirname "$0")/common.sh"
rm -rf "$WORK"; mkdir -p "$WORK"
python3 "$(dirname "$0")/../fixtures/make_idx.py" "$WORK/data" --train 1000 --test 300
command -v gnuplot > /dev/null || fail "gnuplot is not installed (Debian: gnuplot-nox)"

common=(--model mnist_fc --dataset "$WORK/data" --epochs 1 --bers 1e-4,1e-3,1e-2,3e-2
        --trials 3 --eval-limit 200 --threads 2)
"$ARES" study "${common[@]}" --instances 3 --seed 4 --out "$WORK/s" --quiet \
  > "$WORK/study.txt" 2> "$WORK/study.err" || { cat "$WORK/study.err"; fail "study failed"; }
[ ! -s "$WORK/study.err" ] || fail "a quiet study printed on stderr: $(cat "$WORK/study.err")"
for s in 4 5 6; do
  [ -f "$WORK/s/checkpoints/mnist_fc-s$s.ckpt" ] || fail "missing checkpoint of seed $s"
done
# 3 instances x 3 configurations x 4 BERs x 3 trials.
[ "$(wc -l < "$WORK/s/campaign/trials.csv")" = 109 ] || fail "expected 108 trials"
R="$WORK/s/report"
for f in index.html report.md tables/curves.csv tables/thresholds.csv tables/spread.csv \
         tables/ratios.csv tables/instances.csv; do
  [ -s "$R/$f" ] || fail "report lacks $f"
done
for fig in fig1_tolerable_ber fig2_error_vs_ber fig3_thresholds fig4_geo_std curves_q2.6-2c \
           curves_q2.6-sm curves_q2.6-2c_sign; do
  [ -s "$R/figures/$fig.png" ] && [ -s "$R/figures/$fig.svg" ] || fail "figure $fig not drawn"
  [ "$(head -c 4 "$R/figures/$fig.png" | tail -c 3)" = PNG ] || fail "$fig.png is not a PNG"
  grep -q "<svg" "$R/figures/$fig.svg" || fail "$fig.svg is not an SVG"
done
grep -q "q2.6-sm" "$WORK/study.txt" || fail "study did not print the spread table"
# Curves: 3 configurations x 3 instances x 4 BERs, each BER over 3 trials.
[ "$(wc -l < "$R/tables/curves.csv")" = 37 ] || fail "curves.csv should have 36 rows"
# Spread: 3 configurations x 2 baselines x 4 levels.
[ "$(wc -l < "$R/tables/spread.csv")" = 25 ] || fail "spread.csv should have 24 rows"

# The report's relative thresholds are the campaign's (one rule everywhere).
python3 - "$WORK/s/campaign/summary.csv" "$R/tables/thresholds.csv" <<'PY' \
  || fail "report thresholds differ from the campaign's"
import csv, sys
camp = {}
for r in csv.DictReader(open(sys.argv[1])):
    for k, v in r.items():
        if k.startswith("ber_at_") and k.endswith("pct"):
            camp[(r["instance"], r["format"], r["protection"], float(k[7:-3]))] = float(v)
n = 0
for r in csv.DictReader(open(sys.argv[2])):
    if r["baseline"] != "relative":
        continue
    key = (r["instance"], r["format"], r["protection"], float(r["level_pct"]))
    assert camp[key] == float(r["ber"]), (key, camp[key], r["ber"])
    n += 1
assert n == len(camp) == 36, (n, len(camp))
PY

# `ares report` on the campaign alone gives the same tables.
"$ARES" report "$WORK/s/campaign" --out "$WORK/r2" --quiet > "$WORK/report.txt"
for t in curves thresholds spread ratios instances; do
  cmp "$R/tables/$t.csv" "$WORK/r2/tables/$t.csv" || fail "$t.csv differs between study and report"
done
diff <(tail -n "$(wc -l < "$WORK/report.txt")" "$WORK/study.txt") "$WORK/report.txt" \
  || fail "report printed another spread table than the study"

# A rerun reuses the checkpoints and the stored trials: the same rows, seconds included.
cp "$WORK/s/campaign/trials.csv" "$WORK/trials_first.csv"
"$ARES" study "${common[@]}" --instances 3 --seed 4 --out "$WORK/s" > /dev/null 2> "$WORK/rerun.err"
[ "$(grep -c "reusing" "$WORK/rerun.err")" = 3 ] || fail "rerun did not reuse 3 checkpoints"
grep -q "resuming" "$WORK/rerun.err" || fail "rerun did not resume from the store"
cmp "$WORK/trials_first.csv" "$WORK/s/campaign/trials.csv" || fail "rerun changed the trials"

# Per-layer and per-bit studies.
"$ARES" study "${common[@]}" --instances 2 --formats q2.6-2c --bers 1e-3,1e-2 --trials 2 \
  --per-layer --per-bit --out "$WORK/pl" --quiet > /dev/null
[ -s "$WORK/pl/layers/fc1/trials.csv" ] && [ -s "$WORK/pl/layers/fc3/trials.csv" ] \
  || fail "per-layer campaigns missing"
[ "$(wc -l < "$WORK/pl/report/tables/bits.csv")" = 33 ] || fail "bits.csv: 8 bits x 4 levels"
grep -q "Per-target vulnerability" "$WORK/pl/report/index.html" || fail "no per-target table"
[ -s "$WORK/pl/report/figures/targets.png" ] || fail "no per-target figure"
ls "$WORK"/pl/report/figures/bits_q2.6-2c*.svg > /dev/null || fail "no per-bit figure"

# Without gnuplot: one line on stderr, exit 0, tables and the page written.
rc=0
env PATH=/nonexistent "$ARES" report "$WORK/s/campaign" --out "$WORK/nogp" --quiet \
  > /dev/null 2> "$WORK/nogp.err" || rc=$?
[ "$rc" = 0 ] || fail "report without gnuplot exited $rc"
[ "$(wc -l < "$WORK/nogp.err")" = 1 ] && grep -q "gnuplot not found" "$WORK/nogp.err" \
  || fail "expected one line about gnuplot, got: $(cat "$WORK/nogp.err")"
[ -s "$WORK/nogp/index.html" ] && [ -s "$WORK/nogp/tables/spread.csv" ] \
  || fail "report without gnuplot wrote no page or tables"
grep -q "figure unavailable" "$WORK/nogp/index.html" || fail "page does not say figures are missing"

# Bad input: one line, exit 2, nothing written.
expect_input_error "no campaign" "$ARES" report
expect_input_error "missing directory" "$ARES" report "$WORK/none" --out "$WORK/x1"
expect_input_error "not a campaign" "$ARES" report "$WORK/data" --out "$WORK/x2"
mkdir -p "$WORK/trunc" && cp "$WORK/s/campaign/summary.csv" "$WORK/trunc/"
head -n 50 "$WORK/s/campaign/trials.csv" > "$WORK/trunc/trials.csv"
expect_input_error "incomplete campaign" "$ARES" report "$WORK/trunc" --out "$WORK/x3"
head -c 3000 "$WORK/s/campaign/trials.csv" > "$WORK/trunc/trials.csv"
expect_input_error "truncated trials.csv" "$ARES" report "$WORK/trunc" --out "$WORK/x4"
expect_input_error "bad level" "$ARES" report "$WORK/s/campaign" --levels x --out "$WORK/x5"
expect_input_error "unknown model" "$ARES" study --model nosuchnet --out "$WORK/x6"
expect_input_error "bad study flag" "$ARES" study --model mnist_fc --instances 0 --out "$WORK/x7"
expect_input_error "bad campaign flag" "$ARES" study --model mnist_fc --formats q9.9-xx \
  --out "$WORK/x8"
for d in x1 x2 x3 x4 x5 x6 x7 x8; do
  [ ! -e "$WORK/$d" ] || fail "bad input left $WORK/$d behind"
done

# A study whose training diverges (a learning rate of 1e30) names the instances, runs no
# campaign and exits 1.
rc=0
"$ARES" study "${common[@]}" --instances 2 --seed 4 --lr 1e30 --out "$WORK/nan" --quiet \
  > "$WORK/nan.txt" 2> "$WORK/nan.err" || rc=$?
[ "$rc" = 1 ] || fail "a diverged study exited $rc, expected 1"
grep -q "study: 2 of 2 instances diverged .*seed 4, 5; no campaign was run$" "$WORK/nan.err" ||
  fail "diverged study: $(cat "$WORK/nan.err")"
[ ! -e "$WORK/nan/campaign" ] && [ ! -e "$WORK/nan/checkpoints/mnist_fc-s4.ckpt" ] ||
  fail "a diverged study left a campaign or a checkpoint"
echo "ok: diverged study -> $(cat "$WORK/nan.err")"

# The page in a real browser: every embedded figure decodes.
if ! command -v chromium > /dev/null; then
  echo "SKIP: chromium not installed"
  exit 0
fi
profile="$(mktemp -d)"
timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --virtual-time-budget=10000 --dump-dom "file://$R/index.html" \
  > "$WORK/dom.html" 2> "$WORK/chromium.err" || { tail -5 "$WORK/chromium.err"; fail "chromium failed"; }
rm -rf "$profile"
body="$(grep -o '<body[^>]*>' "$WORK/dom.html" || true)"
total="$(sed -n 's/.*data-figures-total="\([0-9]*\)".*/\1/p' <<< "$body")"
loaded="$(sed -n 's/.*data-figures-loaded="\([0-9]*\)".*/\1/p' <<< "$body")"
[ -n "$total" ] || fail "the page's load check did not run: $body"
[ "$total" -ge 7 ] || fail "expected at least 7 figures on the page, found $total"
[ "$loaded" = "$total" ] || fail "only $loaded of $total figures loaded in Chromium"
echo "ok: chromium loaded $loaded of $total figures"
echo "test_report: all checks passed"
