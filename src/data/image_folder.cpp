#include "ares/data/image_folder.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "ares/common/error.h"

// The one translation unit holding stb_image's implementation. Only the decoders Ares
// documents; no HDR (float) images, no stdio (files are read here, so errors name them).
#define STB_IMAGE_IMPLEMENTATION
#define STBI_NO_STDIO
#define STBI_NO_HDR
#define STBI_NO_LINEAR
#define STBI_ONLY_JPEG
#define STBI_ONLY_PNG
#define STBI_ONLY_BMP
#define STBI_ONLY_PNM
#if defined(__GNUC__)
#pragma GCC diagnostic push
// Third-party code: its own style trips our warning flags.
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#endif
#include <stb/stb_image.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace ares::data {
namespace fs = std::filesystem;

namespace {

constexpr double kMean[3] = {0.485, 0.456, 0.406};
constexpr double kStd[3] = {0.229, 0.224, 0.225};
constexpr int64_t kMaxSize = 4096;
constexpr int kMaxSide = 32768;                    // decoded images, per side
constexpr int64_t kMaxPixels = int64_t{64} << 20;  // and in all

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// torchvision's IMG_EXTENSIONS: the first group is decoded, the second is refused by name so
// that a folder Ares would read differently from torchvision fails loudly.
bool is_image_name(const fs::path& p) {
  static const std::set<std::string> kDecoded = {".jpg", ".jpeg", ".png", ".bmp", ".ppm", ".pgm"};
  return kDecoded.count(lower(p.extension().string())) > 0;
}
bool is_unsupported_image_name(const fs::path& p) {
  static const std::set<std::string> kRefused = {".tif", ".tiff", ".webp"};
  return kRefused.count(lower(p.extension().string())) > 0;
}

bool is_dir(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}

bool hidden(const fs::path& p) {
  const std::string n = p.filename().string();
  return !n.empty() && n[0] == '.';
}

// Class folders directly under `dir`, sorted by name (byte order: Python's sorted()).
std::vector<std::string> class_folders(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (is_dir(it->path()) && !hidden(it->path())) names.push_back(it->path().filename().string());
  }
  ARES_CHECK(!ec, dir.string(), ": cannot list (", ec.message(), ")");
  std::sort(names.begin(), names.end());
  return names;
}

// Image files of one class in torchvision's order: sorted(os.walk(...)) by folder, then by
// file name within it. Refuses extensions torchvision reads but stb_image cannot.
std::vector<std::string> class_files(const fs::path& class_dir) {
  std::vector<std::pair<std::string, std::string>> files;  // (folder, name)
  std::error_code ec;
  const auto opts = fs::directory_options::follow_directory_symlink;
  for (fs::recursive_directory_iterator it(class_dir, opts, ec), end; !ec && it != end;
       it.increment(ec)) {
    const fs::path& p = it->path();
    if (is_dir(p)) continue;
    ARES_CHECK(!is_unsupported_image_name(p), p.string(),
               ": TIFF and WebP images cannot be decoded by Ares (stb_image); convert them to "
               "PNG or JPEG");
    if (is_image_name(p)) files.emplace_back(p.parent_path().string(), p.filename().string());
  }
  ARES_CHECK(!ec, class_dir.string(), ": cannot list (", ec.message(), ")");
  std::sort(files.begin(), files.end());
  std::vector<std::string> paths;
  paths.reserve(files.size());
  for (const auto& f : files) paths.push_back((fs::path(f.first) / f.second).string());
  return paths;
}

bool has_image_subfolder(const fs::path& dir) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!is_dir(it->path()) || hidden(it->path())) continue;
    std::error_code ec2;
    for (fs::directory_iterator f(it->path(), ec2), fend; !ec2 && f != fend; f.increment(ec2)) {
      if (is_image_name(f->path()) && !is_dir(f->path())) return true;
    }
  }
  return false;
}

bool looks_like_image_folder(const fs::path& dir) {
  std::error_code ec;
  return is_dir(dir) &&
         (fs::is_regular_file(dir / kClassIndexFile, ec) || has_image_subfolder(dir));
}

