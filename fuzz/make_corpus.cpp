// Writes the seed corpora of every fuzz target into OUT/<target>/ (scripts/fuzz.sh
// --regen-corpus; the result is committed as fuzz/corpus/). Deterministic: the same bytes on
// every run, so regenerating shows no spurious change.
//
//   make_corpus OUT

#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "ares/campaign/spec.h"
#include "ares/data/audio.h"
#include "ares/data/cifar.h"
#include "ares/data/dataset.h"
#include "ares/models/checkpoint.h"
#include "ares/models/registry.h"
#include "tiny_models.h"

// stb's image writer (header-only, Debian's libstb-dev), for the image seeds; the reader's
// implementation lives in src/data/image_folder.cpp.
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_WRITE_NO_STDIO
#include <stb/stb_image_write.h>

namespace fs = std::filesystem;

namespace {

fs::path g_out;

void put(const std::string& target, const std::string& name, const std::string& bytes) {
  fs::create_directories(g_out / target);
  std::ofstream out(g_out / target / name, std::ios::binary | std::ios::trunc);
  out << bytes;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string u32le(uint32_t v) { return std::string(reinterpret_cast<const char*>(&v), 4); }

// A deterministic uint8 tensor (no RNG: values from the index).
torch::Tensor pattern(std::vector<int64_t> shape, int mod) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return (torch::arange(n, torch::kInt64).mul(37).add(11).remainder(mod))
      .to(torch::kUInt8)
      .reshape(shape);
}

void idx_seeds(const fs::path& tmp) {
  const auto images = pattern({2, 4, 4}, 256);
  const auto labels = pattern({2}, 10);
  ares::data::write_idx((tmp / "i").string(), images);
  ares::data::write_idx((tmp / "l").string(), labels);
  ares::data::write_idx((tmp / "i.gz").string(), images);
  ares::data::write_idx((tmp / "l.gz").string(), labels);
  const std::string i = slurp(tmp / "i"), l = slurp(tmp / "l");
  put("fuzz_idx", "images_2x4x4", i);
  put("fuzz_idx", "labels_2", l);
  put("fuzz_idx", "images_2x4x4_gz", slurp(tmp / "i.gz"));
  put("fuzz_idx", "labels_2_gz", slurp(tmp / "l.gz"));
  put("fuzz_idx", "pair_2", "PAIR" + u32le(static_cast<uint32_t>(i.size())) + i + l);
  const std::string igz = slurp(tmp / "i.gz");
  put("fuzz_idx", "pair_2_gz",
      "PAIR" + u32le(static_cast<uint32_t>(igz.size())) + igz + slurp(tmp / "l.gz"));
}

void cifar_seeds(const fs::path& tmp) {
  for (int n : {1, 2}) {
    const auto p = (tmp / ("c" + std::to_string(n))).string();
    ares::data::write_cifar10_batch(p, pattern({n, 3, 32, 32}, 256), pattern({n}, 10));
    put("fuzz_cifar", "records_" + std::to_string(n), slurp(p));
  }
}

void checkpoint_seeds(const fs::path& tmp) {
  ares::fuzz::register_tiny_models();
  torch::manual_seed(1);
  for (const char* name : {"fuzz_fc", "fuzz_bn"}) {
    const auto p = (tmp / name).string();
    ares::models::save_checkpoint(p, *ares::models::create(name),
                                  {{"dataset", "none"}, {"seed", "1"}});
    const std::string bytes = slurp(p);
    put("fuzz_checkpoint", std::string(name) + ".ckpt", bytes);
    // Without its hash: the fuzz target appends one, so mutations get past the check.
    put("fuzz_checkpoint", std::string(name) + ".body", bytes.substr(0, bytes.size() - 8));
  }
}

std::string le16(uint16_t v) { return std::string(reinterpret_cast<const char*>(&v), 2); }

std::string be32(uint32_t v) {
  const char b[4] = {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
  return std::string(b, 4);
}

void audio_seeds(const fs::path& tmp) {
  // 0.1 s of a 440 Hz tone at 8 kHz (so the reader resamples), mono 16-bit PCM.
  const auto t = torch::arange(800, torch::kFloat64).div(8000.0);
  const auto tone = torch::sin(t.mul(2 * M_PI * 440.0)).mul(0.5);
  ares::data::write_wav((tmp / "tone.wav").string(), tone, 8000);
  const std::string mono = slurp(tmp / "tone.wav");
  put("fuzz_wav", "mono_8k", mono);
  // The same as stereo with an extra LIST chunk before "fmt " (both must be handled).
  std::string body = "WAVE";
  body += "LIST" + u32le(4) + "INFO";
  body += "fmt " + u32le(16) + le16(1) + le16(2) + u32le(16000) + u32le(64000) + le16(4) + le16(16);
  const std::string pcm = mono.substr(44, 400);  // 200 mono samples
  std::string stereo;
  for (size_t i = 0; i < pcm.size(); i += 2) stereo += pcm.substr(i, 2) + pcm.substr(i, 2);
  body += "data" + u32le(static_cast<uint32_t>(stereo.size())) + stereo;
  put("fuzz_wav", "stereo_16k_list", "RIFF" + u32le(static_cast<uint32_t>(body.size())) + body);

  // Sphinx cepstra: 4 frames x 13, big-endian (Sphinx's own order) and little-endian.
  std::string be = be32(52), le = u32le(52);
  for (int i = 0; i < 52; ++i) {
    const float v = static_cast<float>((i * 7 % 13) - 6) * 0.25f;
    uint32_t bits;
    std::memcpy(&bits, &v, 4);
    be += be32(bits);
    le += u32le(bits);
  }
  put("fuzz_mfc", "frames_4_be", be);
  put("fuzz_mfc", "frames_4_le", le);
}

void write_to_string(void* context, void* data, int size) {
  static_cast<std::string*>(context)->append(static_cast<const char*>(data), size);
}

void image_seeds() {
  // A 6 x 4 RGB gradient and its grey version, in every format the decoder reads.
  const int w = 6, h = 4;
  std::vector<unsigned char> rgb(w * h * 3), grey(w * h);
  for (int i = 0; i < w * h; ++i) {
    rgb[3 * i] = static_cast<unsigned char>(40 * (i % w));
    rgb[3 * i + 1] = static_cast<unsigned char>(60 * (i / w));
    rgb[3 * i + 2] = static_cast<unsigned char>(255 - 10 * i);
    grey[i] = static_cast<unsigned char>(10 * i);
  }
  std::string png, jpg, bmp, grey_png;
  stbi_write_png_to_func(write_to_string, &png, w, h, 3, rgb.data(), w * 3);
  stbi_write_png_to_func(write_to_string, &grey_png, w, h, 1, grey.data(), w);
  stbi_write_jpg_to_func(write_to_string, &jpg, w, h, 3, rgb.data(), 90);
  stbi_write_bmp_to_func(write_to_string, &bmp, w, h, 3, rgb.data());
  put("fuzz_image", "rgb.png", png);
  put("fuzz_image", "grey.png", grey_png);
  put("fuzz_image", "rgb.jpg", jpg);
  put("fuzz_image", "rgb.bmp", bmp);
  put("fuzz_image", "rgb.ppm",
      "P6\n6 4\n255\n" + std::string(reinterpret_cast<const char*>(rgb.data()), rgb.size()));
  put("fuzz_image", "grey.pgm",
      "P5\n6 4\n255\n" + std::string(reinterpret_cast<const char*>(grey.data()), grey.size()));
}

void text_seeds() {
  int i = 0;
  for (const char* s : {"q2.6-2c",          "q2.6-sm",    "Q16.16-SM", "q1.0-2c", "q32.0-2c",
                        "q1.31-sm",         "fp32",       "fp16",      "bf16",    "fp8-e4m3",
                        "FP8-E5M2-nosat",   "fp6-e2m3",   "fp4-e2m1",  "e8m0",    "int8-ch",
                        "int4-ch-asym-s16", "mxfp8-e4m3", "mxfp4",     "af8-e4",  "af6-e3-bias0"}) {
    put("fuzz_format_spec", "seed_" + std::to_string(i++), s);
  }
  i = 0;
  for (const char* s : {"none", "sign", "msb:2", "lsb:3", "mask:0x80", "bits:0,7,31"}) {
    put("fuzz_protection_spec", "seed_" + std::to_string(i++), s);
  }
  i = 0;
  for (const char* s :
       {"flip", "stuck0", "stuck1", "signflip", "zero", "uniform", "gaussian", "gaussian:0.25"}) {
    put("fuzz_fault_model_spec", "seed_" + std::to_string(i++), s);
  }
  put("fuzz_toml_spec", "integration",
      "# tiny campaign\n[campaign]\nformats = [\"q2.6-2c\", \"q2.6-sm\", \"q2.6-2c+sign\"]\n"
      "bers = [1e-5, 1e-4, 1e-3, 1e-2]\ntrials = 4\nthreads = 1\n");
  put("fuzz_toml_spec", "every_key",
      "[campaign]\ncheckpoint = ['a.ckpt', 'b.ckpt']\nformats = [\"q4.4-sm\"]\n"
      "protections = [\"none\", \"msb:2\"]\nber_min = 1e-7\nber_max = 1e-2\nber_points = 6\n"
      "fault_model = \"gaussian:0.5\"\nsite = \"act:fc1\"\ntrials = 3\nseed = 7\n"
      "targets = [\"fc1.*\", \"*.bias\"]\nsemantics = \"exact\"\ndataset = \"mnist\"\n"
      "eval_limit = 100\nbatch = 64\ncache_mb = 16\nengine = \"reference\"\n"
      "levels = [1, 5]\nout = \"results/x\"  # trailing comment\n");
  ares::campaign::CampaignSpec spec;
  spec.checkpoints = {"a.ckpt", "b.ckpt"};
  spec.configs = ares::campaign::parse_configs({"q2.6-2c", "fp16+sign"}, {"none"});
  spec.bers = ares::campaign::log_grid(1e-6, 1e-3, 4);
  put("fuzz_stored_spec", "default", spec.to_text());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_corpus OUT\n");
    return 2;
  }
  g_out = argv[1];
  const fs::path tmp = g_out / ".tmp";
  fs::create_directories(tmp);
  idx_seeds(tmp);
  cifar_seeds(tmp);
  checkpoint_seeds(tmp);
  audio_seeds(tmp);
  image_seeds();
  text_seeds();
  fs::remove_all(tmp);
  return 0;
}
