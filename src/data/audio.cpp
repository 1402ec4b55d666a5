#include "ares/data/audio.h"

#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>
#include <utility>
#include <vector>

#include "ares/common/error.h"

namespace ares::data {
namespace fs = std::filesystem;

namespace {

std::vector<unsigned char> read_bytes(const std::string& path) {
  std::error_code ec;
  ARES_CHECK(fs::is_regular_file(path, ec), path, ": no such file");
  std::ifstream in(path, std::ios::binary);
  ARES_CHECK(in, path, ": cannot open");
  std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)),
                                   std::istreambuf_iterator<char>());
  ARES_CHECK(!in.bad(), path, ": read failed");
  return bytes;
}

uint32_t le32(const unsigned char* b) {
  return uint32_t(b[0]) | (uint32_t(b[1]) << 8) | (uint32_t(b[2]) << 16) | (uint32_t(b[3]) << 24);
}
uint16_t le16(const unsigned char* b) { return uint16_t(b[0] | (b[1] << 8)); }
uint32_t be32(const unsigned char* b) {
  return (uint32_t(b[0]) << 24) | (uint32_t(b[1]) << 16) | (uint32_t(b[2]) << 8) | uint32_t(b[3]);
}

// A chunk id as text when printable, else as hex bytes: for messages.
std::string fourcc(const unsigned char* b) {
  bool printable = std::all_of(b, b + 4, [](unsigned char c) { return c >= 32 && c < 127; });
  if (printable) return "'" + std::string(reinterpret_cast<const char*>(b), 4) + "'";
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%02X%02X%02X%02X", b[0], b[1], b[2], b[3]);
  return buf;
}

