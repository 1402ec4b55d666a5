#!/usr/bin/env bash
# The BLAS kernel choice (docs/campaign.md, "Speed on any CPU"): with OpenBLAS forced to its
# generic SSE3 kernel (Prescott) as if it had chosen it itself, Ares selects the best kernel
# the CPU supports and says so in one line, once; a user's own OPENBLAS_CORETYPE is kept; the
# record of where it ran names the CPU and the kernel; and a campaign's rows are the same
# whichever kernel ran (near-ties of the logits excepted, counted and bounded).
set -euo pipefail
ARES="$1"; WORK="$2"
source "$(dirname "$0")/common.sh"
rm -rf "$WORK"; mkdir -p "$WORK"

field() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "$2"; }

# Whatever the machine: `ares version` names the CPU and the BLAS.
"$ARES" version > "$WORK/v.txt" 2> "$WORK/v.err"
for k in cpu cpu_isa cores blas libtorch libtorch_cpu_capability libtorch_threads; do
  [ -n "$(field "$k" "$WORK/v.txt")" ] || fail "ares version does not say $k: $(cat "$WORK/v.txt")"
done
if [ "$(field blas "$WORK/v.txt" | cut -d' ' -f1)" != OpenBLAS ]; then
  echo "SKIP: the BLAS is not OpenBLAS ($(field blas "$WORK/v.txt"))"; exit 77
fi
if [ -n "${OPENBLAS_CORETYPE:-}" ] && [ -z "${ARES_OPENBLAS_CORETYPE_SET_BY:-}" ]; then
  # This machine's environment chose the kernel (some need it): leave that choice alone.
  echo "SKIP: OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE is set here; Ares keeps it"
  [ "$(wc -l < "$WORK/v.err")" = 0 ] || fail "a user's OPENBLAS_CORETYPE drew a message"
  exit 77
fi
unset ARES_OPENBLAS_CORETYPE_SET_BY ARES_OPENBLAS_CHOSE
# Nothing set by hand: at most the one line, and the kernel at the CPU's level.
[ "$(wc -l < "$WORK/v.err")" -le 1 ] || fail "more than one line on stderr: $(cat "$WORK/v.err")"
isa="$(field cpu_isa "$WORK/v.txt")"
case "$isa" in
  AVX-512) best=SkylakeX ;;
  AVX2) best=Haswell ;;
  *) echo "SKIP: this CPU ($isa) has no kernel better than OpenBLAS's own choice"; exit 77 ;;
esac
auto_kernel="$(field blas_kernel "$WORK/v.txt")"
echo "ok: nothing set: $auto_kernel ($(field blas_kernel_source "$WORK/v.txt"))"

# OpenBLAS on its generic kernel, a value Ares is free to revise: Ares selects $best, says so
# once, and the record says who chose it.
OPENBLAS_CORETYPE=Prescott ARES_OPENBLAS_CORETYPE_SET_BY=ares "$ARES" version \
  > "$WORK/g.txt" 2> "$WORK/g.err"
[ "$(wc -l < "$WORK/g.err")" = 1 ] || fail "expected one line on stderr, got: $(cat "$WORK/g.err")"
grep -q "runs its Prescott kernels.*selecting $best" "$WORK/g.err" \
  || fail "the line does not say what it selected: $(cat "$WORK/g.err")"
[ "$(field blas_kernel "$WORK/g.txt")" = "$best" ] \
  || fail "expected kernel $best, got $(field blas_kernel "$WORK/g.txt")"
[ "$(field blas_kernel_source "$WORK/g.txt")" = "Ares (OpenBLAS chose Prescott)" ] \
  || fail "source: $(field blas_kernel_source "$WORK/g.txt")"
echo "ok: generic kernel -> $(cat "$WORK/g.err")"

# The user's own choice stands, without a word.
OPENBLAS_CORETYPE=Prescott "$ARES" version > "$WORK/u.txt" 2> "$WORK/u.err"
[ "$(wc -l < "$WORK/u.err")" = 0 ] || fail "the user's choice drew a message: $(cat "$WORK/u.err")"
[ "$(field blas_kernel "$WORK/u.txt")" = Prescott ] \
  || fail "the user's Prescott was not kept: $(field blas_kernel "$WORK/u.txt")"
[ "$(field blas_kernel_source "$WORK/u.txt")" = "the user (OPENBLAS_CORETYPE)" ] \
  || fail "source: $(field blas_kernel_source "$WORK/u.txt")"
echo "ok: the user's OPENBLAS_CORETYPE=Prescott is kept"

# A campaign's rows whichever path chose the kernel: nothing set, Ares's selection from the
# generic kernel, the user's generic kernel. The kernels sum in different orders, so a logit
# near-tie may flip: counted, and bounded (at most 2% of the rows, by at most 2 errors).
python3 "$(dirname "$0")/../fixtures/make_idx.py" "$WORK/data" --train 2000 --test 400 --gzip
"$ARES" train --model mnist_fc --dataset "$WORK/data" --epochs 1 --seed 3 --threads 2 \
  --out "$WORK/m" --quiet > /dev/null 2>&1
ckpt="$WORK/m/mnist_fc-s3.ckpt"
args=(--formats q2.6-2c,q2.6-sm --bers 1e-4,1e-3,1e-2 --trials 6 --threads 2 --quiet)
"$ARES" campaign "$ckpt" "${args[@]}" --out "$WORK/auto" > /dev/null
OPENBLAS_CORETYPE=Prescott ARES_OPENBLAS_CORETYPE_SET_BY=ares \
  "$ARES" campaign "$ckpt" "${args[@]}" --out "$WORK/sel" > /dev/null 2> "$WORK/sel.err"
OPENBLAS_CORETYPE=Prescott "$ARES" campaign "$ckpt" "${args[@]}" --out "$WORK/user" > /dev/null
grep -q "\"blas_kernel\": \"$best\"" "$WORK/sel/summary.json" || fail "summary.json lacks $best"
grep -q '"blas_kernel": "Prescott"' "$WORK/user/summary.json" || fail "summary.json lacks Prescott"
grep -q '"cpu": ' "$WORK/auto/summary.json" || fail "summary.json does not name the CPU"
for other in sel user; do
  # Columns (docs/campaign.md): 14 errors, 16 error, 18-20 the outcome classes, 21 seconds;
  # 1-13, 15 and 17 must be equal; errors and outcomes may differ on near-ties.
  diff <(cut -d, -f1-13,15,17 "$WORK/auto/trials.csv") <(cut -d, -f1-13,15,17 "$WORK/$other/trials.csv") \
    || fail "$other: rows differ beyond the errors column"
  paste -d, <(cut -d, -f14 "$WORK/auto/trials.csv") <(cut -d, -f14 "$WORK/$other/trials.csv") |
    awk -F, -v who="$other" 'NR > 1 { n++; d = $1 - $2; if (d < 0) d = -d; if (d) k++;
                                        if (d > m) m = d }
      END { printf "ok: %s: %d of %d rows differ (near-ties), by at most %d errors\n", who, k, n, m;
            exit !(k <= 0.02 * n && m <= 2) }' || fail "$other: too many rows differ"
done
