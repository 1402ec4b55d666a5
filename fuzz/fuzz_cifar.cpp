// Fuzzes the CIFAR-10 binary reader (src/data/cifar.cpp): the input is test_batch.bin of a
// directory given to load_cifar10(dir, test_only = true).

#include <torch/torch.h>

#include <cstdint>

#include "ares/data/cifar.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  torch::set_num_threads(1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto& dir = ares::fuzz::scratch_dir();
  ares::fuzz::write_file(dir / "test_batch.bin", data, size);
  ares::data::Split split;
  if (ares::fuzz::expect_input_error("load_cifar10", [&] {
        split = ares::data::load_cifar10(dir.string(), /*test_only=*/true);
      })) {
    const auto& t = split.test;
    const int64_t n = static_cast<int64_t>(size / 3073);
    if (size % 3073 != 0 || t.images.sizes() != torch::IntArrayRef({n, 3, 32, 32}) ||
        t.labels.size(0) != n || t.labels.max().item<int64_t>() > 9 ||
        t.images.max().item<float>() > 1.0f || t.images.min().item<float>() < 0.0f) {
      ares::fuzz::finding("load_cifar10", "accepted a split that breaks its contract");
    }
  }
  return 0;
}
