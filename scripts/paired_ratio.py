#!/usr/bin/env python3
"""95% bootstrap interval of the threshold ratio between two configurations of one campaign.

  scripts/paired_ratio.py CAMPAIGN_DIR NUMERATOR DENOMINATOR [--paired]

Reads trials.csv (instance 0). Per resample, the trials at each BER are drawn with
replacement -- with --paired the same trial indices for both configurations (for campaigns
run with --pairing paired, where trial t of every configuration saw the same faulty cells),
else independently -- each mean curve is fitted monotone (pool adjacent violators), its
threshold taken under Ares's rule, and the ratio of the two thresholds kept. Prints, per
level, the point ratio of the campaign's own thresholds and the 2.5% / 97.5% quantiles.
Seeded: the same input gives the same output.
"""
import csv
import math
import random
import sys
from collections import defaultdict


def pava(y):
    blocks = []  # [mean, weight, count]
    for v in y:
        blocks.append([v, 1.0, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            m2, w2, c2 = blocks.pop()
            m1, w1, c1 = blocks.pop()
            blocks.append([(m1 * w1 + m2 * w2) / (w1 + w2), w1 + w2, c1 + c2])
    out = []
    for m, _, c in blocks:
        out += [m] * c
    return out


def threshold(bers, curve, bound):
    for k, e in enumerate(curve):
        if e > bound:
            return bers[k - 1] if k > 0 else bers[0] / 10
    return bers[-1]


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    paired = "--paired" in sys.argv
    directory, num, den = args
    errors = defaultdict(lambda: defaultdict(dict))  # config -> ber index -> trial -> error
    bers = {}
    for r in csv.DictReader(open(directory + "/trials.csv")):
        if r["instance"] != "0":
            continue
        cfg = r["format"] + ("" if r["protection"] == "none" else "+" + r["protection"])
        errors[cfg][int(r["ber_index"])][int(r["trial"])] = float(r["error"])
        bers[int(r["ber_index"])] = float(r["ber"])
    base = {}
    summary = list(csv.DictReader(open(directory + "/summary.csv")))
    for r in summary:
        if r["instance"] == "0":
            cfg = r["format"] + ("" if r["protection"] == "none" else "+" + r["protection"])
            base[cfg] = float(r["baseline_error"])
    levels = [h[7:-3] for h in summary[0] if h.startswith("ber_at_") and h.endswith("pct")]
    grid = [bers[k] for k in sorted(bers)]
    B = len(grid)
    T = len(errors[num][0])
    rng = random.Random(1)

    def curves(idx_num, idx_den):
        cn = [sum(errors[num][b][t] for t in idx_num[b]) / T for b in range(B)]
        cd = [sum(errors[den][b][t] for t in idx_den[b]) / T for b in range(B)]
        return pava(cn), pava(cd)

    ident = [list(range(T))] * B
    point_n, point_d = curves(ident, ident)
    ratios = defaultdict(list)
    for _ in range(1000):
        i_n = [[rng.randrange(T) for _ in range(T)] for _ in range(B)]
        i_d = i_n if paired else [[rng.randrange(T) for _ in range(T)] for _ in range(B)]
        cn, cd = curves(i_n, i_d)
        for lv in levels:
            p = float(lv) / 100
            ratios[lv].append(threshold(grid, cn, base[num] * (1 + p)) /
                              threshold(grid, cd, base[den] * (1 + p)))
    print("level  ratio  lo      hi      hi/lo   (%s / %s, %s resampling)" %
          (num, den, "paired" if paired else "independent"))
    for lv in levels:
        p = float(lv) / 100
        point = threshold(grid, point_n, base[num] * (1 + p)) / threshold(grid, point_d,
                                                                           base[den] * (1 + p))
        r = sorted(ratios[lv])
        lo, hi = r[int(0.025 * 999 + 0.5)], r[int(0.975 * 999 + 0.5)]
        print("+%-5s %6.2f %7.2f %7.2f %7.2f" % (lv + "%", point, lo, hi, hi / lo))


if __name__ == "__main__":
    main()
