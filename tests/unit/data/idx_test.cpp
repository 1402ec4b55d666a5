#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "../expect_input_error.h"
#include "ares/common/error.h"
#include "ares/data/dataset.h"

namespace ares::data {
namespace {

namespace fs = std::filesystem;

constexpr uint32_t kImagesMagic = 0x00000803;
constexpr uint32_t kLabelsMagic = 0x00000801;

// A fresh directory under gtest's temp dir, removed when the fixture ends.
class IdxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) /
           ("ares_idx_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
};

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

torch::Tensor random_u8(std::vector<int64_t> shape, int64_t high = 256) {
  return torch::randint(0, high, shape, torch::kInt64).to(torch::kUInt8);
}

// Runs `f`, expects an ares::InputError whose message contains every string in `parts`.
using ares::testing::expect_input_error;

// Writes an MNIST-like test split (and optionally a training split) into `dir`.
void write_split(const fs::path& dir, const std::string& prefix, const torch::Tensor& images,
                 const torch::Tensor& labels, bool gz = false) {
  const std::string ext = gz ? ".gz" : "";
  write_idx((dir / (prefix + "-images-idx3-ubyte" + ext)).string(), images);
  write_idx((dir / (prefix + "-labels-idx1-ubyte" + ext)).string(), labels);
}

TEST_F(IdxTest, RoundTripPlainAndGzip) {
  torch::manual_seed(1);
  for (bool gz : {false, true}) {
    SCOPED_TRACE(gz ? "gzip" : "plain");
    const auto images = random_u8({7, 5, 3});
    const auto labels = random_u8({7}, 10);
    const std::string ip = path(gz ? "img.gz" : "img"), lp = path(gz ? "lab.gz" : "lab");
    write_idx(ip, images);
    write_idx(lp, labels);
    const auto ri = read_idx(ip, kImagesMagic);
    const auto rl = read_idx(lp, kLabelsMagic);
    EXPECT_EQ(ri.scalar_type(), torch::kUInt8);
    EXPECT_EQ(ri.sizes().vec(), (std::vector<int64_t>{7, 5, 3}));
    EXPECT_EQ(rl.sizes().vec(), (std::vector<int64_t>{7}));
    EXPECT_TRUE(torch::equal(ri, images));
    EXPECT_TRUE(torch::equal(rl, labels));
  }
}

TEST_F(IdxTest, PlainFileLayoutIsBigEndianHeaderThenData) {
  auto t = torch::arange(6, torch::kInt64).to(torch::kUInt8).reshape({2, 3});
  write_idx(path("a"), t);
  const std::string b = read_bytes(path("a"));
  const std::string expected =
      std::string("\0\0\x08\x02\0\0\0\x02\0\0\0\x03", 12) + std::string("\0\1\2\3\4\5", 6);
  EXPECT_EQ(b, expected);
  // A 2-D tensor has magic 0x00000802.
  EXPECT_TRUE(torch::equal(read_idx(path("a"), 0x00000802), t));
}

TEST_F(IdxTest, NonContiguousInputIsWrittenInLogicalOrder) {
  auto t = torch::arange(12, torch::kInt64).to(torch::kUInt8).reshape({3, 4}).t();
  ASSERT_FALSE(t.is_contiguous());
  write_idx(path("t"), t);
  EXPECT_TRUE(torch::equal(read_idx(path("t"), 0x00000802), t.contiguous()));
}

TEST_F(IdxTest, WriteRejectsNonUint8) {
  expect_input_error([&] { write_idx(path("f"), torch::zeros({2, 2})); }, {path("f"), "uint8"});
}

TEST_F(IdxTest, WrongMagicNamesFileAndBothMagics) {
  write_idx(path("labels"), random_u8({4}, 10));
  expect_input_error([&] { read_idx(path("labels"), kImagesMagic); },
                     {path("labels"), "0x00000803", "0x00000801"});
}

TEST_F(IdxTest, MissingFileNamesIt) {
  expect_input_error([&] { read_idx(path("nope"), kImagesMagic); }, {path("nope")});
}

TEST_F(IdxTest, TruncatedFilesAreRejected) {
  write_idx(path("full"), random_u8({3, 4, 4}));
  const std::string bytes = read_bytes(path("full"));
  ASSERT_EQ(bytes.size(), 16u + 48u);
  // Inside the magic, inside the dimensions, and inside the data.
  for (size_t keep :
       {size_t(0), size_t(2), size_t(6), size_t(15), size_t(16), size_t(40), bytes.size() - 1}) {
    SCOPED_TRACE(keep);
    write_bytes(path("cut"), bytes.substr(0, keep));
    expect_input_error([&] { read_idx(path("cut"), kImagesMagic); }, {path("cut")});
  }
}

TEST_F(IdxTest, TrailingBytesAreRejected) {
  write_idx(path("full"), random_u8({3}, 10));
  write_bytes(path("long"), read_bytes(path("full")) + "x");
  expect_input_error([&] { read_idx(path("long"), kLabelsMagic); }, {path("long"), "trailing"});
}

TEST_F(IdxTest, ZeroDimensionIsRejected) {
  // Header of a 1-D file with 0 entries.
  write_bytes(path("zero"), std::string("\0\0\x08\x01\0\0\0\0", 8));
  expect_input_error([&] { read_idx(path("zero"), kLabelsMagic); }, {path("zero")});
}

TEST_F(IdxTest, TruncatedGzipIsRejected) {
  torch::manual_seed(2);
  write_idx(path("full.gz"), random_u8({20, 28, 28}));
  const std::string bytes = read_bytes(path("full.gz"));
  write_bytes(path("cut.gz"), bytes.substr(0, bytes.size() / 2));
  expect_input_error([&] { read_idx(path("cut.gz"), kImagesMagic); }, {path("cut.gz")});
}

TEST_F(IdxTest, LoadsADirectoryAsFloatImagesAndInt64Labels) {
  torch::manual_seed(3);
  const auto images = random_u8({6, 28, 28});
  const auto labels = random_u8({6}, 10);
  write_split(dir_, "t10k", images, labels, /*gz=*/true);
  const auto train_images = random_u8({9, 28, 28});
  const auto train_labels = random_u8({9}, 10);
  write_split(dir_, "train", train_images, train_labels);

  const Split s = load_mnist_like(dir_.string());
  EXPECT_EQ(s.test.size(), 6);
  EXPECT_EQ(s.train.size(), 9);
  EXPECT_EQ(s.test.images.sizes().vec(), (std::vector<int64_t>{6, 1, 28, 28}));
  EXPECT_EQ(s.test.images.scalar_type(), torch::kFloat32);
  EXPECT_EQ(s.test.labels.scalar_type(), torch::kInt64);
  EXPECT_TRUE(torch::equal(s.test.images, images.to(torch::kFloat32).div(255.0f).unsqueeze(1)));
  EXPECT_TRUE(torch::equal(s.test.labels, labels.to(torch::kInt64)));
  EXPECT_TRUE(torch::equal(s.train.labels, train_labels.to(torch::kInt64)));
  EXPECT_GE(s.test.images.min().item<float>(), 0.0f);
  EXPECT_LE(s.test.images.max().item<float>(), 1.0f);
  EXPECT_EQ(s.test.source, dir_.string());
  EXPECT_EQ(s.test.num_classes, 10);
}

TEST_F(IdxTest, TestOnlySkipsTrainingFiles) {
  write_split(dir_, "t10k", random_u8({4, 28, 28}), random_u8({4}, 10));
  const Split s = load_mnist_like(dir_.string(), /*test_only=*/true);
  EXPECT_EQ(s.test.size(), 4);
  EXPECT_EQ(s.train.size(), 0);
  // Without test_only the training files are required, and the error names the missing one.
  expect_input_error([&] { load_mnist_like(dir_.string()); }, {"train-images-idx3-ubyte"});
}

TEST_F(IdxTest, MissingTestFileIsNamed) {
  write_idx(path("t10k-images-idx3-ubyte"), random_u8({4, 28, 28}));
  expect_input_error([&] { load_mnist_like(dir_.string(), true); },
                     {dir_.string(), "t10k-labels-idx1-ubyte"});
}

TEST_F(IdxTest, CountMismatchNamesBothFiles) {
  write_split(dir_, "t10k", random_u8({5, 28, 28}), random_u8({4}, 10));
  expect_input_error([&] { load_mnist_like(dir_.string(), true); },
                     {path("t10k-images-idx3-ubyte"), path("t10k-labels-idx1-ubyte")});
}

TEST_F(IdxTest, LabelOutOfRangeIsRejected) {
  auto labels = torch::tensor({1, 2, 10}, torch::kInt64).to(torch::kUInt8);
  write_split(dir_, "t10k", random_u8({3, 28, 28}), labels);
  expect_input_error([&] { load_mnist_like(dir_.string(), true); },
                     {path("t10k-labels-idx1-ubyte"), "10"});
}

TEST_F(IdxTest, WrongRankIsRejected) {
  // Images need N x H x W: a 1-D file under the images name has the wrong magic.
  write_idx(path("t10k-images-idx3-ubyte"), random_u8({4}));
  write_idx(path("t10k-labels-idx1-ubyte"), random_u8({4}, 10));
  expect_input_error([&] { load_mnist_like(dir_.string(), true); },
                     {path("t10k-images-idx3-ubyte")});
}

TEST_F(IdxTest, UnknownNameListsSearchedDirectories) {
  const std::string name = "ares-no-such-dataset-" + std::to_string(::getpid());
  const auto dirs = search_dirs(name);
  ASSERT_FALSE(dirs.empty());
  std::vector<std::string> parts = {name};
  parts.insert(parts.end(), dirs.begin(), dirs.end());
  expect_input_error([&] { load_mnist_like(name, true); }, parts);
  expect_input_error([&] { load_mnist_like(path("not/a/dir"), true); }, {path("not/a/dir")});
}

TEST_F(IdxTest, SearchDirsHonourAresDataDir) {
  const char* old = std::getenv("ARES_DATA_DIR");
  const std::string saved = old ? old : "";
  ::setenv("ARES_DATA_DIR", dir_.c_str(), 1);
  const auto dirs = search_dirs("mnist");
  ASSERT_GE(dirs.size(), 2u);
  EXPECT_EQ(dirs.front(), (dir_ / "mnist").string());
  EXPECT_EQ(dirs.back(), "/usr/share/datasets/mnist");

  // A name found through ARES_DATA_DIR loads, and its Dataset carries the name.
  fs::create_directories(dir_ / "tiny");
  write_split(dir_ / "tiny", "t10k", random_u8({2, 28, 28}), random_u8({2}, 10));
  const Split s = load_mnist_like("tiny", true);
  EXPECT_EQ(s.test.name, "tiny");
  EXPECT_EQ(s.test.source, (dir_ / "tiny").string());

  if (old) {
    ::setenv("ARES_DATA_DIR", saved.c_str(), 1);
  } else {
    ::unsetenv("ARES_DATA_DIR");
  }
}

}  // namespace
}  // namespace ares::data