std::string format_name(uint16_t tag) {
  switch (tag) {
    case 1:
      return "PCM";
    case 3:
      return "IEEE float";
    case 6:
      return "A-law";
    case 7:
      return "mu-law";
    case 0x11:
      return "IMA ADPCM";
    case 0x55:
      return "MP3";
    default:
      return "format tag " + std::to_string(tag);
  }
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

enum class Kind { kNone, kWav, kMfc };

Kind kind_of(const fs::path& p) {
  std::string ext = lower(p.extension().string());
  if (ext == ".wav") return Kind::kWav;
  if (ext == ".mfc") return Kind::kMfc;
  return Kind::kNone;
}

struct Listing {
  std::vector<std::string> files;  // sorted by path
  Kind kind = Kind::kNone;
};

// Every .wav or .mfc file under `dir`, sorted; refuses a mixture of the two.
Listing list_audio(const fs::path& dir) {
  std::error_code ec;
  ARES_CHECK(fs::is_directory(dir, ec), dir.string(), ": no such directory");
  Listing out;
  std::vector<std::string> wav, mfc;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
  ARES_CHECK(!ec, dir.string(), ": cannot list (", ec.message(), ")");
  for (; it != end; it.increment(ec)) {
    ARES_CHECK(!ec, dir.string(), ": cannot list (", ec.message(), ")");
    if (!it->is_regular_file(ec)) continue;
    switch (kind_of(it->path())) {
      case Kind::kWav:
        wav.push_back(it->path().string());
        break;
      case Kind::kMfc:
        mfc.push_back(it->path().string());
        break;
      case Kind::kNone:
        break;
    }
  }
  ARES_CHECK(!(wav.empty() && mfc.empty()), dir.string(), ": no .wav or .mfc files");
  ARES_CHECK(wav.empty() || mfc.empty(), dir.string(), ": holds both .wav (", wav.size(),
             ") and .mfc (", mfc.size(), ") files; their features differ, keep one kind");
  out.kind = wav.empty() ? Kind::kMfc : Kind::kWav;
  out.files = wav.empty() ? std::move(mfc) : std::move(wav);
  std::sort(out.files.begin(), out.files.end());
  return out;
}

std::optional<int64_t> digit_word(const std::string& w) {
  static const std::array<const char*, 10> kWords = {"zero", "one", "two",   "three", "four",
                                                     "five", "six", "seven", "eight", "nine"};
  if (w == "oh") return 0;
  for (size_t d = 0; d < kWords.size(); ++d) {
    if (w == kWords[d]) return int64_t(d);
  }
  return std::nullopt;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

Waveform read_wav(const std::string& path) {
  auto b = read_bytes(path);
  const size_t n = b.size();
  ARES_CHECK(n >= 12, path, ": truncated: a WAV file starts with a 12-byte RIFF header, the file ",
             "has ", n, " bytes");
  ARES_CHECK(std::memcmp(b.data(), "RIFF", 4) == 0, path, ": not a WAV file: expected 'RIFF', got ",
             fourcc(b.data()),
             std::memcmp(b.data(), "RIFX", 4) == 0 ? " (big-endian WAV is not supported)" : "");
  ARES_CHECK(std::memcmp(b.data() + 8, "WAVE", 4) == 0, path,
             ": not a WAV file: expected RIFF form 'WAVE', got ", fourcc(b.data() + 8));
  bool have_fmt = false;
  uint16_t tag = 0, channels = 0, block_align = 0, bits = 0;
  uint32_t rate = 0;
  size_t data_at = 0, data_size = 0;
  bool have_data = false;
  size_t pos = 12;
  while (!have_data) {
    ARES_CHECK(pos + 8 <= n, path, ": truncated: ",
               have_fmt ? "no 'data' chunk before the end of the file"
                        : "no 'fmt ' chunk before the end of the file");
    const unsigned char* id = b.data() + pos;
    const size_t size = le32(b.data() + pos + 4);
    const size_t body = pos + 8;
    ARES_CHECK(size <= n - body, path, ": truncated: chunk ", fourcc(id), " at byte ", pos,
               " declares ", size, " bytes, the file holds ", n - body, " after its header");
    if (std::memcmp(id, "fmt ", 4) == 0) {
      ARES_CHECK(size >= 16, path, ": corrupt 'fmt ' chunk: ", size, " bytes, expected >= 16");
      tag = le16(b.data() + body);
      channels = le16(b.data() + body + 2);
      rate = le32(b.data() + body + 4);
      block_align = le16(b.data() + body + 12);
      bits = le16(b.data() + body + 14);
      // WAVE_FORMAT_EXTENSIBLE: the real format is the sub-format GUID's first two bytes.
      if (tag == 0xFFFE && size >= 40) tag = le16(b.data() + body + 24);
      have_fmt = true;
    } else if (std::memcmp(id, "data", 4) == 0) {
      ARES_CHECK(have_fmt, path, ": corrupt: 'data' chunk before the 'fmt ' chunk");
      data_at = body;
      data_size = size;
      have_data = true;
    }
    pos = body + size + (size & 1);  // chunks are padded to an even size
  }
  ARES_CHECK(tag == 1, path, ": unsupported WAV format ", format_name(tag),
             ", expected 16-bit PCM");
  ARES_CHECK(bits == 16, path, ": unsupported WAV sample size ", bits,
             " bits, expected 16-bit PCM");
  ARES_CHECK(channels == 1 || channels == 2, path, ": unsupported WAV with ", channels,
             " channels, expected mono or stereo");
  ARES_CHECK(rate >= 1, path, ": corrupt 'fmt ' chunk: sample rate 0");
  ARES_CHECK(block_align == channels * 2, path, ": corrupt 'fmt ' chunk: block align ", block_align,
             ", expected ", channels * 2, " for ", channels, " channel(s) of 16 bits");
  ARES_CHECK(data_size % block_align == 0, path, ": truncated: ", data_size,
             " data bytes is not a whole number of ", block_align, "-byte frames");
  const int64_t frames = int64_t(data_size / block_align);
  auto samples = torch::empty({frames}, torch::kFloat32);
  float* out = samples.data_ptr<float>();
  const unsigned char* in = b.data() + data_at;
  for (int64_t i = 0; i < frames; ++i) {
    float sum = 0;
    for (int c = 0; c < channels; ++c) {
      sum += float(int16_t(le16(in + (i * channels + c) * 2)));
    }
    out[i] = sum / (32768.0f * float(channels));
  }
  return {samples, int64_t(rate)};
}

void write_wav(const std::string& path, const torch::Tensor& samples, int64_t sample_rate) {
  ARES_CHECK(samples.dim() == 1 && samples.is_floating_point(), path,
             ": write_wav needs 1-D float samples, got ", samples.sizes(), " ",
             samples.scalar_type());
  ARES_CHECK(sample_rate >= 1 && sample_rate <= 0x7FFFFFFF / 2, path, ": bad sample rate ",
             sample_rate);
  auto pcm = (samples.to(torch::kFloat64).clamp(-1.0, 1.0) * 32767.0)
                 .round()
                 .to(torch::kInt16)
                 .contiguous();
  const uint32_t data_size = uint32_t(pcm.numel() * 2);
  std::vector<unsigned char> h;
  auto put32 = [&h](uint32_t v) {
    for (int s = 0; s < 32; s += 8) h.push_back(static_cast<unsigned char>((v >> s) & 0xFF));
  };
  auto put16 = [&h](uint16_t v) {
    h.push_back(static_cast<unsigned char>(v & 0xFF));
    h.push_back(static_cast<unsigned char>(v >> 8));
  };
  auto tag = [&h](const char* s) { h.insert(h.end(), s, s + 4); };
  tag("RIFF");
  put32(36 + data_size);
  tag("WAVE");
  tag("fmt ");
  put32(16);
  put16(1);  // PCM
  put16(1);  // mono
  put32(uint32_t(sample_rate));
  put32(uint32_t(sample_rate * 2));
  put16(2);
  put16(16);
  tag("data");
  put32(data_size);
  const int16_t* p = pcm.data_ptr<int16_t>();
  for (int64_t i = 0; i < pcm.numel(); ++i) put16(uint16_t(p[i]));
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  ARES_CHECK(out, path, ": cannot open for writing");
  out.write(reinterpret_cast<const char*>(h.data()), std::streamsize(h.size()));
  out.close();
  ARES_CHECK(out, path, ": write failed");
}

torch::Tensor resample_linear(const torch::Tensor& samples, int64_t from_rate, int64_t to_rate) {
  ARES_CHECK(from_rate >= 1 && to_rate >= 1, "resample: rates must be >= 1, got ", from_rate,
             " and ", to_rate);
  ARES_CHECK(samples.dim() == 1, "resample: expected 1-D samples, got ", samples.sizes());
  auto x = samples.to(torch::kFloat32).contiguous();
  const int64_t n = x.numel();
  if (from_rate == to_rate || n == 0) return x;
  const int64_t m = (n - 1) * to_rate / from_rate + 1;
  auto y = torch::empty({m}, torch::kFloat32);
  const float* xp = x.data_ptr<float>();
  float* yp = y.data_ptr<float>();
  for (int64_t j = 0; j < m; ++j) {
    // Position j * from / to in input samples, as an integer part and an exact remainder.
    const int64_t num = j * from_rate;
    const int64_t i = num / to_rate, rem = num % to_rate;
    yp[j] = rem == 0 ? xp[i] : xp[i] + (xp[i + 1] - xp[i]) * float(double(rem) / double(to_rate));
  }
  return y;
}

torch::Tensor trim_samples(const torch::Tensor& samples, double db) {
  ARES_CHECK(samples.dim() == 1, "trim: expected 1-D samples, got ", samples.sizes());
  if (db <= 0 || samples.numel() == 0) return samples;
  auto mag = samples.abs();
  const double peak = mag.max().item<double>();
  if (peak <= 0) return samples;
  auto loud = torch::nonzero(mag >= peak * std::pow(10.0, -db / 20.0)).flatten();
  const int64_t first = loud[0].item<int64_t>(), last = loud[-1].item<int64_t>();
  return samples.slice(0, first, last + 1);
}

torch::Tensor read_sphinx_mfc(const std::string& path, int64_t ceps) {
  ARES_CHECK(ceps >= 1, path, ": cepstra per frame must be >= 1, got ", ceps);
  auto b = read_bytes(path);
  const size_t n = b.size();
  ARES_CHECK(n >= 4, path, ": truncated: a Sphinx feature file starts with a 4-byte count, the ",
             "file has ", n, " bytes");
  const uint64_t count_be = be32(b.data()), count_le = le32(b.data());
  const uint64_t payload = n - 4;
  bool big = count_be * 4 == payload;
  ARES_CHECK(big || count_le * 4 == payload, path, ": header says ", count_be,
             " floats (big-endian), i.e. ", count_be * 4, " bytes, but the file holds ", payload,
             " bytes after it (truncated or not a Sphinx .mfc file)");
  const uint64_t count = big ? count_be : count_le;
  ARES_CHECK(count > 0, path, ": no frames (header count 0)");
  ARES_CHECK(count % uint64_t(ceps) == 0, path, ": ", count, " values is not a whole number of ",
             ceps, "-cepstrum frames");
  auto out = torch::empty({int64_t(count / ceps), ceps}, torch::kFloat32);
  float* p = out.data_ptr<float>();
  for (uint64_t i = 0; i < count; ++i) {
    const unsigned char* q = b.data() + 4 + 4 * i;
    uint32_t bits = big ? be32(q) : le32(q);
    float v;
    std::memcpy(&v, &bits, sizeof v);
    ARES_CHECK(std::isfinite(v), path, ": value ", i, " (frame ", i / ceps, ", cepstrum ", i % ceps,
               ") is not finite");
    p[i] = v;
  }
  return out;
}

std::optional<int64_t> label_from_name(const std::string& file_name) {
  const std::string s = lower(fs::path(file_name).stem().string());
  const size_t n = s.size();
  if (n >= 2 && is_digit(s[0]) && s[1] == '_') return s[0] - '0';
  if (n >= 2 && is_digit(s[n - 1]) && s[n - 2] == '_') return s[n - 1] - '0';
  // TIDIGITS: "<digits spoken>a" or "...b", z = zero and o = oh, in the last '.' part.
  const std::string last = s.substr(s.rfind('.') == std::string::npos ? 0 : s.rfind('.') + 1);
  if (last.size() >= 2 && (last.back() == 'a' || last.back() == 'b') &&
      std::all_of(last.begin(), last.end() - 1,
                  [](char c) { return is_digit(c) || c == 'z' || c == 'o'; })) {
    return is_digit(last[0]) ? last[0] - '0' : 0;
  }
  for (size_t i = 0; i < n;) {
    if (!std::isalpha(static_cast<unsigned char>(s[i]))) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < n && std::isalpha(static_cast<unsigned char>(s[j]))) ++j;
    if (auto d = digit_word(s.substr(i, j - i))) return d;
    i = j;
  }
  for (char c : s) {
    if (is_digit(c)) return c - '0';
  }
  return std::nullopt;
}

torch::Tensor audio_features(const std::string& path, const AudioFeatureOptions& o) {
  ARES_CHECK(o.frames_ >= 1, "audio features: frames must be >= 1, got ", o.frames_);
  torch::NoGradGuard no_grad;
  torch::Tensor cepstra;
  switch (kind_of(path)) {
    case Kind::kWav: {
      auto w = read_wav(path);
      ARES_CHECK(w.samples.numel() > 0, path, ": holds no samples");
      auto x =
          trim_samples(resample_linear(w.samples, w.sample_rate, o.mfcc_.sample_rate_), o.trim_db_);
      cepstra = mfcc(x, o.mfcc_);
      break;
    }
    case Kind::kMfc:
      cepstra = read_sphinx_mfc(path, o.mfcc_.num_ceps_);
      break;
    case Kind::kNone:
      throw InputError(path + ": not an audio file (expected .wav or .mfc)");
  }
  auto f = normalize_cepstra(cepstra);
  if (o.deltas_) f = add_deltas(f);
  return fix_length(f, o.frames_);
}

Dataset load_audio_folder(const std::string& dir, const AudioFeatureOptions& o) {
  auto listing = list_audio(dir);
  std::vector<std::vector<size_t>> by_label(10);
  for (size_t i = 0; i < listing.files.size(); ++i) {
    auto label = label_from_name(listing.files[i]);
    ARES_CHECK(label, listing.files[i], ": no digit label in the file name (name it ",
               "<digit>_....wav, ..._<digit>.wav, or with a digit word; see docs/sequences.md)");
    by_label[size_t(*label)].push_back(i);
  }
  // Round-robin over the labels, so that every prefix of the set is balanced.
  std::vector<size_t> order;
  std::vector<int64_t> labels;
  for (size_t k = 0; order.size() < listing.files.size(); ++k) {
    for (size_t d = 0; d < by_label.size(); ++d) {
      if (k < by_label[d].size()) {
        order.push_back(by_label[d][k]);
        labels.push_back(int64_t(d));
      }
    }
  }
  std::vector<torch::Tensor> features;
  features.reserve(order.size());
  for (size_t i : order) features.push_back(audio_features(listing.files[i], o));
  Dataset ds;
  ds.images = torch::stack(features);
  ds.labels = torch::tensor(labels, torch::kInt64);
  ds.name = dir;
  ds.source = dir;
  ds.num_classes = 10;
  return ds;
}

bool is_audio_split_dir(const std::string& dir) {
  try {
    std::error_code ec;
    fs::path test = fs::path(dir) / "test";
    if (!fs::is_directory(test, ec)) return false;
    fs::recursive_directory_iterator it(test, fs::directory_options::skip_permission_denied, ec),
        end;
    for (; !ec && it != end; it.increment(ec)) {
      if (kind_of(it->path()) != Kind::kNone && it->is_regular_file(ec)) return true;
    }
  } catch (const std::exception&) {
  }
  return false;
}

Split load_audio_split(const std::string& dir, bool test_only, const std::string& name) {
  const fs::path root(dir);
  const std::string ds_name = name.empty() ? dir : name;
  std::error_code ec;
  Split s;
  s.test = load_audio_folder((root / "test").string());
  s.test.name = ds_name;
  if (!test_only) {
    ARES_CHECK(fs::is_directory(root / "train", ec), dir, ": missing train/ (a spoken-digit ",
               "dataset holds train/ and test/ folders of .wav or .mfc files)");
    const Kind train_kind = list_audio(root / "train").kind;
    const Kind test_kind = list_audio(root / "test").kind;
    ARES_CHECK(train_kind == test_kind, dir, ": train/ holds ",
               train_kind == Kind::kWav ? ".wav" : ".mfc", " files but test/ holds ",
               test_kind == Kind::kWav ? ".wav" : ".mfc", " files");
    s.train = load_audio_folder((root / "train").string());
    s.train.name = ds_name;
  }
  return s;
}

Split load_spoken_digits(bool test_only) {
  std::string tried;
  for (const auto& d : search_dirs(kSpokenDigits)) {
    std::error_code ec;
    if (fs::is_directory(d, ec)) return load_audio_split(d, test_only, kSpokenDigits);
    tried += (tried.empty() ? "" : ", ") + d;
  }
  throw InputError(std::string("dataset '") + kSpokenDigits + "' not found; looked in " + tried +
                   " (generate it: scripts/make_spoken_digits.sh ~/.cache/ares/data/" +
                   kSpokenDigits + ")");
}

}  // namespace ares::data