// The folder to read: `dir`, or `dir/val` when only that one looks like an image folder.
fs::path resolve(const fs::path& dir) {
  if (!looks_like_image_folder(dir) && looks_like_image_folder(dir / "val")) return dir / "val";
  return dir;
}

// The class names in label order: classes.txt when present, else the sorted folders.
std::vector<std::string> class_names(const fs::path& dir) {
  const fs::path index = dir / kClassIndexFile;
  std::error_code ec;
  std::vector<std::string> folders = class_folders(dir);
  if (!fs::exists(index, ec)) {
    ARES_CHECK(!folders.empty(), dir.string(),
               ": no class folders (expected DIR/<class>/<image files>, e.g. ImageNet's "
               "val/n01440764/*.JPEG)");
    return folders;
  }
  std::ifstream in(index);
  ARES_CHECK(in.is_open(), index.string(), ": cannot open");
  std::vector<std::string> names;
  std::map<std::string, int> line_of;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    std::istringstream words(line);
    std::string name;
    if (!(words >> name) || name[0] == '#') continue;
    ARES_CHECK(!line_of.count(name), index.string(), ": line ", n, ": class '", name,
               "' is already listed on line ", line_of[name]);
    ARES_CHECK(name.find('/') == std::string::npos && name != "." && name != "..", index.string(),
               ": line ", n, ": '", name, "' is not a folder name");
    ARES_CHECK(is_dir(dir / name), index.string(), ": line ", n, ": class '", name,
               "' has no folder ", (dir / name).string());
    line_of[name] = n;
    names.push_back(name);
  }
  ARES_CHECK(!names.empty(), index.string(), ": lists no class");
  for (const auto& f : folders) {
    ARES_CHECK(line_of.count(f) || class_files(dir / f).empty(), (dir / f).string(),
               ": holds images but is not listed in ", index.string());
  }
  return names;
}

int64_t env_int(const char* name, int64_t fallback, int64_t min) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  char* end = nullptr;
  errno = 0;
  const long long x = std::strtoll(v, &end, 10);
  ARES_CHECK(errno == 0 && end != v && *end == '\0' && x >= min, "$", name,
             ": expected an integer >= ", min, ", got '", v, "'");
  return static_cast<int64_t>(x);
}

// stb_image 2.27 (Debian's libstb-dev) trusts a JPEG huffman table's 16 code-length counts:
// when they add up to more than 256 symbols it writes past the table's arrays with bytes from
// the file (found by fuzz_image; stb_image 2.28 refuses such a table). Walk the file's
// segments the way stb_image does (fill bytes, resynchronising on the next 0xFF, entropy-coded
// data ending at the first 0xFF not followed by 0x00 or a restart marker) and refuse any
// huffman table stb_image would build with more than 256 symbols, before it sees the file.
void check_jpeg_huffman_tables(const std::string& bytes, const std::string& path) {
  const size_t n = bytes.size();
  // Past the end stb_image reads zeros: so does this walk.
  auto at = [&](size_t i) { return i < n ? static_cast<unsigned char>(bytes[i]) : 0u; };
  // SOI, after any number of 0xFF fill bytes (stb_image accepts those too)
  size_t i = 0;
  if (at(0) != 0xFF) return;
  while (i < n && at(i) == 0xFF) ++i;
  if (at(i++) != 0xD8) return;  // not a JPEG
  while (i < n) {
    if (at(i) != 0xFF) {  // not a marker: stb_image skips to the next 0xFF
      ++i;
      continue;
    }
    while (i < n && at(i) == 0xFF) ++i;  // fill bytes
    if (i >= n) return;
    const unsigned marker = at(i++);
    if (marker == 0xD9) return;  // EOI
    if (marker == 0x00 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) continue;
    const size_t length = (static_cast<size_t>(at(i)) << 8) | at(i + 1);
    if (marker == 0xC4) {  // DHT: tables follow until the length is used up, as stb reads it
      size_t p = i + 2;
      long left = static_cast<long>(length) - 2;
      while (left > 0) {  // at most 65533 / 17 tables
        size_t symbols = 0;
        for (size_t k = 1; k <= 16; ++k) symbols += at(p + k);
        ARES_CHECK(symbols <= 256, path, ": corrupt JPEG (a huffman table of ", symbols,
                   " symbols; at most 256)");
        p += 17 + symbols;
        left -= static_cast<long>(17 + symbols);
      }
    }
    if (length < 2 || i + length > n) return;  // stb_image stops here too
    i += length;
    if (marker == 0xDA) {  // SOS: skip the entropy-coded data
      while (i + 1 < n &&
             !(at(i) == 0xFF && at(i + 1) != 0x00 && !(at(i + 1) >= 0xD0 && at(i + 1) <= 0xD7)))
        ++i;
    }
  }
}

