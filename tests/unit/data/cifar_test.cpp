#include "ares/data/cifar.h"

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
#include "ares/data/load.h"

namespace ares::data {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kRecord = 3073;

// A fresh directory under gtest's temp dir, removed when the fixture ends.
class CifarTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) / ("ares_cifar_" + std::string(info->test_suite_name()) +
                                             "_" + info->name() + "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
};

class LoadDatasetTest : public CifarTest {};

// Sets an environment variable for one scope and restores the old value after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    const char* old = std::getenv(name);
    had_ = old != nullptr;
    if (had_) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (had_) {
      ::setenv(name_, old_.c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  bool had_ = false;
  std::string old_;
};

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

torch::Tensor random_images(int64_t n) {
  return torch::randint(0, 256, {n, 3, 32, 32}, torch::kInt64).to(torch::kUInt8);
}

torch::Tensor random_labels(int64_t n) { return torch::randint(0, 10, {n}, torch::kInt64); }

torch::Tensor scaled(const torch::Tensor& u8) { return u8.to(torch::kFloat32).div(255.0f); }

// Writes data_batch_1..5.bin (batch b holds b images, all labelled b - 1) and test_batch.bin.
void write_all(const fs::path& dir, int64_t test_n = 3) {
  fs::create_directories(dir);
  for (int b = 1; b <= 5; ++b) {
    write_cifar10_batch((dir / ("data_batch_" + std::to_string(b) + ".bin")).string(),
                        random_images(b), torch::full({b}, b - 1, torch::kInt64));
  }
  write_cifar10_batch((dir / "test_batch.bin").string(), random_images(test_n),
                      random_labels(test_n));
}

// Runs `f`, expects an ares::InputError whose message contains every string in `parts`.
using ares::testing::expect_input_error;

TEST_F(CifarTest, RoundTripIsBitExact) {
  torch::manual_seed(1);
  const auto images = random_images(4);
  const auto labels = torch::tensor({3, 0, 9, 7}, torch::kInt32);  // any integer type
  write_cifar10_batch(path("test_batch.bin"), images, labels);
  ASSERT_EQ(fs::file_size(path("test_batch.bin")), 4u * kRecord);

  const Split s = load_cifar10(dir_.string(), /*test_only=*/true);
  EXPECT_EQ(s.train.size(), 0);
  EXPECT_EQ(s.test.size(), 4);
  EXPECT_EQ(s.test.images.sizes().vec(), (std::vector<int64_t>{4, 3, 32, 32}));
  EXPECT_EQ(s.test.images.scalar_type(), torch::kFloat32);
  EXPECT_EQ(s.test.labels.scalar_type(), torch::kInt64);
  EXPECT_TRUE(torch::equal(s.test.images, scaled(images)));
  EXPECT_TRUE(torch::equal(s.test.labels, labels.to(torch::kInt64)));
  EXPECT_EQ(s.test.name, dir_.string());
  EXPECT_EQ(s.test.source, dir_.string());
  EXPECT_EQ(s.test.num_classes, 10);
}

TEST_F(CifarTest, RecordLayoutIsLabelThenRedGreenBluePlanes) {
  auto image = torch::zeros({1, 3, 32, 32}, torch::kUInt8);
  image[0][0][0][0] = 10;   // R at (0, 0)
  image[0][1][0][0] = 20;   // G at (0, 0)
  image[0][2][0][0] = 30;   // B at (0, 0)
  image[0][0][2][5] = 255;  // R at row 2, column 5
  image[0][2][31][31] = 51;
  write_cifar10_batch(path("b.bin"), image, torch::tensor({6}, torch::kUInt8));
  const std::string b = read_bytes(path("b.bin"));
  ASSERT_EQ(b.size(), size_t(kRecord));
  EXPECT_EQ(uint8_t(b[0]), 6);
  EXPECT_EQ(uint8_t(b[1]), 10);
  EXPECT_EQ(uint8_t(b[1 + 1024]), 20);
  EXPECT_EQ(uint8_t(b[1 + 2048]), 30);
  EXPECT_EQ(uint8_t(b[1 + 2 * 32 + 5]), 255);
  EXPECT_EQ(uint8_t(b[kRecord - 1]), 51);

  // Read back from a hand-made file: pixel bytes become value / 255 in channel order R, G, B.
  fs::rename(path("b.bin"), path("test_batch.bin"));
  const auto im = load_cifar10(dir_.string(), true).test.images;
  EXPECT_EQ(im[0][0][0][0].item<float>(), 10.0f / 255.0f);
  EXPECT_EQ(im[0][1][0][0].item<float>(), 20.0f / 255.0f);
  EXPECT_EQ(im[0][2][0][0].item<float>(), 30.0f / 255.0f);
  EXPECT_EQ(im[0][0][2][5].item<float>(), 1.0f);
  EXPECT_EQ(im[0][2][31][31].item<float>(), 0.2f);
  EXPECT_EQ(im.sum().item<float>(), (10.0f + 20 + 30 + 255 + 51) / 255.0f);
}

TEST_F(CifarTest, NonContiguousImagesAreWrittenInLogicalOrder) {
  torch::manual_seed(2);
  const auto images = random_images(2).transpose(2, 3);
  ASSERT_FALSE(images.is_contiguous());
  write_cifar10_batch(path("test_batch.bin"), images, torch::tensor({1, 2}));
  EXPECT_TRUE(torch::equal(load_cifar10(dir_.string(), true).test.images, scaled(images)));
}

TEST_F(CifarTest, TrainBatchesAreConcatenatedInOrder) {
  torch::manual_seed(3);
  std::vector<torch::Tensor> written;
  for (int b = 1; b <= 5; ++b) {
    written.push_back(random_images(b));
    write_cifar10_batch(path("data_batch_" + std::to_string(b) + ".bin"), written.back(),
                        torch::full({b}, b - 1, torch::kInt64));
  }
  const auto test_images = random_images(2);
  write_cifar10_batch(path("test_batch.bin"), test_images, torch::tensor({4, 8}));

  const Split s = load_cifar10(dir_.string());
  ASSERT_EQ(s.train.size(), 15);
  EXPECT_TRUE(torch::equal(
      s.train.labels, torch::tensor({0, 1, 1, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 4}, torch::kInt64)));
  EXPECT_TRUE(torch::equal(s.train.images, scaled(torch::cat(written, 0))));
  EXPECT_EQ(s.train.source, dir_.string());
  EXPECT_TRUE(torch::equal(s.test.images, scaled(test_images)));
  EXPECT_TRUE(torch::equal(s.test.labels, torch::tensor({4, 8}, torch::kInt64)));
}

TEST_F(CifarTest, ReadsTheArchiveSubdirectory) {
  torch::manual_seed(4);
  write_all(dir_ / "cifar-10-batches-bin", 2);
  const Split s = load_cifar10(dir_.string());
  EXPECT_EQ(s.train.size(), 15);
  EXPECT_EQ(s.test.size(), 2);
  EXPECT_EQ(s.test.name, dir_.string());
  EXPECT_EQ(s.test.source, (dir_ / "cifar-10-batches-bin").string());
  EXPECT_TRUE(is_cifar10_dir(dir_.string()));
  EXPECT_FALSE(is_cifar10_dir(path("nope")));
}

TEST_F(CifarTest, TestOnlySkipsTrainingFiles) {
  write_cifar10_batch(path("test_batch.bin"), random_images(3), random_labels(3));
  // A broken training file is not even opened.
  write_bytes(path("data_batch_1.bin"), "junk");
  const Split s = load_cifar10(dir_.string(), /*test_only=*/true);
  EXPECT_EQ(s.test.size(), 3);
  EXPECT_EQ(s.train.size(), 0);
  EXPECT_FALSE(s.train.images.defined());

  fs::remove(path("data_batch_1.bin"));
  // Without test_only every training file is required, and the error lists them all.
  expect_input_error([&] { load_cifar10(dir_.string()); },
                     {path("data_batch_1.bin"), path("data_batch_2.bin"), path("data_batch_3.bin"),
                      path("data_batch_4.bin"), path("data_batch_5.bin")});
}

TEST_F(CifarTest, MissingBatchFileIsNamed) {
  write_all(dir_);
  fs::remove(path("data_batch_3.bin"));
  try {
    load_cifar10(dir_.string());
    ADD_FAILURE() << "expected ares::InputError";
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(path("data_batch_3.bin")), std::string::npos) << msg;
    EXPECT_EQ(msg.find(path("data_batch_2.bin")), std::string::npos) << msg;
    EXPECT_NE(msg.find("cifar-10-binary.tar.gz"), std::string::npos) << msg;
  }
  // test_only needs only test_batch.bin.
  EXPECT_EQ(load_cifar10(dir_.string(), true).test.size(), 3);
  fs::remove(path("test_batch.bin"));
  expect_input_error([&] { load_cifar10(dir_.string(), true); }, {path("test_batch.bin")});
}

