#include "ares/data/cifar.h"

#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include "ares/common/error.h"

namespace ares::data {
namespace fs = std::filesystem;

namespace {

constexpr int64_t kImageBytes = int64_t{3} * 32 * 32;
constexpr int64_t kRecordBytes = 1 + kImageBytes;
constexpr int kNumClasses = 10;
constexpr const char* kSubdir = "cifar-10-batches-bin";
constexpr const char* kTestFile = "test_batch.bin";
constexpr const char* kDownload =
    "the CIFAR-10 binary version, cifar-10-binary.tar.gz, from "
    "https://www.cs.toronto.edu/~kriz/cifar.html";

std::vector<std::string> train_files() {
  std::vector<std::string> files;
  for (int b = 1; b <= 5; ++b) files.push_back("data_batch_" + std::to_string(b) + ".bin");
  return files;
}

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

bool is_dir(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}

// The official archive unpacks into cifar-10-batches-bin/, so accept that one level down, but
// only when the directory itself holds none of the batch files (then the files are wanted here).
fs::path files_dir(const fs::path& dir) {
  std::vector<std::string> all = train_files();
  all.push_back(kTestFile);
  for (const auto& f : all) {
    if (is_file(dir / f)) return dir;
  }
  if (is_dir(dir / kSubdir)) return dir / kSubdir;
  return dir;
}

// Reads one batch file whole: records are fixed-size, so the file size fixes the count.
void read_batch(const std::string& path, torch::Tensor& images, torch::Tensor& labels) {
  std::error_code ec;
  const uintmax_t size = fs::file_size(path, ec);
  ARES_CHECK(!ec, path, ": cannot read (", ec.message(), ")");
  ARES_CHECK(size > 0, path, ": empty file, expected 3073-byte CIFAR-10 records");
  ARES_CHECK(size % kRecordBytes == 0, path, ": size ", size, " is not a multiple of the ",
             kRecordBytes, "-byte CIFAR-10 record");
  const int64_t n = static_cast<int64_t>(size / kRecordBytes);

  std::ifstream in(path, std::ios::binary);
  ARES_CHECK(in.is_open(), path, ": cannot open");
  auto raw = torch::empty({n, kRecordBytes}, torch::kUInt8);
  in.read(reinterpret_cast<char*>(raw.data_ptr<uint8_t>()), static_cast<std::streamsize>(size));
  ARES_CHECK(in.gcount() == static_cast<std::streamsize>(size), path, ": read ", in.gcount(),
             " of ", size, " bytes");

  const uint8_t* p = raw.data_ptr<uint8_t>();
  for (int64_t r = 0; r < n; ++r) {
    const int label = p[r * kRecordBytes];
    // Records count from 0: record r starts at byte r * 3073.
    ARES_CHECK(label < kNumClasses, path, ": record ", r, " has label ", label, ", expected 0..",
               kNumClasses - 1);
  }
  labels = raw.select(1, 0).to(torch::kInt64);
  images = raw.slice(1, 1).reshape({n, 3, 32, 32}).to(torch::kFloat32).div_(255.0f).contiguous();
}

Dataset load_files(const fs::path& dir, const std::vector<std::string>& files,
                   const std::string& name) {
  std::vector<torch::Tensor> images, labels;
  for (const auto& f : files) {
    torch::Tensor im, lab;
    read_batch((dir / f).string(), im, lab);
    images.push_back(im);
    labels.push_back(lab);
  }
  Dataset ds;
  ds.images = images.size() == 1 ? images[0] : torch::cat(images, 0);
  ds.labels = labels.size() == 1 ? labels[0] : torch::cat(labels, 0);
  ds.name = name;
  ds.source = dir.string();
  ds.num_classes = kNumClasses;
  return ds;
}

// Directories for a name. "cifar10" and "cifar-10" are one dataset under two spellings; the
// spellings alternate within each location so that $ARES_DATA_DIR still comes first.
std::vector<std::string> candidate_dirs(const std::string& name) {
  if (name != "cifar10" && name != "cifar-10") return search_dirs(name);
  const auto a = search_dirs("cifar-10");
  const auto b = search_dirs("cifar10");
  std::vector<std::string> dirs;
  for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    if (i < a.size()) dirs.push_back(a[i]);
    if (i < b.size()) dirs.push_back(b[i]);
  }
  return dirs;
}

}  // namespace

