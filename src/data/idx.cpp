#include <zlib.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <vector>

#include "ares/common/error.h"
#include "ares/common/text.h"
#include "ares/data/dataset.h"

namespace ares::data {
namespace fs = std::filesystem;

namespace {

struct GzCloser {
  void operator()(gzFile_s* f) const {
    if (f) gzclose(f);
  }
};
using GzFile = std::unique_ptr<gzFile_s, GzCloser>;

// Reads exactly n bytes or throws naming the file; gzread also reads plain files.
void read_exact(gzFile f, const std::string& path, void* dst, size_t n, const char* what) {
  size_t done = 0;
  auto* p = static_cast<unsigned char*>(dst);
  while (done < n) {
    unsigned chunk = static_cast<unsigned>(std::min<size_t>(n - done, 1u << 30));
    int got = gzread(f, p + done, chunk);
    if (got < 0) {
      int err = 0;
      const char* msg = gzerror(f, &err);
      throw InputError(path + ": corrupt file while reading " + what + " (" + msg + ")");
    }
    if (got == 0) {
      throw InputError(path + ": truncated: " + what + " needs " + std::to_string(n) +
                       " bytes, file ends after " + std::to_string(done));
    }
    done += static_cast<size_t>(got);
  }
}

uint32_t big_endian(const unsigned char* b) {
  return (uint32_t(b[0]) << 24) | (uint32_t(b[1]) << 16) | (uint32_t(b[2]) << 8) | uint32_t(b[3]);
}

std::string hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08X", v);
  return buf;
}

}  // namespace

torch::Tensor read_idx(const std::string& path, uint32_t expected_magic) {
  ARES_CHECK(fs::is_regular_file(path), path, ": no such file");
  GzFile f(gzopen(path.c_str(), "rb"));
  ARES_CHECK(f, path, ": cannot open");
  unsigned char head[4];
  read_exact(f.get(), path, head, 4, "the header");
  uint32_t magic = big_endian(head);
  ARES_CHECK(magic == expected_magic, path, ": expected magic ", hex(expected_magic), ", got ",
             hex(magic));
  int ndim = head[3];
  std::vector<int64_t> dims(ndim);
  int64_t total = 1;
  for (int d = 0; d < ndim; ++d) {
    unsigned char b[4];
    read_exact(f.get(), path, b, 4, "the dimensions");
    dims[d] = big_endian(b);
    ARES_CHECK(dims[d] > 0 && dims[d] < (int64_t(1) << 31), path, ": dimension ", d, " is ",
               dims[d]);
    // Checked before multiplying: the product of four 31-bit dimensions overflows int64.
    constexpr int64_t kMaxBytes = int64_t(1) << 34;
    ARES_CHECK(total <= kMaxBytes / dims[d], path, ": implausible size (dimensions ",
               c10::IntArrayRef(dims.data(), d + 1), " exceed 16 GiB)");
    total *= dims[d];
  }
  // Read in chunks before allocating the whole: a truncated file claiming gigabytes fails on
  // its missing bytes, not on an allocation of what its header claims.
  std::vector<uint8_t> bytes;
  constexpr size_t kChunk = size_t(64) << 20;
  while (bytes.size() < size_t(total)) {
    size_t n = std::min(kChunk, size_t(total) - bytes.size()), at = bytes.size();
    bytes.resize(at + n);
    read_exact(f.get(), path, bytes.data() + at, n, "the data");
  }
  auto out = torch::empty(dims, torch::kUInt8);
  if (total > 0) std::memcpy(out.data_ptr<uint8_t>(), bytes.data(), size_t(total));
  unsigned char extra;
  int more = gzread(f.get(), &extra, 1);
  ARES_CHECK(more == 0, path, ": trailing bytes after ", total, " data bytes");
  return out;
}

