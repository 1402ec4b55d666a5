#!/usr/bin/env bash
# --metric topK end to end on tiny generated data: the same trials (streams, faults) as top-1,
# never more errors per trial, the fast engine equal to the reference one, per-sample sites,
# summary.json naming the metric, and bad metrics refused in one line. A few seconds.
set -euo pipefail
ARES="$1"; WORK="$2"
source "$(dirname "$0")/common.sh"
rm -rf "$WORK"; mkdir -p "$WORK"
python3 "$(dirname "$0")/../fixtures/make_idx.py" "$WORK/data" --train 500 --test 200 --gzip
"$ARES" train --model mnist_fc --dataset "$WORK/data" --epochs 1 --seed 3 --threads 1 \
  --out "$WORK/ck" --quiet > /dev/null
ckpt="$WORK/ck/mnist_fc-s3.ckpt"

args=(--formats q2.6-2c,q2.6-sm --bers 1e-3,1e-2,5e-2 --trials 3 --threads 1 --quiet)
"$ARES" campaign "$ckpt" "${args[@]}" --out "$WORK/top1" > /dev/null
"$ARES" campaign "$ckpt" "${args[@]}" --metric top3 --out "$WORK/top3" > /dev/null
# The same trials: rows equal in every column before the errors (stream, faults, ...).
diff <(cut -d, -f1-13 "$WORK/top1/trials.csv") <(cut -d, -f1-13 "$WORK/top3/trials.csv") ||
  fail "top3 drew other faults than top1"
# Per trial, top-3 errors never exceed top-1 errors, and fewer somewhere.
paste -d, <(cut -d, -f14 "$WORK/top1/trials.csv") <(cut -d, -f14 "$WORK/top3/trials.csv") |
  awk -F, 'NR > 1 { if ($2 > $1) bad = 1; if ($2 < $1) fewer = 1 } END { exit bad || !fewer }' ||
  fail "top3 errors must be at most top1 errors, and fewer in some trial"
grep -q '"metric": "top3"' "$WORK/top3/summary.json" || fail "summary.json lacks the metric"
grep -q '"metric": "top1"' "$WORK/top1/summary.json" || fail "summary.json lacks top1"
# The fast engine equals the reference engine under top3.
"$ARES" campaign "$ckpt" "${args[@]}" --metric top3 --engine reference --out "$WORK/ref" \
  > /dev/null
diff <(cut -d, -f1-17 "$WORK/top3/trials.csv") <(cut -d, -f1-17 "$WORK/ref/trials.csv") ||
  fail "fast and reference engines differ under top3"
# A per-sample site under top3: at most the top-1 errors, trial by trial.
site=(--site act:fc1 --formats q4.4-2c --bers 1e-2 --trials 3 --threads 1 --quiet)
"$ARES" campaign "$ckpt" "${site[@]}" --out "$WORK/a1" > /dev/null
"$ARES" campaign "$ckpt" "${site[@]}" --metric top3 --out "$WORK/a3" > /dev/null
paste -d, <(cut -d, -f14 "$WORK/a1/trials.csv") <(cut -d, -f14 "$WORK/a3/trials.csv") |
  awk -F, 'NR > 1 && $2 > $1 { bad = 1 } END { exit bad }' ||
  fail "act: top3 errors exceed top1 errors"

# ares evaluate --metric top3 gives a top-3 campaign's float error (the same rule), on a
# model weak enough (20 training samples) that both top-1 and top-3 errors are far from 0.
"$ARES" train --model mnist_fc --dataset "$WORK/data" --epochs 1 --seed 4 --threads 1 \
  --limit 20 --out "$WORK/weak" --quiet > /dev/null
weak="$WORK/weak/mnist_fc-s4.ckpt"
"$ARES" evaluate "$weak" --dataset "$WORK/data" --metric top3 --threads 1 > "$WORK/e3.txt"
grep -q " top3 error " "$WORK/e3.txt" || fail "evaluate does not name the metric: $(cat "$WORK/e3.txt")"
e3="$(sed 's/.* top3 error \([0-9.]*\) .*/\1/' "$WORK/e3.txt")"
"$ARES" campaign "$weak" --metric top3 --formats q2.6-2c --bers 1e-3 --trials 1 --threads 1 \
  --quiet --out "$WORK/w3" > /dev/null
f3="$(awk -F, 'NR == 2 { printf "%.4f", $9 }' "$WORK/w3/summary.csv")"
[ "$e3" = "$f3" ] || fail "evaluate top3 error $e3, campaign float error $f3"
"$ARES" evaluate "$weak" --dataset "$WORK/data" --threads 1 > "$WORK/e1.txt"
grep -q "  error " "$WORK/e1.txt" || fail "evaluate's top1 line changed: $(cat "$WORK/e1.txt")"
e1="$(sed 's/.*  error \([0-9.]*\) .*/\1/' "$WORK/e1.txt")"
awk -v a="$e1" -v b="$e3" 'BEGIN { exit !(b > 0 && b < a) }' ||
  fail "expected 0 < top3 error ($e3) < top1 error ($e1)"
expect_input_error "evaluate metric top11" "$ARES" evaluate "$ckpt" --dataset "$WORK/data" \
  --metric top11
expect_input_error "metric top0" "$ARES" campaign "$ckpt" --metric top0 --out "$WORK/x1"
expect_input_error "metric best" "$ARES" campaign "$ckpt" --metric best --out "$WORK/x2"
expect_input_error "more than the classes" "$ARES" campaign "$ckpt" --metric top11 --quiet \
  --bers 1e-3 --trials 1 --out "$WORK/x3"
err="$("$ARES" campaign "$ckpt" --metric top11 --quiet --bers 1e-3 --trials 1 --out "$WORK/x4" 2>&1 \
  >/dev/null)" || true
grep -qF "metric top11: the model has 10 outputs (top1..top10)" <<<"$err" || fail "the error does not say why: $err"
[ ! -e "$WORK/x4/trials.csv" ] || fail "a refused campaign wrote trials.csv"

echo "test_metric: all checks passed"
