#!/usr/bin/env bash
# Campaign-engine benchmarks for mnist_fc, lenet5 and cifar_vgg12 in one run on this machine:
# per engine (fast, prefix, reference, ares-dense) trials/s, wall time, the mean evaluated
# trial against one clean forward pass and against the clean suffix from its first faulty
# stage, and whether the engines' errors agree. Also the fault-sampler Google Benchmark.
#   scripts/bench.sh [--quick]
# Default: mnist_fc and lenet5 on Fashion-MNIST (10,000 test images, the full 3-format,
# 50-BER x 20-trial campaign); cifar_vgg12 on generated CIFAR-shaped data (no CIFAR-10 can be
# installed here) with 200 evaluation images and a reduced grid. --quick shrinks everything.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${ARES_BUILD_DIR:-$root/build}"
"$root/scripts/setup.sh" "$build"
ares="$build/ares"
work="$root/runs/bench"
mkdir -p "$work"
quick=0
[ "${1:-}" = "--quick" ] && quick=1

ckpt() {  # model dataset epochs [extra train flags]
  local model="$1" data="$2" epochs="$3"; shift 3
  local out="$work/$model"
  [ -f "$out/$model-s1.ckpt" ] || "$ares" train --model "$model" --dataset "$data" \
    --epochs "$epochs" --seed 1 --out "$out" --quiet "$@" >&2
  echo "$out/$model-s1.ckpt"
}

if [ $quick = 1 ]; then grid=(--ber-points 10 --trials 4); else grid=(); fi
echo "== sampler (Google Benchmark): time per plan follows flips, not bits"
"$build/bench/ares_core_bench" --benchmark_filter='SampleFlips' 2>/dev/null || true
echo
echo "== mnist_fc, Fashion-MNIST"
"$ares" bench "$(ckpt mnist_fc fashion-mnist 10)" --quiet "${grid[@]}"
echo
echo "== lenet5, Fashion-MNIST"
"$ares" bench "$(ckpt lenet5 fashion-mnist 1)" --quiet "${grid[@]}" \
  $([ $quick = 1 ] && echo --eval-limit 1000)
echo
echo "== cifar_vgg12, generated CIFAR-shaped data, 200 evaluation images"
python3 "$root/tests/fixtures/make_cifar.py" "$work/cifar" --train-per-batch 100 --test 200
"$ares" bench "$(ckpt cifar_vgg12 "$work/cifar" 6 --batch 50)" --quiet --eval-limit 200 \
  --ber-points 13 --trials $([ $quick = 1 ] && echo 2 || echo 5) --batch 50
