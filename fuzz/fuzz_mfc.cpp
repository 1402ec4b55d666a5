// Fuzzes the Sphinx feature (.mfc) reader (src/data/audio.cpp): the input is read with
// read_sphinx_mfc, then as DIR/x.mfc by audio_features (normalisation, deltas, fixed length).

#include <torch/torch.h>

#include <cstdint>

#include "ares/data/audio.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  torch::set_num_threads(1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  {
    ares::fuzz::MemFile file(data, size);
    torch::Tensor c;
    if (ares::fuzz::expect_input_error("read_sphinx_mfc",
                                       [&] { c = ares::data::read_sphinx_mfc(file.path()); }) &&
        (c.dim() != 2 || c.size(1) != 13 || !torch::isfinite(c).all().item<bool>())) {
      ares::fuzz::finding("read_sphinx_mfc", "accepted cepstra that break its contract");
    }
  }
  const auto path = ares::fuzz::scratch_dir() / "x.mfc";
  ares::fuzz::write_file(path, data, size);
  torch::Tensor f;
  if (ares::fuzz::expect_input_error("audio_features(.mfc)",
                                     [&] { f = ares::data::audio_features(path.string()); }) &&
      f.sizes() != torch::IntArrayRef({100, 39})) {
    ares::fuzz::finding("audio_features(.mfc)", "features are not 100 x 39");
  }
  return 0;
}
