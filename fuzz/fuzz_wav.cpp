// Fuzzes the WAV reader and the spoken-digit feature pipeline (src/data/audio.cpp,
// src/data/mfcc.cpp): the input is read with read_wav, then as DIR/x.wav by audio_features
// (resampling to 16 kHz, end-pointing, MFCC, deltas, fixed length), as a dataset file is.

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
    ares::data::Waveform w;
    if (ares::fuzz::expect_input_error("read_wav",
                                       [&] { w = ares::data::read_wav(file.path()); }) &&
        (w.samples.dim() != 1 || w.sample_rate < 1)) {
      ares::fuzz::finding("read_wav", "accepted a waveform that breaks its contract");
    }
  }
  const auto path = ares::fuzz::scratch_dir() / "x.wav";
  ares::fuzz::write_file(path, data, size);
  torch::Tensor f;
  if (ares::fuzz::expect_input_error("audio_features(.wav)",
                                     [&] { f = ares::data::audio_features(path.string()); }) &&
      f.sizes() != torch::IntArrayRef({100, 39})) {
    ares::fuzz::finding("audio_features(.wav)", "features are not 100 x 39");
  }
  return 0;
}
