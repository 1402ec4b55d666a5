#include "ares/data/tensor_file.h"

#include <gtest/gtest.h>
#include <torch/csrc/jit/serialization/pickle.h>
#include <torch/torch.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "../expect_input_error.h"
#include "ares/data/load.h"

namespace ares::data {
namespace {

namespace fs = std::filesystem;
using ares::testing::expect_input_error;

class TensorFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("ares_tensor_file_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Writes `value` as torch.save() does (torch::pickle_save: the zip format torch.load reads).
  std::string save(const std::string& name, const c10::IValue& value) {
    const auto bytes = torch::pickle_save(value);
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
    return path;
  }
  static c10::IValue dict(const std::vector<std::pair<std::string, torch::Tensor>>& entries) {
    c10::impl::GenericDict d(c10::StringType::get(), c10::TensorType::get());
    for (const auto& [k, v] : entries) d.insert(k, v);
    return d;
  }

  fs::path dir_;
};

// Inputs of any shape and type come back as float32 with the same values (token indices of
// an integer tensor exactly), labels of any integer type as int64; the training split when
// present; load_dataset picks the reader from the suffix.
TEST_F(TensorFileTest, ReadsBothSplitsBitForBit) {
  torch::manual_seed(3);
  const auto tokens = torch::randint(0, 1 << 20, {37, 16}, torch::kLong);
  const auto labels = torch::randint(0, 50, {37}, torch::kInt);
  const auto train_x = torch::randn({11, 3, 5, 7});
  const auto train_y = torch::randint(0, 4, {11}, torch::kByte);
  const auto path = save(
      "both.pt",
      dict({{"test_x", tokens}, {"test_y", labels}, {"train_x", train_x}, {"train_y", train_y}}));
  const Split s = load_dataset(path);
  ASSERT_EQ(s.test.images.scalar_type(), torch::kFloat);
  EXPECT_TRUE(torch::equal(s.test.images.to(torch::kLong), tokens));  // exact below 2^24
  ASSERT_EQ(s.test.labels.scalar_type(), torch::kLong);
  EXPECT_TRUE(torch::equal(s.test.labels, labels.to(torch::kLong)));
  EXPECT_EQ(s.test.num_classes, labels.max().item<int64_t>() + 1);
  EXPECT_EQ(s.test.name, path);
  EXPECT_TRUE(torch::equal(s.train.images, train_x));
  EXPECT_TRUE(torch::equal(s.train.labels, train_y.to(torch::kLong)));
  EXPECT_FALSE(load_dataset(path, /*test_only=*/true).train.images.defined());

  const auto plain = save("plain.pth", dict({{"x", train_x}, {"y", train_y}}));
  const Split p = load_dataset(plain);
  EXPECT_TRUE(torch::equal(p.test.images, train_x));
  EXPECT_FALSE(p.train.images.defined());
}

TEST_F(TensorFileTest, BadFilesAreOneLineNamingFileAndKey) {
  const auto x = torch::zeros({4, 2});
  const auto y = torch::zeros({4}, torch::kLong);
  const auto missing = (dir_ / "none.pt").string();
  expect_input_error([&] { load_dataset(missing); }, {missing, "no such tensor file"});
  const auto junk = (dir_ / "junk.pt").string();
  std::ofstream(junk) << "not a zip archive";
  expect_input_error([&] { load_dataset(junk); }, {junk, "not a plain dict of tensors"});
  const auto list = save("list.pt", c10::IValue(std::vector<torch::Tensor>{x, y}));
  expect_input_error([&] { load_dataset(list); }, {list, "not a dict"});
  const auto keys = save("keys.pt", dict({{"inputs", x}, {"labels", y}}));
  expect_input_error([&] { load_dataset(keys); }, {keys, "no 'x' and 'y'", "'inputs', 'labels'"});
  const auto floats = save("floats.pt", dict({{"x", x}, {"y", y.to(torch::kFloat)}}));
  expect_input_error([&] { load_dataset(floats); }, {floats, "'y' holds Float", "integer"});
  const auto negative = save("negative.pt", dict({{"x", x}, {"y", y - 1}}));
  expect_input_error([&] { load_dataset(negative); }, {negative, "label -1"});
  const auto counts = save("counts.pt", dict({{"x", x}, {"y", torch::zeros({3}, torch::kLong)}}));
  expect_input_error([&] { load_dataset(counts); }, {counts, "4 inputs but 'y' 3 labels"});
  const auto empty = save("empty.pt", dict({{"x", torch::zeros({0, 2})}, {"y", y.slice(0, 0, 0)}}));
  expect_input_error([&] { load_dataset(empty); }, {empty, "'x' has shape [0, 2]"});
  const auto shape = save("shape.pt", dict({{"x", x}, {"y", torch::zeros({4, 1}, torch::kLong)}}));
  expect_input_error([&] { load_dataset(shape); }, {shape, "'y' has shape [4, 1]"});
  const auto half = save("half.pt", dict({{"x", x}, {"y", y}, {"train_x", x}}));
  expect_input_error([&] { load_dataset(half); }, {half, "'train_x' without 'train_y'"});
}

}  // namespace
}  // namespace ares::data
