#!/usr/bin/env bash
# The adaptive threshold search against the grid campaign on one checkpoint: both tables, the
# trials each used per configuration, and whether every crossing interval of the search lies
# inside the grid campaign's (issue 15's check and target).
#   scripts/adaptive_bench.sh CHECKPOINT [BUDGET] [WORK_DIR]
set -euo pipefail
ares="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build/ares"
ck=$1; budget=${2:-250}; w=${3:-$(mktemp -d)}
common=(--formats q2.6-2c,q2.6-sm --levels 1,5,10 --threads "$(nproc)" --quiet)
rm -rf "$w/grid" "$w/search"
echo "== grid campaign (50 BERs x 20 trials = 1000 per configuration)"
/usr/bin/time -f "%e s" "$ares" campaign "$ck" "${common[@]}" --out "$w/grid"
echo "== adaptive search, budget $budget trials per configuration"
/usr/bin/time -f "%e s" "$ares" campaign "$ck" "${common[@]}" --find-thresholds --budget "$budget" --out "$w/search"
python3 - "$w" <<'PY'
import csv, sys
w = sys.argv[1]
grid = {}
rows = list(csv.DictReader(open(f"{w}/grid/summary.csv")))
bers = sorted({float(r["ber"]) for r in csv.DictReader(open(f"{w}/grid/trials.csv"))})
def after(b):
    later = [x for x in bers if x > b * (1 + 1e-12)]
    return later[0] if later else b
for r in rows:
    for l in ("1", "5", "10"):
        lo, hi = float(r[f"ber_at_{l}pct_lo"]), float(r[f"ber_at_{l}pct_hi"])
        grid[(r["format"], l)] = (lo, after(hi))
print("== crossing intervals: search inside grid?")
for r in csv.DictReader(open(f"{w}/search/thresholds.csv")):
    l = r["level_pct"]
    glo, ghi = grid[(r["format"], l)]
    lo, hi = float(r["crossing_lo"]), float(r["crossing_hi"])
    inside = glo <= lo and hi <= ghi * (1 + 1e-12)
    print(f"{r['format']:10s} +{l:>2s}%  search [{lo:.2e}, {hi:.2e}) x{hi/lo:.2f}  "
          f"grid [{glo:.2e}, {ghi:.2e}) x{ghi/glo:.2f}  trials {r['trials']:>4s}  "
          f"{'inside' if inside else 'NOT inside'}")
PY