TEST_F(CifarTest, BadSizeIsRejected) {
  write_cifar10_batch(path("test_batch.bin"), random_images(2), random_labels(2));
  const std::string bytes = read_bytes(path("test_batch.bin"));
  for (size_t size : {size_t(1), size_t(kRecord - 1), size_t(kRecord + 1), bytes.size() - 5}) {
    SCOPED_TRACE(size);
    write_bytes(path("test_batch.bin"), (bytes + bytes).substr(0, size));
    expect_input_error([&] { load_cifar10(dir_.string(), true); },
                       {path("test_batch.bin") + ": size " + std::to_string(size) +
                        " is not a multiple of the 3073-byte CIFAR-10 record"});
  }
}

TEST_F(CifarTest, EmptyFileIsRejected) {
  write_bytes(path("test_batch.bin"), "");
  expect_input_error([&] { load_cifar10(dir_.string(), true); },
                     {path("test_batch.bin") + ": empty file"});
}

TEST_F(CifarTest, BadLabelNamesFileAndRecord) {
  write_all(dir_);
  std::string bytes = read_bytes(path("data_batch_4.bin"));
  bytes[2 * kRecord] = char(200);
  write_bytes(path("data_batch_4.bin"), bytes);
  expect_input_error([&] { load_cifar10(dir_.string()); },
                     {path("data_batch_4.bin") + ": record 2 has label 200, expected 0..9"});
  bytes[2 * kRecord] = char(10);  // the first value out of range
  write_bytes(path("data_batch_4.bin"), bytes);
  expect_input_error([&] { load_cifar10(dir_.string()); }, {path("data_batch_4.bin"), "label 10"});
}

