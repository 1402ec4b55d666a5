#!/usr/bin/env bash
# The GPU check, in one go on a borrowed GPU machine (a few minutes): builds Ares against the
# CUDA LibTorch of pip's torch into build-cuda/, runs the GPU tests (*Cuda*; they must run, not
# skip), then benchmarks weight campaigns of cifar_vgg12 (generated CIFAR-shaped data) and,
# when torchvision is importable, resnet50 (random weights, generated images) on the GPU and
# on the CPU: trials per second and the ratio of a trial to a clean forward pass.
#
#   scripts/gpu-check.sh                 # python3 -c 'import torch' must find a CUDA build
#   ARES_PYTHON=/opt/venv/bin/python scripts/gpu-check.sh
#
# Needs: cmake, ninja or make, a C++17 compiler, zlib and SQLite headers, python3 with a CUDA
# torch (pip install torch), a GPU. Prints the figures; exits non-zero on any failure.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${ARES_CUDA_BUILD_DIR:-$root/build-cuda}"
work="$build/gpu-check"
python="${ARES_PYTHON:-python3}"
say() { echo "gpu-check: $*" >&2; }

prefix="$("$python" -c 'import torch; print(torch.utils.cmake_prefix_path)' 2> /dev/null)" ||
  { say "$python cannot import torch (pip install torch)"; exit 2; }
"$python" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' ||
  { say "this torch ($("$python" -c 'import torch; print(torch.__version__)')) sees no GPU"; exit 2; }
say "LibTorch from $prefix ($("$python" -c 'import torch; print(torch.__version__, torch.cuda.get_device_name(0))'))"

start=$SECONDS
if [ ! -f "$build/CMakeCache.txt" ]; then
  generator=()
  command -v ninja > /dev/null 2>&1 && generator=(-G Ninja)
  cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$prefix" -DARES_BUILD_BENCHMARKS=OFF -DARES_WITH_MPI=OFF >&2
fi
cmake --build "$build" -j "$(nproc)" --target ares ares_torch_tests >&2
say "built in $((SECONDS - start)) s"

# The GPU tests: every *Cuda* test must run and pass (a skip means no GPU was seen).
out="$("$build/tests/ares_torch_tests" --gtest_filter='*Cuda*' 2>&1)" || { echo "$out"; exit 1; }
echo "$out" | grep -E '^\[  (PASSED|SKIPPED|FAILED) ' || true
if echo "$out" | grep -q '^\[  SKIPPED \]'; then say "GPU tests skipped: no GPU seen"; exit 1; fi

ares="$build/ares"
rm -rf "$work"; mkdir -p "$work"
bench() {  # NAME CKPT DATASET [bench options]
  local name="$1" ckpt="$2" dataset="$3"; shift 3
  for device in cuda cpu; do
    echo "== $name on $device =="
    "$ares" bench "$ckpt" --dataset "$dataset" --device "$device" --engines fast,reference \
      --threads 1 "$@"
  done
}

# cifar_vgg12: one quick training epoch on generated data (for a checkpoint), then the
# default three-format campaign at a shorter grid on 1,000 images.
"$python" "$root/tests/fixtures/make_cifar.py" "$work/cifar" --train-per-batch 200 --test 1000
for device in cuda cpu; do  # training on the GPU (gradient faults on the device) and the CPU
  t0=$SECONDS
  "$ares" train --model cifar_vgg12 --dataset "$work/cifar" --epochs 1 --quiet \
    --out "$work/ck-$device" --device "$device" --inject grad:bf16:1e-5 > /dev/null
  echo "== cifar_vgg12 training, 1 epoch with gradient faults, on $device: $((SECONDS - t0)) s =="
done
bench cifar_vgg12 "$work/ck-cpu/cifar_vgg12-s1.ckpt" "$work/cifar" --ber-points 10 --trials 5
# An activation campaign on the GPU and the CPU (per-sample sites).
for device in cuda cpu; do
  t0=$SECONDS
  "$ares" campaign "$work/ck-cpu/cifar_vgg12-s1.ckpt" --dataset "$work/cifar" --site act:0 \
    --formats q4.4-sm --ber-points 5 --trials 3 --eval-limit 500 --device "$device" --quiet \
    --out "$work/act-$device" > /dev/null
  echo "== cifar_vgg12 act:0 campaign on $device: $((SECONDS - t0)) s =="
done

# resnet50: random weights in torchvision's layout (needs torchvision to write them), on 64
# generated 256 x 256 images.
if "$python" -c 'import torchvision' > /dev/null 2>&1; then
  "$python" "$root/scripts/export_torchvision.py" export resnet50 "$work/resnet50.ckpt" --seed 1 \
    > /dev/null
  "$python" - "$work/imagenet/val" << 'EOF'
import os, sys
root = sys.argv[1]
for c in range(4):
    d = os.path.join(root, "n%08d" % c)
    os.makedirs(d, exist_ok=True)
    for i in range(16):
        with open(os.path.join(d, "%02d.ppm" % i), "wb") as f:
            f.write(b"P6\n256 256\n255\n")
            f.write(bytes((x * 7 + y * 3 + c * 50 + i) % 256
                          for y in range(256) for x in range(256) for _ in range(3)))
EOF
  bench resnet50 "$work/resnet50.ckpt" "$work/imagenet" --ber-points 6 --trials 3
else
  say "torchvision not importable: resnet50 benchmark skipped (pip install torchvision)"
fi
say "done in $((SECONDS - start)) s"
