#!/usr/bin/env bash
# The result store: kill -9 at random points and resume gives exactly the rows of an
# uninterrupted run; rerunning resumes; another spec, a locked, corrupt, newer or foreign
# store, a read-only one and a full disk each give one line and exit 2; export rebuilds the
# files.
set -euo pipefail
ARES="$1"; WORK="$2"
source "$(dirname "$0")/common.sh"
chattr -i "$WORK/ro/campaign.db" 2> /dev/null || true  # left immutable by a killed run
rm -rf "$WORK"; mkdir -p "$WORK"
python3 "$(dirname "$0")/../fixtures/make_idx.py" "$WORK/data" --train 1000 --test 3000
"$ARES" train --model mnist_fc --dataset "$WORK/data" --epochs 1 --seed 5 --out "$WORK/ck" \
  --quiet > /dev/null
ckpt="$WORK/ck/mnist_fc-s5.ckpt"
args=("$ckpt" --engine reference --ber-min 1e-4 --ber-max 1e-1 --ber-points 12 --trials 10
      --threads 2 --quiet)

start=$(date +%s%N)
"$ARES" campaign "${args[@]}" --out "$WORK/full" > /dev/null
full_ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$(wc -l < "$WORK/full/trials.csv")" = 361 ] || fail "expected 360 trials"

# Kill at random points of the run (10% to 90% of an uninterrupted run's time, so that the
# points fall inside the run whatever the machine's speed), resume each time.
RANDOM=7
resumed=0
for i in 1 2 3 4 5; do
  "$ARES" campaign "${args[@]}" --out "$WORK/killed" > /dev/null 2> "$WORK/err$i" &
  pid=$!
  ms=$(( full_ms * (10 + RANDOM % 80) / 100 ))
  sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
  kill -9 "$pid" 2> /dev/null || true
  wait "$pid" 2> /dev/null || true
  grep -q "resuming" "$WORK/err$i" && resumed=$((resumed + 1))
done
"$ARES" campaign "${args[@]}" --out "$WORK/killed" > /dev/null 2> "$WORK/err_final"
[ "$resumed" -ge 1 ] || grep -q "resuming" "$WORK/err_final" || fail "no run resumed a store"
diff <(without_seconds "$WORK/full/trials.csv") <(without_seconds "$WORK/killed/trials.csv") \
  || fail "killed and resumed campaign differs from the uninterrupted one"
cmp "$WORK/full/summary.csv" "$WORK/killed/summary.csv" || fail "summaries differ after resume"
echo "ok: $resumed of 5 killed runs resumed a partial store; final rows identical"

# Rerunning a finished campaign runs nothing and writes the same rows.
"$ARES" campaign "${args[@]}" --out "$WORK/full" > /dev/null 2> "$WORK/err_rerun"
grep -q "360 of 360 trials already stored" "$WORK/err_rerun" || fail "rerun did not resume"
"$ARES" campaign --resume "$WORK/full/campaign.db" --quiet > /dev/null 2>&1
# Export rebuilds the files from the store alone.
"$ARES" export "$WORK/full/campaign.db" --out "$WORK/exported" > /dev/null
cmp "$WORK/full/trials.csv" "$WORK/exported/trials.csv" || fail "export differs"

# Another spec on the same store is refused, naming the difference.
expect_input_error "other spec" "$ARES" campaign "${args[@]}" --trials 5 --out "$WORK/full"
msg="$("$ARES" campaign "${args[@]}" --trials 5 --out "$WORK/full" 2>&1 || true)"
[[ "$msg" == *"trials is '10' there but '5' here"* ]] || fail "the refusal must name the difference"
# A second writer is refused while the lock is held (by a helper process that holds it
# until told to let go, so the check does not depend on timing).
python3 - "$WORK/full/campaign.db.lock" "$WORK/locked" "$WORK/release" <<'PY' &
import fcntl, os, sys, time
f = open(sys.argv[1], "a")
fcntl.flock(f, fcntl.LOCK_EX)
open(sys.argv[2], "w").close()
for _ in range(600):
    if os.path.exists(sys.argv[3]):
        break
    time.sleep(0.05)