void write_idx(const std::string& path, const torch::Tensor& data) {
  ARES_CHECK(data.scalar_type() == torch::kUInt8, path, ": write_idx needs uint8 data");
  auto t = data.contiguous();
  bool gz = has_suffix(path, ".gz");
  GzFile f(gzopen(path.c_str(), gz ? "wb6" : "wbT"));
  ARES_CHECK(f, path, ": cannot open for writing");
  std::vector<unsigned char> head = {0, 0, 8, static_cast<unsigned char>(t.dim())};
  for (int64_t d : t.sizes()) {
    for (int s = 24; s >= 0; s -= 8) head.push_back(static_cast<unsigned char>((d >> s) & 0xFF));
  }
  bool ok = gzwrite(f.get(), head.data(), static_cast<unsigned>(head.size())) ==
            static_cast<int>(head.size());
  if (t.numel() > 0) {
    ok = ok && gzwrite(f.get(), t.data_ptr<uint8_t>(), static_cast<unsigned>(t.numel())) ==
                   static_cast<int>(t.numel());
  }
  ARES_CHECK(ok, path, ": write failed");
}

std::vector<std::string> search_dirs(const std::string& name) {
  std::vector<std::string> dirs;
  if (const char* d = std::getenv("ARES_DATA_DIR"); d && *d) dirs.push_back(fs::path(d) / name);
  std::string cache;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) {
    cache = x;
  } else if (const char* h = std::getenv("HOME"); h && *h) {
    cache = fs::path(h) / ".cache";
  }
  if (!cache.empty()) dirs.push_back(fs::path(cache) / "ares" / "data" / name);
  dirs.push_back(fs::path("/usr/share/datasets") / name);
  return dirs;
}

namespace {

std::string find_file(const fs::path& dir, const std::string& stem) {
  for (const char* ext : {"", ".gz"}) {
    fs::path p = dir / (stem + ext);
    if (fs::is_regular_file(p)) return p.string();
  }
  throw InputError(dir.string() + ": missing " + stem + " (or " + stem + ".gz)");
}

Dataset load_pair(const fs::path& dir, const std::string& prefix, const std::string& name) {
  std::string ipath = find_file(dir, prefix + "-images-idx3-ubyte");
  std::string lpath = find_file(dir, prefix + "-labels-idx1-ubyte");
  auto images = read_idx(ipath, 0x00000803);
  auto labels = read_idx(lpath, 0x00000801);
  ARES_CHECK(images.dim() == 3, ipath, ": expected 3 dimensions (N x H x W), got ", images.dim());
  ARES_CHECK(labels.dim() == 1, lpath, ": expected 1 dimension, got ", labels.dim());
  ARES_CHECK(images.size(0) == labels.size(0), ipath, " holds ", images.size(0), " images but ",
             lpath, " holds ", labels.size(0), " labels");
  auto lab = labels.to(torch::kInt64);
  int64_t max_label = lab.numel() ? lab.max().item<int64_t>() : 0;
  ARES_CHECK(max_label < 10, lpath, ": label ", max_label, " out of range 0..9");
  Dataset ds;
  ds.images = images.to(torch::kFloat32).div_(255.0f).unsqueeze(1).contiguous();
  ds.labels = lab;
  ds.name = name;
  ds.source = dir.string();
  return ds;
}

}  // namespace

Split load_mnist_like(const std::string& name_or_dir, bool test_only) {
  fs::path dir;
  std::vector<std::string> tried;
  if (fs::is_directory(name_or_dir)) {
    dir = name_or_dir;
  } else {
    ARES_CHECK(name_or_dir.find('/') == std::string::npos, name_or_dir, ": no such directory");
    for (const auto& d : search_dirs(name_or_dir)) {
      tried.push_back(d);
      if (fs::is_directory(d)) {
        dir = d;
        break;
      }
    }
    if (dir.empty()) {
      std::string list;
      for (const auto& t : tried) list += (list.empty() ? "" : ", ") + t;
      throw InputError("dataset '" + name_or_dir + "' not found; looked in " + list +
                       " (run scripts/setup.sh, or set ARES_DATA_DIR, or pass a directory)");
    }
  }
  Split s;
  s.test = load_pair(dir, "t10k", name_or_dir);
  if (!test_only) s.train = load_pair(dir, "train", name_or_dir);
  return s;
}

}  // namespace ares::data
