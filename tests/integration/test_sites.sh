#!/usr/bin/env bash
# ares sites: every fault site of a model with its shape and value count, for zoo names,
# checkpoints (a GRU's hidden state included) and TorchScript files; the counts are the ones
# campaigns on those sites store (values = samples x values per sample); bad input gives one
# line and exit 2.
set -euo pipefail
ARES="$1"; WORK="$2"
source "$(dirname "$0")/common.sh"
rm -rf "$WORK"; mkdir -p "$WORK"
python3 "$(dirname "$0")/../fixtures/make_idx.py" "$WORK/data" --train 300 --test 50 --gzip

"$ARES" sites mnist_fc > "$WORK/fc.txt"
grep -Eq '^weights +266610 +model$' "$WORK/fc.txt" || fail "mnist_fc: weights line: $(cat "$WORK/fc.txt")"
grep -Eq '^  fc1.weight +300x784 +235200$' "$WORK/fc.txt" || fail "mnist_fc: fc1.weight"
grep -Eq '^act:fc1 +300 +300 +sample$' "$WORK/fc.txt" || fail "mnist_fc: act:fc1"
grep -q '^act:fc3' "$WORK/fc.txt" && fail "mnist_fc: the last stage is not an activation site"

# Every site listed for lenet5 and a GRU is one a campaign takes, with the listed count per
# sample (and the weights' total).
"$ARES" train --model lenet5 --dataset "$WORK/data" --epochs 1 --seed 1 --threads 2 \
  --out "$WORK/ck" --quiet > /dev/null
for ckpt in "$WORK/ck/lenet5-s1.ckpt"; do
  "$ARES" sites "$ckpt" --json > "$WORK/sites.json"
  python3 - "$WORK/sites.json" > "$WORK/site_list" <<'PY'
import json, sys
js = json.load(open(sys.argv[1]))
assert js["weights"] == sum(p["values"] for p in js["parameters"]), js
for s in js["sites"]:
    print(s["site"], s["values"], s["per"])
PY
  while read -r site values per; do
    "$ARES" campaign "$ckpt" --site "$site" --formats q4.4-2c --bers 1e-3 --trials 1 \
      --eval-limit 10 --quiet --out "$WORK/c_${site//:/_}" > /dev/null
    stored="$(awk -F, 'NR == 2 { print $7 }' "$WORK/c_${site//:/_}/summary.csv")"
    want=$values; [ "$per" = sample ] && want=$(( values * 10 ))
    [ "$stored" = "$want" ] || fail "$site: ares sites says $values per $per, the campaign stored $stored"
    echo "ok: $site $values per $per"
  done < "$WORK/site_list"
done

# TorchScript: the sample shape comes from --dataset.
if "$PY" -c "import torch" 2> /dev/null; then
  "$PY" "$(dirname "$0")/../fixtures/export_torchscript.py" "$WORK/data" "$WORK/net.pt" \
    "$WORK/torch_pred.csv"
  "$ARES" sites "$WORK/net.pt" --dataset "$WORK/data" | grep -Eq '^weights +[0-9]+ +model$' \
    || fail "TorchScript: no weights line"
  expect_input_error "TorchScript without a dataset" "$ARES" sites "$WORK/net.pt"
  # Its submodule and op outputs (graph sites) too: each takes a campaign storing the listed
  # count per sample.
  "$ARES" sites "$WORK/net.pt" --dataset "$WORK/data" 2> /dev/null |
    awk '$1 ~ /^act:/ && $NF == "sample" { print $1, $(NF-1) }' > "$WORK/graph_sites"
  [ "$(wc -l < "$WORK/graph_sites")" -ge 3 ] || fail "TorchScript: few act sites: $(cat "$WORK/graph_sites")"
  while read -r site values; do
    "$ARES" campaign "$WORK/net.pt" --dataset "$WORK/data" --site "$site" --formats q4.4-2c \
      --bers 1e-3 --trials 1 --eval-limit 10 --quiet --out "$WORK/t_${site//:/_}" > /dev/null 2>&1
    stored="$(awk -F, 'NR == 2 { print $7 }' "$WORK/t_${site//:/_}/summary.csv")"
    [ "$stored" = $(( values * 10 )) ] || fail "TorchScript $site: listed $values per sample, stored $stored"
    echo "ok: TorchScript $site $values per sample"
  done < "$WORK/graph_sites"
fi
expect_input_error "unknown model" "$ARES" sites no_such_model
expect_input_error "two models" "$ARES" sites mnist_fc lenet5
echo "test_sites: ok"