bool is_cifar10_dir(const std::string& dir) {
  return is_file(fs::path(dir) / kTestFile) || is_file(fs::path(dir) / kSubdir / kTestFile);
}

Split load_cifar10(const std::string& name_or_dir, bool test_only) {
  fs::path dir;
  if (is_dir(name_or_dir)) {
    dir = name_or_dir;
  } else {
    ARES_CHECK(name_or_dir.find('/') == std::string::npos, name_or_dir, ": no such directory");
    const auto tried = candidate_dirs(name_or_dir);
    // Prefer a directory that holds the data; else the first that exists, whose missing files
    // the error below then lists.
    for (const auto& d : tried) {
      if (is_cifar10_dir(d)) {
        dir = d;
        break;
      }
    }
    for (const auto& d : tried) {
      if (dir.empty() && is_dir(d)) dir = d;
    }
    if (dir.empty()) {
      std::string list;
      for (const auto& t : tried) list += (list.empty() ? "" : ", ") + t;
      throw InputError("dataset '" + name_or_dir + "' not found; looked in " + list +
                       " (download " + kDownload + ", and unpack it into one of them)");
    }
  }
  dir = files_dir(dir);

  const std::vector<std::string> train = test_only ? std::vector<std::string>{} : train_files();
  std::string missing;
  for (const auto& f : train) {
    if (!is_file(dir / f)) missing += (missing.empty() ? "" : ", ") + (dir / f).string();
  }
  if (!is_file(dir / kTestFile)) {
    missing += (missing.empty() ? "" : ", ") + (dir / kTestFile).string();
  }
  ARES_CHECK(missing.empty(), "missing CIFAR-10 files: ", missing, " (expected ",
             test_only ? "" : "data_batch_1.bin .. data_batch_5.bin and ", kTestFile, "; download ",
             kDownload, ")");

  Split s;
  s.test = load_files(dir, {kTestFile}, name_or_dir);
  if (!test_only) s.train = load_files(dir, train, name_or_dir);
  return s;
}

void write_cifar10_batch(const std::string& path, const torch::Tensor& images_uint8,
                         const torch::Tensor& labels) {
  ARES_CHECK(images_uint8.defined() && images_uint8.scalar_type() == torch::kUInt8, path,
             ": write_cifar10_batch needs uint8 images");
  ARES_CHECK(images_uint8.dim() == 4 && images_uint8.size(1) == 3 && images_uint8.size(2) == 32 &&
                 images_uint8.size(3) == 32,
             path, ": expected images N x 3 x 32 x 32, got ", images_uint8.sizes());
  const int64_t n = images_uint8.size(0);
  ARES_CHECK(n > 0, path, ": expected at least one image, got 0 (readers reject empty files)");
  ARES_CHECK(labels.defined() && c10::isIntegralType(labels.scalar_type(), /*includeBool=*/false),
             path, ": expected integer labels, got ",
             labels.defined() ? c10::toString(labels.scalar_type()) : "an undefined tensor");
  ARES_CHECK(labels.dim() == 1 && labels.size(0) == n, path, ": expected ", n,
             " labels (one per image), got shape ", labels.sizes());
  const auto lab = labels.cpu().to(torch::kInt64);
  const int64_t lo = lab.min().item<int64_t>(), hi = lab.max().item<int64_t>();
  ARES_CHECK(lo >= 0 && hi < kNumClasses, path, ": labels must be in 0..", kNumClasses - 1,
             ", got ", lo < 0 ? lo : hi);

  const auto records =
      torch::cat(
          {lab.to(torch::kUInt8).reshape({n, 1}), images_uint8.cpu().reshape({n, kImageBytes})}, 1)
          .contiguous();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  ARES_CHECK(out.is_open(), path, ": cannot open for writing");
  out.write(reinterpret_cast<const char*>(records.data_ptr<uint8_t>()),
            static_cast<std::streamsize>(records.numel()));
  out.close();
  ARES_CHECK(out.good(), path, ": write failed");
}

}  // namespace ares::data
