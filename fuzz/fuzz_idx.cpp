// Fuzzes the IDX reader (src/data/idx.cpp), plain and gzip.
//
// An input is one IDX file, read with read_idx as images (magic 0x00000803) and as labels
// (0x00000801); or, when it starts with "PAIR", a test split for load_mnist_like:
// "PAIR", u32 little-endian length L, L bytes of t10k-images-idx3-ubyte, then the bytes of
// t10k-labels-idx1-ubyte (this reaches the count, shape and label checks).

#include <torch/torch.h>

#include <cstdint>
#include <cstring>

#include "ares/data/dataset.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  torch::set_num_threads(1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size >= 8 && std::memcmp(data, "PAIR", 4) == 0) {
    uint32_t len;
    std::memcpy(&len, data + 4, 4);
    const size_t images = std::min<size_t>(len, size - 8);
    const auto& dir = ares::fuzz::scratch_dir();
    ares::fuzz::write_file(dir / "t10k-images-idx3-ubyte", data + 8, images);
    ares::fuzz::write_file(dir / "t10k-labels-idx1-ubyte", data + 8 + images, size - 8 - images);
    ares::data::Split split;
    if (ares::fuzz::expect_input_error("load_mnist_like", [&] {
          split = ares::data::load_mnist_like(dir.string(), /*test_only=*/true);
        })) {
      const auto& t = split.test;
      if (t.images.dim() != 4 || t.images.size(0) != t.labels.size(0) || t.images.size(1) != 1 ||
          t.labels.scalar_type() != torch::kInt64 ||
          (t.labels.numel() &&
           (t.labels.min().item<int64_t>() < 0 || t.labels.max().item<int64_t>() > 9))) {
        ares::fuzz::finding("load_mnist_like", "accepted a split that breaks its contract");
      }
    }
    return 0;
  }
  ares::fuzz::MemFile file(data, size);
  for (uint32_t magic : {0x00000803u, 0x00000801u}) {
    torch::Tensor t;
    if (ares::fuzz::expect_input_error("read_idx",
                                       [&] { t = ares::data::read_idx(file.path(), magic); }) &&
        (t.scalar_type() != torch::kUInt8 || t.dim() != static_cast<int64_t>(magic & 0xFF))) {
      ares::fuzz::finding("read_idx", "accepted a tensor of the wrong type or rank");
    }
  }
  return 0;
}
