#!/usr/bin/env bash
# Runs the same campaigns with two ares binaries and compares their rows: trials.csv in every
# column but seconds, and summary.csv in the old binary's columns. A redesign must leave every row as it was.
#   scripts/compare_rows.sh OLD_ARES NEW_ARES MNIST_FC.ckpt LENET5.ckpt [WORK_DIR]
# With GRU=fmnist_gru.ckpt in the environment, a hidden-state campaign is compared too
# (ares train --model fmnist_gru --dataset fashion-mnist-seq --epochs 1 --limit 5000).
# Exits 1 when any case differs.
set -u
OLD=$1; NEW=$2; M=$3; L=$4; W=${5:-$(mktemp -d)}
mkdir -p "$W"
status=0
cat > $W/spec.toml <<T
formats = ["q2.6-2c", "q4.4-sm"]
bers = [1e-5, 1e-4, 1e-3, 1e-2]
trials = 4
threads = 1
T
i=0
while IFS= read -r line; do
  [ -z "$line" ] && continue
  i=$((i+1))
  ran=1
  for b in old new; do
    bin=$OLD; [ $b = new ] && bin=$NEW
    rm -rf $W/$b$i
    eval "$bin campaign $line --quiet --out $W/$b$i" > /dev/null 2> $W/$b$i.err || { echo "case $i ($b) failed: $(cat $W/$b$i.err)"; status=1; ran=0; }
  done
  [ $ran = 1 ] || continue
  if diff -q <(cut -d, -f1-17 $W/old$i/trials.csv) <(cut -d, -f1-17 $W/new$i/trials.csv) > /dev/null; then
    echo "case $i identical ($(($(wc -l < $W/new$i/trials.csv) - 1)) rows): $line"
  else
    echo "case $i DIFFERS: $line"; status=1
  fi
  # summary.csv: the old binary's columns (a newer one may add columns after them).
  n=$(head -1 $W/old$i/summary.csv | tr ',' '\n' | wc -l)
  cmp -s <(cut -d, -f1-$n $W/old$i/summary.csv) <(cut -d, -f1-$n $W/new$i/summary.csv) \
    || { echo "  summary.csv differs"; status=1; }
done <<CASES
$M
$L --trials 5 --eval-limit 2000
$M --site act:fc1 --bers 1e-4,1e-3,1e-2 --trials 5
$L --site act:conv1 --bers 1e-4,1e-3,1e-2 --trials 3 --eval-limit 1000
$M --param-kind bias --bers 1e-3,1e-2,1e-1 --trials 5
$M --bits 0-3,7 --formats q2.6-sm,q2.6-2c+sign --bers 1e-4,1e-3 --trials 5
$M --fault-model stuck1 --bers 1e-4,1e-3 --trials 5
$M --fault-model gaussian:0.5 --formats q4.4-2c --bers 1e-4,1e-3 --trials 5
$M --semantics exact --bers 1e-4,1e-3 --trials 5
$M --engine prefix --bers 1e-4,1e-3 --trials 5 --seed 7
$M --engine reference --bers 1e-4,1e-3 --trials 5 --threads 1
$M --spec $W/spec.toml
$M --formats fp16,bf16,q8.8-sm --bers 1e-5,1e-4 --trials 4 --targets 'fc1.*'
${GRU:+$GRU --site hidden:gru --bers 1e-4,1e-3,1e-2 --trials 3 --eval-limit 500}
CASES
exit $status