PY
for _ in $(seq 600); do [ -e "$WORK/locked" ] && break; sleep 0.05; done
[ -e "$WORK/locked" ] || fail "the lock holder did not start"
expect_input_error "locked store" "$ARES" campaign "${args[@]}" --out "$WORK/full"
touch "$WORK/release"
wait
# Corrupt, foreign and newer stores.
mkdir -p "$WORK/bad1" "$WORK/bad2" "$WORK/bad3"
head -c 4096 /dev/urandom > "$WORK/bad1/campaign.db"
expect_input_error "corrupt store" "$ARES" campaign "${args[@]}" --out "$WORK/bad1"
python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('create table x(a)'); c.commit()" \
  "$WORK/bad2/campaign.db"
expect_input_error "foreign database" "$ARES" campaign "${args[@]}" --out "$WORK/bad2"
cp "$WORK/full/campaign.db" "$WORK/bad3/campaign.db"
python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(\"update meta set value='99' where key='schema_version'\"); c.commit()" \
  "$WORK/bad3/campaign.db"
expect_input_error "newer store" "$ARES" campaign "${args[@]}" --out "$WORK/bad3"
expect_input_error "missing store" "$ARES" export "$WORK/none.db"
# A read-only store (a different campaign, so it would be written): one line, exit 2; export
# still reads it. Root ignores file modes, so as root the file is made immutable instead;
# where neither works (no chattr, a file system without it) the check says it is skipped.
mkdir -p "$WORK/ro"
cp "$WORK/full/campaign.db" "$WORK/ro/campaign.db"
if [ "$(id -u)" != 0 ]; then chmod a-w "$WORK/ro/campaign.db"; ro=chmod
elif chattr +i "$WORK/ro/campaign.db" 2> /dev/null; then ro=chattr
else ro=""; fi
if [ -n "$ro" ]; then
  # In subshells, so that the file is made writable again whatever happens.
  rc=0; (expect_input_error "read-only store" "$ARES" campaign "${args[@]}" --trials 11 \
    --out "$WORK/ro") || rc=$?
  msg="$("$ARES" campaign "${args[@]}" --trials 11 --out "$WORK/ro" 2>&1 > /dev/null || true)"
  rc2=0; "$ARES" export "$WORK/ro/campaign.db" --out "$WORK/ro/export" > /dev/null 2>&1 || rc2=$?
  if [ "$ro" = chattr ]; then chattr -i "$WORK/ro/campaign.db"; fi
  [ "$rc" = 0 ] || fail "read-only store: see above"
  [[ "$msg" == *"read-only"* ]] || fail "read-only store: the message must say so: $msg"
  [ "$rc2" = 0 ] || fail "export of a read-only store failed"
else
  echo "skipped: read-only store (cannot make a file read-only here)"
fi
mkdir -p "$WORK/partial"
# A full disk (simulated with a file-size limit): one line, exit 2, committed trials kept.
set +e
err="$( (ulimit -f 40; "$ARES" campaign "${args[@]}" --out "$WORK/partial") 2>&1 >/dev/null)"
rc=$?
set -e
[ "$rc" = 2 ] || fail "full disk: expected exit 2, got $rc: $err"
[ "$(printf '%s\n' "$err" | wc -l)" = 1 ] || fail "full disk: expected one line: $err"
echo "ok: full disk -> $err"
# Shards (Slurm job arrays): three shards merged equal the single run, row for row.
for i in 0 1 2; do
  "$ARES" campaign "${args[@]}" --shard "$i/3" --out "$WORK/shards" > /dev/null 2>&1
done
[ ! -e "$WORK/shards/trials.csv" ] || fail "a shard must not write the campaign's files"
"$ARES" merge --out "$WORK/merged" "$WORK"/shards/campaign.shard-*-of-3.db > /dev/null
diff <(without_seconds "$WORK/full/trials.csv") <(without_seconds "$WORK/merged/trials.csv") \
  || fail "merged shards differ from the single run"
cmp "$WORK/full/summary.csv" "$WORK/merged/summary.csv" || fail "merged summary differs"
"$ARES" campaign "$ckpt" --bers 1e-3 --trials 1 --quiet --out "$WORK/other" > /dev/null 2>&1
expect_input_error "merge another campaign" "$ARES" merge --out "$WORK/merged" \
  "$WORK/other/campaign.db"
msg="$("$ARES" merge --out "$WORK/merged" "$WORK/other/campaign.db" 2>&1 || true)"
[[ "$msg" == *"holds another campaign"* ]] || fail "merge must name the mismatch: $msg"
expect_input_error "bad shard" "$ARES" campaign "${args[@]}" --shard 3/3 --out "$WORK/x"
echo "test_store: all checks passed"