// stb_image 2.27 also mishandles 16-bit PGM/PPM (max value above 255): it converts the
// 16-bit samples with its 8-bit routine and then reads past that buffer (found by
// fuzz_image), and it parses the header's integers with signed overflow. Read the header
// as stb_image does and refuse both first; Ares documents 8-bit PGM/PPM only.
void check_pnm_header(const std::string& bytes, const std::string& path) {
  const size_t n = bytes.size();
  if (n < 2 || bytes[0] != 'P' || (bytes[1] != '5' && bytes[1] != '6')) return;
  size_t i = 2;
  auto space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
  };
  auto skip = [&] {  // whitespace and '#' comments to the end of the line
    for (;;) {
      while (i < n && space(bytes[i])) ++i;
      if (i >= n || bytes[i] != '#') return;
      while (i < n && bytes[i] != '\n' && bytes[i] != '\r') ++i;
    }
  };
  auto integer = [&](const char* what) {
    int64_t value = 0;
    size_t digits = 0;
    for (; i < n && bytes[i] >= '0' && bytes[i] <= '9'; ++i) {
      ARES_CHECK(++digits <= 9, path, ": corrupt PGM/PPM header (", what, " too large)");
      value = value * 10 + (bytes[i] - '0');
    }
    return value;
  };
  skip();
  const int64_t width = integer("width");
  skip();
  const int64_t height = integer("height");
  skip();
  const int64_t max_value = integer("max value");
  ARES_CHECK(max_value <= 255, path, ": 16-bit PGM/PPM (max value ", max_value,
             ") is not supported; use 8-bit samples");
  // stb_image 2.27 leaves the pixels of a truncated file uninitialised: refuse it. The
  // samples start one (whitespace) byte after the max value.
  const int64_t need = width * height * (bytes[1] == '6' ? 3 : 1);
  const int64_t have = static_cast<int64_t>(n) - static_cast<int64_t>(i) - 1;
  ARES_CHECK(have >= need, path, ": truncated PGM/PPM (", width, " x ", height, " needs ", need,
             " bytes of samples, the file holds ", have < 0 ? 0 : have, ")");
}

// stb_image 2.27 grows its buffer for a PNG's image data to the length a chunk claims
// (doubling, up to 2 GiB) before it reads the chunk. A chunk must fit in the file.
void check_png_chunks(const std::string& bytes, const std::string& path) {
  static const char kSignature[] = "\x89PNG\r\n\x1a\n";
  if (bytes.compare(0, 8, kSignature, 8) != 0) return;
  auto at = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])); };
  size_t i = 8;
  while (i + 8 <= bytes.size()) {
    const uint64_t length = (at(i) << 24) | (at(i + 1) << 16) | (at(i + 2) << 8) | at(i + 3);
    const std::string type = bytes.substr(i + 4, 4);
    const uint64_t left = bytes.size() - i - 8;
    ARES_CHECK(length + 4 <= left, path, ": truncated or corrupt PNG (chunk '", type, "' claims ",
               length, " bytes, the file holds ", left < 4 ? 0 : left - 4, ")");
    if (type == "IEND") return;
    i += 12 + length;
  }
}

}  // namespace

