#include "ares/data/audio.h"

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "ares/common/error.h"
#include "ares/data/dataset.h"
#include "ares/data/load.h"
#include "ares/data/mfcc.h"
#include "ares/data/sequence.h"

namespace ares::data {
namespace {

namespace fs = std::filesystem;

// Debian's pocketsphinx-testdata: 31 TIDIGITS utterances as Sphinx .mfc files.
const char* kTidigitsDir = "/usr/share/pocketsphinx/test/data/tidigits";

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("ares_audio_test_" + std::to_string(getpid()) + "_" + std::to_string(counter_++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
  static inline int counter_ = 0;
};

using Bytes = std::vector<unsigned char>;

void put16(Bytes& b, uint32_t v) {
  b.push_back(v & 0xFF);
  b.push_back((v >> 8) & 0xFF);
}
void put32(Bytes& b, uint32_t v) {
  for (int s = 0; s < 32; s += 8) b.push_back((v >> s) & 0xFF);
}
void put_tag(Bytes& b, const char* t) { b.insert(b.end(), t, t + 4); }
void set_tag(Bytes& b, size_t at, const char* t) {
  for (size_t i = 0; i < 4; ++i) b.at(at + i) = static_cast<unsigned char>(t[i]);
}

// A WAV file's bytes: RIFF header, a 'fmt ' chunk of `fmt_size` bytes, then `data`.
Bytes wav_bytes(uint16_t tag, uint16_t channels, uint32_t rate, uint16_t bits,
                const std::vector<int16_t>& samples, uint32_t fmt_size = 16) {
  Bytes b;
  put_tag(b, "RIFF");
  put32(b, 0);  // patched below
  put_tag(b, "WAVE");
  put_tag(b, "fmt ");
  put32(b, fmt_size);
  put16(b, tag);
  put16(b, channels);
  put32(b, rate);
  put32(b, rate * channels * bits / 8);
  put16(b, channels * bits / 8);
  put16(b, bits);
  for (uint32_t i = 16; i < fmt_size; ++i) b.push_back(0);
  put_tag(b, "data");
  put32(b, uint32_t(samples.size() * 2));
  for (int16_t s : samples) put16(b, uint16_t(s));
  uint32_t riff = uint32_t(b.size() - 8);
  std::memcpy(b.data() + 4, &riff, 4);
  return b;
}

void write_bytes(const std::string& path, const Bytes& b) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
}

// The message of the InputError `f` throws ("" when it throws none).
template <typename F>
std::string input_error(F f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

torch::Tensor tone(double hz, int64_t rate, int64_t n, double amp = 0.5) {
  auto t = torch::arange(n, torch::kFloat64) / double(rate);
  return (amp * torch::sin(2 * M_PI * hz * t)).to(torch::kFloat32);
}

TEST(WavTest, RoundTripsMonoPcm) {
  TempDir dir;
  auto x = tone(440, 22050, 1000);
  write_wav(dir / "a.wav", x, 22050);
  auto w = read_wav(dir / "a.wav");
  EXPECT_EQ(w.sample_rate, 22050);
  ASSERT_EQ(w.samples.numel(), 1000);
  EXPECT_LE((w.samples - x).abs().max().item<float>(), 1.0f / 32768);
}

TEST(WavTest, AveragesStereoAndSkipsOtherChunks) {
  TempDir dir;
  // Stereo frames (L, R): (1000, 3000), (-2000, 0).
  Bytes b = wav_bytes(1, 2, 8000, 16, {1000, 3000, -2000, 0});
  // A LIST chunk of odd size (padded to even) between fmt and data.
  Bytes list;
  put_tag(list, "LIST");
  put32(list, 3);
  list.insert(list.end(), {'a', 'b', 'c', 0});
  b.insert(b.begin() + 36, list.begin(), list.end());
  write_bytes(dir / "s.wav", b);
  auto w = read_wav(dir / "s.wav");
  EXPECT_EQ(w.sample_rate, 8000);
  ASSERT_EQ(w.samples.numel(), 2);
  EXPECT_FLOAT_EQ(w.samples[0].item<float>(), 2000.0f / 32768);
  EXPECT_FLOAT_EQ(w.samples[1].item<float>(), -1000.0f / 32768);
}

TEST(WavTest, AcceptsExtensiblePcm) {
  TempDir dir;
  Bytes b = wav_bytes(0xFFFE, 1, 16000, 16, {16384, -16384}, /*fmt_size=*/40);
  b[20 + 24] = 1;  // sub-format GUID starts with 0x0001 (PCM)
  write_bytes(dir / "e.wav", b);
  auto w = read_wav(dir / "e.wav");
  EXPECT_EQ(w.samples.numel(), 2);
  EXPECT_FLOAT_EQ(w.samples[0].item<float>(), 0.5f);
}

TEST(WavTest, BadFilesGiveOneClearErrorNamingTheFile) {
  TempDir dir;
  Bytes good = wav_bytes(1, 1, 16000, 16, {1, 2, 3, 4, 5, 6});
  std::map<std::string, std::pair<Bytes, std::string>> cases;
  cases["empty.wav"] = {{}, "truncated"};
  cases["short.wav"] = {Bytes(good.begin(), good.begin() + 30), "truncated"};
  cases["cut.wav"] = {Bytes(good.begin(), good.end() - 3), "truncated: chunk 'data'"};
  Bytes odd = good;
  odd[40] = 11;  // data size 11: not whole 2-byte frames
  odd.push_back(0);
  cases["odd.wav"] = {odd, "whole number"};
  Bytes mp3 = good;
  set_tag(mp3, 0, "ID3\x04");
  cases["mp3.wav"] = {mp3, "expected 'RIFF'"};
  Bytes avi = good;
  set_tag(avi, 8, "AVI ");
  cases["avi.wav"] = {avi, "'AVI '"};
  cases["u8.wav"] = {wav_bytes(1, 1, 16000, 8, {1, 2}), "8 bits"};
  cases["float.wav"] = {wav_bytes(3, 1, 16000, 32, {1, 2}), "IEEE float"};
  cases["alaw.wav"] = {wav_bytes(6, 1, 16000, 16, {1, 2}), "A-law"};
  cases["surround.wav"] = {wav_bytes(1, 6, 16000, 16, {1, 2, 3, 4, 5, 6}), "6 channels"};
  Bytes nodata(good.begin(), good.begin() + 36);
  cases["nodata.wav"] = {nodata, "no 'data' chunk"};
  for (const auto& [name, c] : cases) {
    SCOPED_TRACE(name);
    write_bytes(dir / name, c.first);
    std::string msg = input_error([&] { read_wav(dir / name); });
    EXPECT_NE(msg.find(dir / name), std::string::npos) << msg;
    EXPECT_NE(msg.find(c.second), std::string::npos) << msg;
  }
  std::string missing = input_error([&] { read_wav(dir / "none.wav"); });
  EXPECT_NE(missing.find("none.wav: no such file"), std::string::npos) << missing;
}

TEST(WavTest, LinearResamplingInterpolates) {
  auto ramp = torch::arange(100, torch::kFloat32);
  auto y = resample_linear(ramp, 22050, 16000);
  EXPECT_EQ(y.numel(), 99 * 16000 / 22050 + 1);
  // On a ramp, linear interpolation is exact: y[j] = j * 22050 / 16000.
  auto expected = torch::arange(y.numel(), torch::kFloat64) * (22050.0 / 16000.0);
  EXPECT_TRUE(torch::allclose(y.to(torch::kFloat64), expected, 0, 1e-4));
  EXPECT_TRUE(torch::equal(resample_linear(ramp, 8000, 8000), ramp));
  // Upsampling by 2 puts midpoints between samples.
  auto up = resample_linear(torch::tensor({0.0f, 1.0f, 3.0f}), 1, 2);
  EXPECT_TRUE(torch::equal(up, torch::tensor({0.0f, 0.5f, 1.0f, 2.0f, 3.0f})));
  EXPECT_THROW(resample_linear(ramp, 0, 16000), InputError);
}

TEST(WavTest, TrimDropsQuietEnds) {
  auto x = torch::zeros({100});
  x.slice(0, 20, 30).fill_(0.5);
  x[10] = 0.001f;  // 54 dB below the peak: trimmed at 40 dB
  x[60] = 0.01f;   // 34 dB below: kept
  auto t = trim_samples(x, 40);
  EXPECT_EQ(t.numel(), 41);  // samples 20 .. 60
  EXPECT_EQ(trim_samples(x, 0).numel(), 100);
  EXPECT_EQ(trim_samples(torch::zeros({5}), 40).numel(), 5);
}

TEST(MfccTest, FilterBankAndDctAreTorchaudios) {
  auto fb = mel_filterbank();
  ASSERT_EQ(fb.sizes(), (std::vector<int64_t>{257, 40}));
  EXPECT_GE(fb.min().item<float>(), 0.0f);
  EXPECT_LE(fb.max().item<float>(), 1.0f);
  // Every filter catches some bin; the first starts at 0 Hz, the last ends at 8 kHz.
  EXPECT_GT(fb.sum(0).min().item<float>(), 0.0f);
  EXPECT_EQ(fb[0][0].item<float>(), 0.0f);
  EXPECT_NEAR(fb[256][39].item<float>(), 0.0f, 1e-6);
  // Filter 0 peaks at mel(8000) / 41 = 69.3 mel = 44.4 Hz, rising from 0 Hz and falling to
  // 91.56 Hz: bin 1 (31.25 Hz) gets 31.25 / 44.374, bin 2 (62.5 Hz) 29.06 / 47.19.
  EXPECT_EQ(fb.select(1, 0).argmax().item<int64_t>(), 1);
  EXPECT_NEAR(fb[1][0].item<float>(), 0.704240, 1e-5);
  EXPECT_NEAR(fb[2][0].item<float>(), 0.615871, 1e-5);
  auto dct = dct_matrix(40, 40);
  EXPECT_TRUE(torch::allclose(dct.t().matmul(dct), torch::eye(40), 0, 1e-5));
  EXPECT_NEAR(dct[0][0].item<float>(), 1.0 / std::sqrt(40.0), 1e-7);
  EXPECT_THROW(dct_matrix(13, 40), InputError);
}

TEST(MfccTest, EqualsAFrameByFrameComputation) {
  torch::manual_seed(3);
  auto x = torch::randn({4321}) * 0.1 + tone(700, 16000, 4321);
  auto m = mfcc(x);
  // 1 + (4321 - 400) / 160 frames of 13.
  ASSERT_EQ(m.sizes(), (std::vector<int64_t>{25, 13}));
  // The same by hand: pre-emphasis, 400-sample Hann frames every 160, 512-point FFT.
  auto pre = torch::cat({x.slice(0, 0, 1), x.slice(0, 1) - 0.97f * x.slice(0, 0, -1)});
  auto frames = pre.unfold(0, 400, 160) * torch::hann_window(400, /*periodic=*/true);
  auto power = torch::fft::rfft(frames, 512).abs().pow(2);
  auto expected = torch::log(power.matmul(mel_filterbank()) + 1e-6).matmul(dct_matrix(40, 13));
  EXPECT_TRUE(torch::allclose(m, expected, 1e-4, 1e-3)) << (m - expected).abs().max();
  // A signal shorter than one window gives one frame.
  EXPECT_EQ(mfcc(torch::ones({100})).size(0), 1);
  EXPECT_THROW(mfcc(torch::ones({2, 100})), InputError);
  EXPECT_THROW(mfcc(x, MfccOptions().f_max(9000)), InputError);
}

TEST(MfccTest, NormaliseDeltasAndLength) {
  auto c = torch::stack({torch::arange(10, torch::kFloat32), torch::full({10}, 3.0f)}, 1);
  auto n = normalize_cepstra(c);
  EXPECT_NEAR(n.select(1, 0).mean().item<float>(), 0, 1e-6);
  EXPECT_NEAR(n.select(1, 0).std(/*unbiased=*/false).item<float>(), 1, 1e-5);
  EXPECT_TRUE(torch::equal(n.select(1, 1), torch::zeros({10})));  // a constant is only centred

  auto d = add_deltas(c);
  ASSERT_EQ(d.sizes(), (std::vector<int64_t>{10, 6}));
  EXPECT_TRUE(torch::equal(d.slice(1, 0, 2), c));
  // On a ramp the delta is its slope away from the edges and the delta-delta is 0 there.
  EXPECT_TRUE(torch::allclose(d.slice(0, 2, 8).select(1, 2), torch::ones({6})));
  EXPECT_TRUE(torch::allclose(d.slice(0, 4, 6).select(1, 4), torch::zeros({2})));
  EXPECT_TRUE(torch::equal(d.select(1, 3), torch::zeros({10})));
  // Edge frames repeated: d_0 = (1 * (c_1 - c_0) + 2 * (c_2 - c_0)) / 10 = 0.5.
  EXPECT_FLOAT_EQ(d[0][2].item<float>(), 0.5f);

  auto padded = fix_length(c, 13);
  ASSERT_EQ(padded.size(0), 13);
  EXPECT_TRUE(torch::equal(padded.slice(0, 0, 3), torch::zeros({3, 2})));
  EXPECT_TRUE(torch::equal(padded.slice(0, 3), c));
  EXPECT_TRUE(torch::equal(fix_length(c, 4), c.slice(0, 0, 4)));
}

TEST(AudioTest, LabelsFromFileNames) {
  const std::map<std::string, std::optional<int64_t>> cases = {
      {"7_m3_140_35.wav", 7},           // <d>_...
      {"dir/3_jackson_12.WAV", 3},      // FSDD naming, any case
      {"jackson_take3_7.wav", 7},       // ..._<d>
      {"man.ah.zb.mfc", 0},             // TIDIGITS: z = zero
      {"woman.ak.o69a.mfc", 0},         // o = oh
      {"man.ah.2934za.mfc", 2},         // first digit spoken
      {"111a.wav", 1},                  // TIDIGITS file in a speaker folder
      {"speaker1-seven.wav", 7},        // digit word before the first digit character
      {"Oh-alice.wav", 0},              // oh
      {"take9b.wav", 9},                // first digit character
      {"seventeen.wav", std::nullopt},  // not a digit word
      {"hello.wav", std::nullopt},
  };
  for (const auto& [name, label] : cases) {
    SCOPED_TRACE(name);
    EXPECT_EQ(label_from_name(name), label);
  }
}

// The transcript of every utterance of pocketsphinx-testdata's TIDIGITS subset, from its
// tidigits.lsn ("one one one (man.ah.111a)").
std::map<std::string, std::vector<std::string>> tidigits_transcripts() {
  std::map<std::string, std::vector<std::string>> out;
  std::ifstream in(std::string(kTidigitsDir) + "/tidigits.lsn");
  std::string line;
  while (std::getline(in, line)) {
    auto open = line.find('('), close = line.find(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    std::istringstream words(line.substr(0, open));
    std::vector<std::string> w;
    for (std::string s; words >> s;) w.push_back(s);
    out[line.substr(open + 1, close - open - 1)] = w;
  }
  return out;
}

TEST(AudioTest, ReadsRealTidigitsSphinxFeatures) {
  if (!fs::is_directory(kTidigitsDir)) GTEST_SKIP() << "pocketsphinx-testdata not installed";
  auto transcripts = tidigits_transcripts();
  ASSERT_EQ(transcripts.size(), 31u);
  const std::map<std::string, int64_t> kDigit = {
      {"zero", 0}, {"oh", 0},  {"one", 1},   {"two", 2},   {"three", 3}, {"four", 4},
      {"five", 5}, {"six", 6}, {"seven", 7}, {"eight", 8}, {"nine", 9}};
  int files = 0;
  for (const auto& e : fs::directory_iterator(kTidigitsDir)) {
    if (e.path().extension() != ".mfc") continue;
    SCOPED_TRACE(e.path().string());
    ++files;
    auto c = read_sphinx_mfc(e.path().string());
    // The header's count of floats fills the file: (size - 4) / 4 / 13 frames.
    EXPECT_EQ(c.size(0) * 13 * 4 + 4, int64_t(fs::file_size(e.path())));
    EXPECT_EQ(c.size(1), 13);
    EXPECT_TRUE(torch::isfinite(c).all().item<bool>());
    // Between 1 and 5 s of speech at 100 frames per second; c0 (log energy) varies.
    EXPECT_GT(c.size(0), 100);
    EXPECT_LT(c.size(0), 500);
    EXPECT_GT(c.select(1, 0).std().item<float>(), 0.1f);
    // The label from the name is the first word of the transcript.
    const auto& words = transcripts.at(e.path().stem().string());
    ASSERT_FALSE(words.empty());
    EXPECT_EQ(label_from_name(e.path().string()), kDigit.at(words[0]));
    EXPECT_EQ(words.size() + 2,
              e.path().stem().string().size() - e.path().stem().string().rfind('.'))
        << "one character per spoken digit, plus the take letter";
  }
  EXPECT_EQ(files, 31);

  auto ds = load_audio_folder(kTidigitsDir);
  ASSERT_EQ(ds.images.sizes(), (std::vector<int64_t>{31, 100, 39}));
  EXPECT_TRUE(torch::isfinite(ds.images).all().item<bool>());
  // Round-robin: labels 0..9 first (every digit starts some utterance here).
  EXPECT_TRUE(torch::equal(ds.labels.slice(0, 0, 10), torch::arange(10, torch::kInt64)));
}

TEST(AudioTest, BadSphinxFilesNameTheFile) {
  TempDir dir;
  auto be = [](std::vector<float> v, uint32_t count) {
    Bytes b = {uint8_t(count >> 24), uint8_t(count >> 16), uint8_t(count >> 8), uint8_t(count)};
    for (float f : v) {
      uint32_t u;
      std::memcpy(&u, &f, 4);
      for (int s = 24; s >= 0; s -= 8) b.push_back(uint8_t(u >> s));
    }
    return b;
  };
  std::vector<float> frames(26, 1.5f);
  write_bytes(dir / "ok.mfc", be(frames, 26));
  EXPECT_EQ(read_sphinx_mfc(dir / "ok.mfc").sizes(), (std::vector<int64_t>{2, 13}));
  // Little-endian files (count and values) are read too, as Sphinx does.
  Bytes le;
  put32(le, 13);
  for (int i = 0; i < 13; ++i) {
    float f = float(i);
    uint32_t u;
    std::memcpy(&u, &f, 4);
    put32(le, u);
  }
  write_bytes(dir / "le.mfc", le);
  EXPECT_FLOAT_EQ(read_sphinx_mfc(dir / "le.mfc")[0][12].item<float>(), 12.0f);

  std::vector<float> nan_frames(13, 0.0f);
  nan_frames[5] = std::nanf("");
  const std::map<std::string, std::pair<Bytes, std::string>> cases = {
      {"empty.mfc", {{}, "truncated"}},
      {"cut.mfc", {be(frames, 39), "header says 39 floats"}},
      {"ragged.mfc", {be(std::vector<float>(14, 0.f), 14), "whole number"}},
      {"zero.mfc", {be({}, 0), "no frames"}},
      {"nan.mfc", {be(nan_frames, 13), "value 5 (frame 0, cepstrum 5) is not finite"}},
  };
  for (const auto& [name, c] : cases) {
    SCOPED_TRACE(name);
    write_bytes(dir / name, c.first);
    std::string msg = input_error([&] { read_sphinx_mfc(dir / name); });
    EXPECT_NE(msg.find(dir / name), std::string::npos) << msg;
    EXPECT_NE(msg.find(c.second), std::string::npos) << msg;
  }
}

// A tiny spoken-digit folder: digit d is a tone at 300 + 150 d Hz with a silent tail.
void make_tones(const std::string& dir, const std::vector<std::string>& voices) {
  fs::create_directories(dir);
  for (const auto& v : voices) {
    for (int d = 0; d < 10; ++d) {
      auto x = torch::cat({tone(300 + 150 * d, 22050, 6000), torch::zeros({3000})});
      write_wav(dir + "/" + std::to_string(d) + "_" + v + ".wav", x, 22050);
    }
  }
}

TEST(AudioTest, LoadsASplitOfWavFoldersRoundRobin) {
  TempDir dir;
  make_tones(dir / "train", {"a", "b"});
  make_tones(dir / "test", {"c"});
  ASSERT_TRUE(is_audio_split_dir(dir.path().string()));
  EXPECT_FALSE(is_audio_split_dir(dir / "train"));
  auto s = load_dataset(dir.path().string());
  ASSERT_EQ(s.train.images.sizes(), (std::vector<int64_t>{20, 100, 39}));
  ASSERT_EQ(s.test.images.sizes(), (std::vector<int64_t>{10, 100, 39}));
  EXPECT_TRUE(torch::equal(s.train.labels.slice(0, 0, 10), torch::arange(10, torch::kInt64)));
  EXPECT_TRUE(torch::equal(s.train.labels.slice(0, 10), torch::arange(10, torch::kInt64)));
  EXPECT_EQ(s.test.name, dir.path().string());
  // 6000 tone samples at 22050 Hz -> about 4353 at 16 kHz once the silent tail (and the
  // leading zero) is trimmed -> 1 + (4353 - 400) / 160 = 25 frames, padded in front to 100.
  auto first = s.test.images[0];
  EXPECT_TRUE(torch::equal(first.slice(0, 0, 75), torch::zeros({75, 39})));
  EXPECT_GT(first[75].abs().sum().item<float>(), 0);
  // The same tones from two voices give the same features.
  EXPECT_TRUE(torch::allclose(s.train.images[0], s.train.images[10]));
  EXPECT_TRUE(torch::equal(load_dataset(dir.path().string(), true).test.images, s.test.images));
}

TEST(AudioTest, FolderErrorsNameTheFolderOrFile) {
  TempDir dir;
  make_tones(dir / "test", {"a"});
  std::string msg = input_error([&] { load_audio_split(dir.path().string(), false); });
  EXPECT_NE(msg.find("missing train/"), std::string::npos) << msg;
  write_wav(dir / "test/unnamed.wav", torch::zeros({500}), 16000);
  msg = input_error([&] { load_audio_folder(dir / "test"); });
  EXPECT_NE(msg.find("unnamed.wav: no digit label"), std::string::npos) << msg;
  fs::remove(dir / "test/unnamed.wav");
  write_bytes(dir / "test/3_x.mfc", Bytes{0, 0, 0, 13});
  msg = input_error([&] { load_audio_folder(dir / "test"); });
  EXPECT_NE(msg.find("both .wav (10) and .mfc (1)"), std::string::npos) << msg;
  fs::create_directories(dir / "empty");
  msg = input_error([&] { load_audio_folder(dir / "empty"); });
  EXPECT_NE(msg.find("no .wav or .mfc files"), std::string::npos) << msg;
}

TEST(AudioTest, RowSequentialImages) {
  TempDir dir;
  auto images = torch::randint(0, 256, {5, 28, 28}).to(torch::kUInt8);
  auto labels = torch::arange(5).to(torch::kUInt8);
  for (const char* prefix : {"train", "t10k"}) {
    write_idx(dir / (std::string(prefix) + "-images-idx3-ubyte"), images);
    write_idx(dir / (std::string(prefix) + "-labels-idx1-ubyte"), labels);
  }
  auto s = load_row_sequential(dir.path().string(), false, "toy-seq");
  ASSERT_EQ(s.train.images.sizes(), (std::vector<int64_t>{5, 28, 28}));
  EXPECT_TRUE(torch::equal(s.test.images, images.to(torch::kFloat32) / 255));
  EXPECT_EQ(s.test.name, "toy-seq");
  // Through load_dataset: a bare name ending in -seq.
  const char* old = std::getenv("ARES_DATA_DIR");
  std::string saved = old ? old : "";
  setenv("ARES_DATA_DIR", dir.path().parent_path().c_str(), 1);
  auto t = load_dataset(dir.path().filename().string() + "-seq", true);
  if (old) {
    setenv("ARES_DATA_DIR", saved.c_str(), 1);
  } else {
    unsetenv("ARES_DATA_DIR");
  }
  EXPECT_EQ(t.test.images.sizes(), (std::vector<int64_t>{5, 28, 28}));
  EXPECT_EQ(t.train.size(), 0);
}

}  // namespace
}  // namespace ares::data
