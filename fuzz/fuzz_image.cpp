// Fuzzes the image decoder (src/data/image_folder.cpp: stb_image for JPEG, PNG, BMP, PPM/PGM)
// and, on what it decodes, the evaluation preprocessing at a small crop.

#include <torch/torch.h>

#include <cstdint>

#include "ares/data/image_folder.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  torch::set_num_threads(1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ares::fuzz::MemFile file(data, size);
  torch::Tensor rgb;
  if (!ares::fuzz::expect_input_error("decode_image",
                                      [&] { rgb = ares::data::decode_image(file.path()); })) {
    return 0;
  }
  if (rgb.dim() != 3 || rgb.size(2) != 3 || rgb.scalar_type() != torch::kUInt8) {
    ares::fuzz::finding("decode_image", "decoded image is not uint8 H x W x 3");
  }
  torch::Tensor x;
  if (ares::fuzz::expect_input_error("preprocess_image",
                                     [&] { x = ares::data::preprocess_image(rgb, 8); }) &&
      x.sizes() != torch::IntArrayRef({3, 8, 8})) {
    ares::fuzz::finding("preprocess_image", "output is not 3 x 8 x 8");
  }
  return 0;
}