int64_t resize_for_crop(int64_t size) {
  ARES_CHECK(size >= 1 && size <= kMaxSize, "image size must be in 1..", kMaxSize, ", got ", size);
  return static_cast<int64_t>(std::lround(static_cast<double>(size) * 256.0 / 224.0));
}

torch::Tensor preprocess_image(const torch::Tensor& rgb, int64_t size) {
  ARES_CHECK(rgb.defined() && rgb.scalar_type() == torch::kUInt8 && rgb.dim() == 3 &&
                 rgb.size(2) == 3 && rgb.size(0) > 0 && rgb.size(1) > 0,
             "preprocess_image: expected uint8 H x W x 3, got ",
             rgb.defined() ? rgb.sizes() : c10::IntArrayRef{});
  const int64_t r = resize_for_crop(size);
  const int64_t h = rgb.size(0), w = rgb.size(1);
  // torchvision: new_long = int(requested_short * long / short); the int product is exact and
  // the one division correctly rounded in Python and here alike.
  int64_t new_h = r, new_w = r;
  if (w <= h) {
    new_h = static_cast<int64_t>(static_cast<double>(r * h) / static_cast<double>(w));
  } else {
    new_w = static_cast<int64_t>(static_cast<double>(r * w) / static_cast<double>(h));
  }
  namespace F = torch::nn::functional;
  auto x = rgb.permute({2, 0, 1}).unsqueeze(0).to(torch::kFloat32);
  // torchvision's tensor path: resize in float, round and cast back to uint8. Antialiasing
  // (LibTorch's _upsample_bilinear2d_aa) is what brings a tensor resize close to PIL's, which
  // torchvision uses for image files.
  x = F::interpolate(x, F::InterpolateFuncOptions()
                            .size(std::vector<int64_t>{new_h, new_w})
                            .mode(torch::kBilinear)
                            .align_corners(false)
                            .antialias(true));
  x = torch::round(x).clamp(0, 255).to(torch::kUInt8);
  ARES_CHECK(new_h >= size && new_w >= size, "image of ", h, " x ", w, " resized to ", new_h, " x ",
             new_w, " is smaller than the ", size, " x ", size, " crop");
  // Python's round() rounds half to even: so does nearbyint in the default rounding mode.
  const auto top = static_cast<int64_t>(std::nearbyint(static_cast<double>(new_h - size) / 2.0));
  const auto left = static_cast<int64_t>(std::nearbyint(static_cast<double>(new_w - size) / 2.0));
  x = x.squeeze(0).slice(1, top, top + size).slice(2, left, left + size);
  auto out = x.to(torch::kFloat32).div(255.0);
  auto mean = torch::tensor({kMean[0], kMean[1], kMean[2]}, torch::kFloat32).view({3, 1, 1});
  auto stdev = torch::tensor({kStd[0], kStd[1], kStd[2]}, torch::kFloat32).view({3, 1, 1});
  return out.sub_(mean).div_(stdev).contiguous();
}

torch::Tensor decode_image(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  ARES_CHECK(in.is_open(), path, ": cannot open image");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ARES_CHECK(!in.bad(), path, ": read failed");
  ARES_CHECK(!bytes.empty(), path, ": empty file, expected an image");
  ARES_CHECK(bytes.size() <= static_cast<size_t>(INT32_MAX), path, ": file too large");
  check_jpeg_huffman_tables(bytes, path);
  check_pnm_header(bytes, path);
  check_png_chunks(bytes, path);
  int w = 0, h = 0, channels = 0;
  // A header may claim any size, and stb_image reads zeros past a truncated file: bound the
  // decoded image (192 MiB of RGB) before allocating it.
  if (stbi_info_from_memory(reinterpret_cast<const stbi_uc*>(bytes.data()),
                            static_cast<int>(bytes.size()), &w, &h, &channels) == 1) {
    ARES_CHECK(w >= 1 && h >= 1 && w <= kMaxSide && h <= kMaxSide &&
                   static_cast<int64_t>(w) * h <= kMaxPixels,
               path, ": image of ", w, " x ", h, " is too large (at most ", kMaxSide,
               " pixels a side and ", kMaxPixels >> 20, " megapixels)");
  }
  std::unique_ptr<stbi_uc, void (*)(void*)> pixels(
      stbi_load_from_memory(reinterpret_cast<const stbi_uc*>(bytes.data()),
                            static_cast<int>(bytes.size()), &w, &h, &channels, /*req_comp=*/3),
      stbi_image_free);
  ARES_CHECK(pixels != nullptr, path, ": cannot decode image (", stbi_failure_reason(),
             "; expected a complete JPEG, PNG, BMP, PPM or PGM file)");
  return torch::from_blob(pixels.get(), {h, w, 3}, torch::kUInt8).clone();
}

