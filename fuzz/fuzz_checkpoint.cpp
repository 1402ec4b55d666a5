// Fuzzes the checkpoint reader (src/models/checkpoint.cpp).
//
// Every input is read twice: as it is, and with its FNV-1a hash appended, which gets past the
// hash check and lets the fuzzer reach the header, model and tensor parsing (the corpus holds
// both whole checkpoints and hash-less bodies). Inputs naming a large zoo model are skipped:
// building VGG-16 or ResNet-50 takes seconds and hundreds of MB, and tells nothing about the
// reader; the tiny models of tiny_models.h exercise the same paths.

#include <torch/torch.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "ares/models/checkpoint.h"
#include "fuzz_common.h"
#include "tiny_models.h"

namespace {

uint64_t fnv1a(const uint8_t* data, size_t size) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < size; ++i) {
    h ^= data[i];
    h *= 1099511628211ull;
  }
  return h;
}

bool names_large_model(const uint8_t* data, size_t size) {
  for (const char* name : {"vgg", "resnet", "mobilenet", "inception"}) {
    if (memmem(data, size, name, std::strlen(name))) return true;
  }
  return false;
}

void load(const uint8_t* data, size_t size) {
  ares::fuzz::MemFile file(data, size);
  ares::models::Loaded loaded;
  if (ares::fuzz::expect_input_error(
          "load_checkpoint", [&] { loaded = ares::models::load_checkpoint(file.path()); })) {
    if (!loaded.model || !loaded.meta.count("model") ||
        loaded.meta.at("model") != loaded.model->name()) {
      ares::fuzz::finding("load_checkpoint", "accepted a checkpoint without its model");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  torch::set_num_threads(1);
  ares::fuzz::register_tiny_models();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (names_large_model(data, size)) return -1;  // keep it out of the corpus
  load(data, size);
  std::vector<uint8_t> hashed(data, data + size);
  const uint64_t h = fnv1a(data, size);
  hashed.resize(size + 8);
  std::memcpy(hashed.data() + size, &h, 8);
  load(hashed.data(), hashed.size());
  return 0;
}