TEST_F(CifarTest, UnreadableFileIsNamed) {
  // A directory where a batch file should be is neither a file nor readable as one.
  write_all(dir_);
  fs::remove(path("test_batch.bin"));
  fs::create_directories(path("test_batch.bin"));
  expect_input_error([&] { load_cifar10(dir_.string(), true); }, {path("test_batch.bin")});
  if (::geteuid() != 0) {  // root reads anything
    fs::remove(path("test_batch.bin"));
    write_cifar10_batch(path("test_batch.bin"), random_images(1), random_labels(1));
    fs::permissions(path("test_batch.bin"), fs::perms::none);
    expect_input_error([&] { load_cifar10(dir_.string(), true); }, {path("test_batch.bin")});
  }
}

TEST_F(CifarTest, WriteRejectsBadInput) {
  const std::string p = path("w.bin");
  expect_input_error(
      [&] {
        write_cifar10_batch(p, torch::zeros({1, 3, 32, 32}), torch::tensor({1}));
      },
      {p, "uint8"});
  expect_input_error(
      [&] {
        write_cifar10_batch(p, torch::zeros({1, 1, 28, 28}, torch::kUInt8), torch::tensor({1}));
      },
      {p, "N x 3 x 32 x 32"});
  expect_input_error([&] { write_cifar10_batch(p, random_images(0), torch::zeros({0})); },
                     {p, "at least one image"});
  expect_input_error([&] { write_cifar10_batch(p, random_images(2), torch::tensor({1})); },
                     {p, "2 labels"});
  expect_input_error([&] { write_cifar10_batch(p, random_images(1), torch::tensor({1.0f})); },
                     {p, "integer labels"});
  expect_input_error(
      [&] {
        write_cifar10_batch(p, random_images(2), torch::tensor({3, 10}));
      },
      {p, "0..9", "10"});
  expect_input_error(
      [&] {
        write_cifar10_batch(p, random_images(2), torch::tensor({-1, 3}));
      },
      {p, "0..9", "-1"});
}