Dataset load_image_folder(const std::string& dir, int64_t size, int64_t limit) {
  resize_for_crop(size);  // validates size before any work
  ARES_CHECK(limit >= 0, "image folder limit must be >= 0, got ", limit);
  ARES_CHECK(is_dir(dir), dir, ": no such directory");
  const fs::path root = resolve(dir);
  const std::vector<std::string> classes = class_names(root);

  std::vector<std::vector<std::string>> files(classes.size());
  size_t longest = 0;
  for (size_t c = 0; c < classes.size(); ++c) {
    files[c] = class_files(root / classes[c]);
    ARES_CHECK(!files[c].empty(), (root / classes[c]).string(),
               ": class folder holds no image (.jpg, .jpeg, .png, .bmp, .ppm, .pgm)");
    longest = std::max(longest, files[c].size());
  }
  // Round-robin over the classes, so every prefix is balanced.
  std::vector<std::pair<std::string, int64_t>> samples;
  for (size_t i = 0; i < longest; ++i) {
    for (size_t c = 0; c < classes.size(); ++c) {
      if (i < files[c].size()) samples.emplace_back(files[c][i], static_cast<int64_t>(c));
    }
  }
  if (limit > 0 && static_cast<size_t>(limit) < samples.size()) samples.resize(limit);

  const auto n = static_cast<int64_t>(samples.size());
  Dataset ds;
  ds.images = torch::empty({n, 3, size, size}, torch::kFloat32);
  ds.labels = torch::empty({n}, torch::kInt64);
  for (int64_t i = 0; i < n; ++i) ds.labels[i] = samples[i].second;
  // Each image is independent; at::parallel_for rethrows the first error on this thread.
  at::parallel_for(0, n, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const auto& path = samples[i].first;
      torch::Tensor img;
      try {
        img = preprocess_image(decode_image(path), size);
      } catch (const InputError& e) {
        const std::string what = e.what();
        // preprocess errors do not know the file; decode errors already name it.
        if (what.rfind(path, 0) == 0) throw;
        throw InputError(detail::concat(path, ": ", what));
      }
      ds.images[i].copy_(img);
    }
  });
  ds.name = dir;
  ds.source = root.string();
  ds.num_classes = static_cast<int64_t>(classes.size());
  return ds;
}

bool is_image_folder(const std::string& dir) {
  try {
    for (const char* idx : {"t10k-images-idx3-ubyte", "train-images-idx3-ubyte"}) {
      std::error_code ec;
      const fs::path p = fs::path(dir) / idx;
      if (fs::exists(p, ec) || fs::exists(p.string() + ".gz", ec)) return false;
    }
    return looks_like_image_folder(dir) || looks_like_image_folder(fs::path(dir) / "val");
  } catch (...) {
    return false;
  }
}

Split load_image_folder_split(const std::string& dir, bool test_only, const std::string& name) {
  ARES_CHECK(test_only, dir,
             ": an image folder is an evaluation set only (no training split); train on "
             "another dataset or bring trained weights (docs/imagenet.md)");
  const int64_t size = env_int("ARES_IMAGE_SIZE", 224, 1);
  const int64_t limit = env_int("ARES_IMAGE_LIMIT", 0, 0);
  Split s;
  s.test = load_image_folder(dir, size, limit);
  if (!name.empty()) s.test.name = name;
  return s;
}

}  // namespace ares::data
