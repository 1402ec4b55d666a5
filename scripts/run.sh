#!/usr/bin/env bash
# The main job: set up, train mnist_fc on Fashion-MNIST (once; the checkpoint is reused),
# run the weight-fault campaign over q2.6-2c, q2.6-sm and q2.6-2c with oracle sign
# protection (50 BERs x 20 trials each), and print the tolerance table.
# Extra arguments go to `ares campaign` (e.g. --trials 5).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${ARES_BUILD_DIR:-$root/build}"
"$root/scripts/setup.sh" "$build"
ares="$build/ares"
runs="$root/runs/mnist_fc-fashion-mnist"
ckpt="$runs/mnist_fc-s1.ckpt"
if [ ! -f "$ckpt" ]; then
  "$ares" train --model mnist_fc --dataset fashion-mnist --seed 1 --epochs 10 --out "$runs"
fi
"$ares" campaign "$ckpt" --formats q2.6-2c,q2.6-sm,q2.6-2c+sign --out "$root/results/main" "$@"
