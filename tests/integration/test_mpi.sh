#!/usr/bin/env bash
# mpirun -np 3 ares campaign: the ranks split the trials, rank 0 merges, and the rows equal
# the single-process run's.
set -euo pipefail
ARES="$1"; WORK="$2"
source "$(dirname "$0")/common.sh"
if ! command -v mpirun > /dev/null || ! "$ARES" version | grep -q "with MPI"; then
  echo "SKIP: no mpirun, or ares built without MPI"
  exit 77
fi
rm -rf "$WORK"; mkdir -p "$WORK"
python3 "$(dirname "$0")/../fixtures/make_idx.py" "$WORK/data" --train 1000 --test 500
"$ARES" train --model mnist_fc --dataset "$WORK/data" --epochs 1 --seed 2 --out "$WORK/ck" \
  --quiet > /dev/null
args=("$WORK/ck/mnist_fc-s2.ckpt" --ber-min 1e-5 --ber-max 1e-2 --ber-points 8 --trials 4
      --threads 1 --quiet)
"$ARES" campaign "${args[@]}" --out "$WORK/single" > /dev/null
mpirun --allow-run-as-root --oversubscribe -np 3 "$ARES" campaign "${args[@]}" \
  --out "$WORK/mpi" > "$WORK/mpi.txt"
diff <(without_seconds "$WORK/single/trials.csv") <(without_seconds "$WORK/mpi/trials.csv") \
  || fail "the MPI run differs from the single-process run"
cmp "$WORK/single/summary.csv" "$WORK/mpi/summary.csv" || fail "summaries differ"
grep -q "q2.6-2c+sign" "$WORK/mpi.txt" || fail "rank 0 must print the table"
ls "$WORK"/mpi/campaign.shard-*-of-3.db > /dev/null || fail "per-rank stores"
# Bad input on every rank: one line, a non-zero exit, no hang.
set +e
timeout 60 mpirun --allow-run-as-root --oversubscribe -np 2 "$ARES" campaign "${args[@]}" \
  --bers 0 --out "$WORK/bad" > /dev/null 2> "$WORK/bad.err"
rc=$?
set -e
[ "$rc" != 0 ] && [ "$rc" != 124 ] || fail "bad input under MPI: exit $rc"
grep -q "outside (0, 1]" "$WORK/bad.err" || fail "bad input under MPI: $(cat "$WORK/bad.err")"
echo "test_mpi: all checks passed"