TEST_F(CifarTest, NamesAreSearchedUnderBothSpellings) {
  ScopedEnv env("ARES_DATA_DIR", dir_.string());
  torch::manual_seed(5);
  write_all(dir_ / "cifar10" / "cifar-10-batches-bin", 4);
  for (const char* name : {"cifar10", "cifar-10"}) {
    SCOPED_TRACE(name);
    const Split s = load_cifar10(name, /*test_only=*/true);
    EXPECT_EQ(s.test.size(), 4);
    EXPECT_EQ(s.test.name, name);
    EXPECT_EQ(s.test.source, (dir_ / "cifar10" / "cifar-10-batches-bin").string());
  }
}

TEST_F(CifarTest, UnknownNameListsSearchedDirectories) {
  const std::string name = "ares-no-such-cifar-" + std::to_string(::getpid());
  std::vector<std::string> parts = {name, "cifar-10-binary.tar.gz"};
  for (const auto& d : search_dirs(name)) parts.push_back(d);
  expect_input_error([&] { load_cifar10(name, true); }, parts);
  expect_input_error([&] { load_cifar10(path("not/a/dir"), true); }, {path("not/a/dir")});
}

TEST_F(LoadDatasetTest, CifarDirectoriesGoToTheCifarReader) {
  torch::manual_seed(6);
  write_all(dir_ / "flat", 2);
  write_all(dir_ / "archive" / "cifar-10-batches-bin", 3);
  const Split a = load_dataset((dir_ / "flat").string());
  EXPECT_EQ(a.train.size(), 15);
  EXPECT_EQ(a.test.images.sizes().vec(), (std::vector<int64_t>{2, 3, 32, 32}));
  const Split b = load_dataset((dir_ / "archive").string(), /*test_only=*/true);
  EXPECT_EQ(b.train.size(), 0);
  EXPECT_EQ(b.test.images.sizes().vec(), (std::vector<int64_t>{3, 3, 32, 32}));
}

TEST_F(LoadDatasetTest, CifarNamesAndNamedCifarDirectories) {
  ScopedEnv env("ARES_DATA_DIR", dir_.string());
  torch::manual_seed(7);
  write_all(dir_ / "cifar-10", 2);
  write_all(dir_ / "my-cifar" / "cifar-10-batches-bin", 5);
  EXPECT_EQ(load_dataset("cifar10", true).test.size(), 2);
  EXPECT_EQ(load_dataset("cifar-10", true).test.size(), 2);
  EXPECT_EQ(load_dataset("my-cifar", true).test.size(), 5);
}

TEST_F(LoadDatasetTest, OtherDirectoriesGoToTheMnistReader) {
  torch::manual_seed(8);
  const auto images = torch::randint(0, 256, {4, 28, 28}, torch::kInt64).to(torch::kUInt8);
  write_idx(path("t10k-images-idx3-ubyte"), images);
  write_idx(path("t10k-labels-idx1-ubyte"), torch::tensor({1, 2, 3, 4}).to(torch::kUInt8));
  const Split s = load_dataset(dir_.string(), /*test_only=*/true);
  EXPECT_EQ(s.test.images.sizes().vec(), (std::vector<int64_t>{4, 1, 28, 28}));
  EXPECT_TRUE(torch::equal(s.test.images, scaled(images).unsqueeze(1)));
  // The MNIST reader's own errors come through.
  expect_input_error([&] { load_dataset(dir_.string()); }, {"train-images-idx3-ubyte"});
}

TEST_F(LoadDatasetTest, UnknownNameIsAnInputError) {
  const std::string name = "ares-no-such-dataset-" + std::to_string(::getpid());
  std::vector<std::string> parts = {name};
  for (const auto& d : search_dirs(name)) parts.push_back(d);
  expect_input_error([&] { load_dataset(name, true); }, parts);
  expect_input_error([&] { load_dataset(path("not/a/dir"), true); }, {path("not/a/dir")});
}

}  // namespace
}  // namespace ares::data
