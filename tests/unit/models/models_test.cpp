#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "../expect_input_error.h"
#include "../same_bits.h"
#include "ares/common/error.h"
#include "ares/models/checkpoint.h"
#include "ares/models/evaluate.h"
#include "ares/models/registry.h"
#include "ares/models/staged_model.h"

namespace ares::models {
namespace {

namespace fs = std::filesystem;

const float kInf = std::numeric_limits<float>::infinity();
const float kNaN = std::numeric_limits<float>::quiet_NaN();

// True when two float tensors hold the same bits (torch::equal treats -0 == +0).
using ares::testing::same_bits;

// Every parameter of `a` and `b`, by name, holds the same bits.
void expect_same_parameters(const StagedModel& a, const StagedModel& b) {
  auto pa = a.named_parameters();
  auto pb = b.named_parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (const auto& p : pa) {
    ASSERT_TRUE(pb.contains(p.key())) << p.key();
    EXPECT_TRUE(same_bits(p.value(), pb[p.key()])) << p.key();
  }
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

using ares::testing::expect_input_error;

// ---- registry and staged models ------------------------------------------------------------

TEST(RegistryTest, ZooHoldsThePaperModels) {
  std::vector<std::string> names;
  for (const auto& m : zoo()) names.push_back(m.name);
  EXPECT_NE(std::find(names.begin(), names.end(), "mnist_fc"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "lenet5"), names.end());
  for (const auto& m : zoo()) {
    EXPECT_FALSE(m.description.empty()) << m.name;
    ASSERT_TRUE(m.make) << m.name;
  }
}

TEST(RegistryTest, ParameterCounts) {
  EXPECT_EQ(create("mnist_fc")->parameter_count(), 266610);
  EXPECT_EQ(create("lenet5")->parameter_count(), 600810);
}

TEST(RegistryTest, StageLayout) {
  auto fc = create("mnist_fc");
  ASSERT_EQ(fc->num_stages(), 3u);
  EXPECT_EQ(fc->stage_name(0), "fc1");
  EXPECT_EQ(fc->stage_name(2), "fc3");
  EXPECT_EQ(fc->name(), "mnist_fc");
  EXPECT_EQ(fc->input_shape(), (std::vector<int64_t>{1, 28, 28}));
  EXPECT_EQ(fc->stage_of("fc1.weight"), 0u);
  EXPECT_EQ(fc->stage_of("fc2.bias"), 1u);
  EXPECT_EQ(fc->stage_of("fc3.weight"), 2u);
  EXPECT_THROW(fc->stage_of("conv1.weight"), InputError);

  auto le = create("lenet5");
  ASSERT_EQ(le->num_stages(), 4u);
  EXPECT_EQ(le->stage_of("conv2.weight"), 1u);
  EXPECT_EQ(le->stage_of("fc2.bias"), 3u);
  // Parameters are "<stage>.weight" and "<stage>.bias", in stage order.
  std::vector<std::string> keys;
  for (const auto& p : le->named_parameters()) keys.push_back(p.key());
  EXPECT_EQ(keys,
            (std::vector<std::string>{"conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias",
                                      "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"}));
}

TEST(RegistryTest, UnknownNameListsKnownOnes) {
  expect_input_error([] { create("resnet9000"); }, {"resnet9000", "mnist_fc", "lenet5"});
}

TEST(RegistryTest, RegisterModelAddsAndRejectsDuplicates) {
  const std::string name = "models_test_tiny";
  auto make = [name] {
    auto m = std::make_shared<StagedModel>(name, std::vector<int64_t>{4});
    m->add_stage("fc", {StageOptions::Op::kLinear, 4, 2});
    return m;
  };
  register_model({name, "a tiny test model", "none", make});
  auto m = create(name);
  EXPECT_EQ(m->name(), name);
  EXPECT_EQ(m->parameter_count(), 10);
  EXPECT_THROW(register_model({name, "again", "none", make}), InputError);
  EXPECT_THROW(register_model({"mnist_fc", "clash", "none", make}), InputError);
}

TEST(StagedModelTest, AddStageValidatesNames) {
  StagedModel m("m", {4});
  m.add_stage("a", {StageOptions::Op::kLinear, 4, 3});
  EXPECT_THROW(m.add_stage("a", {StageOptions::Op::kLinear, 3, 2}), InputError);
  EXPECT_THROW(m.add_stage("b.c", {StageOptions::Op::kLinear, 3, 2}), InputError);
  EXPECT_THROW(m.add_stage("", {StageOptions::Op::kLinear, 3, 2}), InputError);
  EXPECT_THROW(m.add_stage("z", {StageOptions::Op::kLinear, 0, 2}), InputError);
  EXPECT_EQ(m.num_stages(), 1u);
}

// A stage is found by name first, then by index; the list names every stage.
TEST(StagedModelTest, FindStageByNameThenIndex) {
  StagedModel m("named", {4});
  m.add_stage("1", {StageOptions::Op::kLinear, 4, 3});
  m.add_stage("fc", {StageOptions::Op::kLinear, 3, 2});
  EXPECT_EQ(m.find_stage("fc"), 1);
  EXPECT_EQ(m.find_stage("1"), 0);  // the name, not index 1
  EXPECT_EQ(m.find_stage("0"), 0);
  EXPECT_EQ(m.find_stage("2"), -1);
  EXPECT_EQ(m.find_stage("conv"), -1);
  EXPECT_EQ(m.stage_list(), "1, fc");
}

TEST(StagedModelTest, ForwardShapes) {
  torch::manual_seed(11);
  c10::InferenceMode guard;
  for (const char* name : {"mnist_fc", "lenet5"}) {
    SCOPED_TRACE(name);
    auto m = create(name);
    m->eval();
    for (int64_t b : {1, 5}) {
      auto y = m->forward(torch::rand({b, 1, 28, 28}));
      EXPECT_EQ(y.sizes().vec(), (std::vector<int64_t>{b, 10}));
      EXPECT_TRUE(torch::isfinite(y).all().item<bool>());
    }
  }
  // Intermediate shapes of lenet5: 32x26x26, 32x12x12 (pooled), 128, 10.
  auto le = create("lenet5");
  le->eval();
  auto x = torch::rand({2, 1, 28, 28});
  std::vector<std::vector<int64_t>> shapes = {{2, 32, 26, 26}, {2, 32, 12, 12}, {2, 128}, {2, 10}};
  for (size_t s = 0; s < le->num_stages(); ++s) {
    x = le->stage(s)->forward(x);
    EXPECT_EQ(x.sizes().vec(), shapes[s]) << "stage " << s;
  }
}

TEST(StagedModelTest, ForwardFromStageInputEqualsForward) {
  c10::InferenceMode guard;
  for (uint64_t seed : {1, 2, 3}) {
    SCOPED_TRACE(seed);
    torch::manual_seed(seed);
    for (const char* name : {"mnist_fc", "lenet5"}) {
      SCOPED_TRACE(name);
      auto m = create(name);
      m->eval();
      auto images = torch::rand({6, 1, 28, 28});
      auto full = m->forward(images);
      torch::Tensor x = images;
      for (size_t k = 0; k <= m->num_stages(); ++k) {
        SCOPED_TRACE(k);
        EXPECT_TRUE(same_bits(m->forward_from(k, x), full));
        if (k < m->num_stages()) {
          auto pre = m->stage(k)->pre_activation(x);
          auto next = m->stage(k)->finish(pre);
          EXPECT_TRUE(same_bits(next, m->stage(k)->forward(x)));
          x = next;
        }
      }
    }
  }
}

TEST(StagedModelTest, DropoutOnlyInTraining) {
  torch::manual_seed(5);
  auto m = create("lenet5");
  auto x = torch::rand({3, 1, 28, 28});
  torch::NoGradGuard no_grad;
  m->eval();
  auto a = m->forward(x), b = m->forward(x);
  EXPECT_TRUE(same_bits(a, b));
  m->train();
  auto c = m->forward(x);
  EXPECT_FALSE(torch::equal(a, c));
}

// Without gradients a stage pools by strided maxima, with them by max_pool2d: the values are
// the same bit for bit (NaN, odd sizes whose last row and column are dropped, k = 2 and 3),
// and the input is left alone.
TEST(StagedModelTest, PoolingWithoutGradientsEqualsMaxPool2d) {
  torch::manual_seed(6);
  for (int64_t k : {2, 3}) {
    for (auto shape : {std::vector<int64_t>{5, 4, 24, 24}, std::vector<int64_t>{3, 2, 7, 9},
                       std::vector<int64_t>{1, 1, 3, 3}, std::vector<int64_t>{1, 1, 2, 2}}) {
      if (shape[2] < k || shape[3] < k) continue;
      SCOPED_TRACE("k " + std::to_string(k) + " " + c10::str(c10::IntArrayRef(shape)));
      StageOptions o;
      o.op = StageOptions::Op::kConv2d;
      o.in = shape[1];
      o.out = shape[1];
      o.kernel = 1;
      o.relu = true;
      o.pool = k;
      Stage stage(o);
      auto pre = torch::randn(shape);
      pre.view({-1})[7 % pre.numel()] = std::numeric_limits<float>::quiet_NaN();
      pre.view({-1})[pre.numel() - 1] = std::numeric_limits<float>::infinity();
      const auto before = pre.clone();
      torch::Tensor fast;
      {
        torch::NoGradGuard no_grad;
        fast = stage->finish(pre);
      }
      auto with_grad = pre.clone().requires_grad_(true);
      auto reference = stage->finish(with_grad).detach();
      EXPECT_TRUE(same_bits(fast, reference));
      EXPECT_TRUE(same_bits(pre, before));
      EXPECT_EQ(fast.size(2), shape[2] / k);
      EXPECT_EQ(fast.size(3), shape[3] / k);
    }
  }
}

TEST(StagedModelTest, CloneIsEqualButIndependent) {
  torch::manual_seed(21);
  auto m = create("lenet5");
  m->eval();
  auto c = m->clone_model();
  EXPECT_EQ(c->name(), m->name());
  EXPECT_EQ(c->input_shape(), m->input_shape());
  EXPECT_EQ(c->num_stages(), m->num_stages());
  EXPECT_FALSE(c->is_training());
  expect_same_parameters(*m, *c);
  {
    c10::InferenceMode guard;
    auto x = torch::rand({4, 1, 28, 28});
    EXPECT_TRUE(same_bits(m->forward(x), c->forward(x)));
  }
  // Own storage: writes to either side do not reach the other.
  auto pm = m->named_parameters(), pc = c->named_parameters();
  for (const auto& p : pm) {
    EXPECT_NE(p.value().data_ptr(), pc[p.key()].data_ptr()) << p.key();
  }
  {
    torch::NoGradGuard no_grad;
    const float before = pm["conv1.weight"].view(-1)[0].item<float>();
    pc["conv1.weight"].view(-1)[0] = 42.0f;
    EXPECT_EQ(pm["conv1.weight"].view(-1)[0].item<float>(), before);
    pm["fc2.bias"].fill_(-1.0f);
    EXPECT_FALSE(torch::equal(pc["fc2.bias"], pm["fc2.bias"]));
  }
  // Training mode is copied too.
  m->train();
  EXPECT_TRUE(m->clone_model()->is_training());
}

// ---- count_errors and evaluate_error ------------------------------------------------------

TEST(EvaluateTest, CountErrorsUsesFirstArgmax) {
  auto logits = torch::tensor({{0.f, 1.f, 0.f}, {2.f, 2.f, 0.f}, {0.f, 0.f, 5.f}, {1.f, 0.f, 1.f}});
  EXPECT_EQ(count_errors(logits, torch::tensor({1, 0, 2, 0}, torch::kInt64)), 0);
  EXPECT_EQ(count_errors(logits, torch::tensor({1, 1, 2, 2}, torch::kInt64)), 2);
  EXPECT_EQ(count_errors(logits, torch::tensor({0, 2, 1, 1}, torch::kInt64)), 4);
}

TEST(EvaluateTest, NonFiniteRowsAreWrong) {
  auto logits = torch::tensor({{0.f, 1.f, 0.f},
                               {0.f, kInf, 0.f},   // Inf on the right class: still wrong
                               {kNaN, 1.f, 0.f},   // NaN elsewhere: wrong
                               {-kInf, 1.f, 0.f},  // -Inf: wrong
                               {0.f, 1.f, 0.f}});
  auto labels = torch::tensor({1, 1, 1, 1, 1}, torch::kInt64);
  EXPECT_EQ(count_errors(logits, labels), 3);
  auto all_nan = torch::full({4, 10}, kNaN);
  EXPECT_EQ(count_errors(all_nan, torch::zeros({4}, torch::kInt64)), 4);
}

TEST(EvaluateTest, WrongMaskIsPerRowCountErrors) {
  auto logits = torch::tensor({{0.f, 1.f}, {0.f, kInf}, {kNaN, 1.f}, {2.f, 1.f}, {3.f, 1.f}});
  auto labels = torch::tensor({1, 1, 1, 1, 0}, torch::kInt64);
  const auto mask = wrong_mask(logits, labels);
  EXPECT_EQ(mask.scalar_type(), torch::kBool);
  EXPECT_TRUE(torch::equal(mask, torch::tensor({false, true, true, true, false})));
  EXPECT_EQ(mask.sum().item<int64_t>(), count_errors(logits, labels));
}

TEST(EvaluateTest, EvaluateErrorMatchesCountErrorsForAnyBatch) {
  torch::manual_seed(31);
  auto m = create("mnist_fc");
  auto images = torch::rand({37, 1, 28, 28});
  auto labels = torch::randint(0, 10, {37}, torch::kInt64);
  int64_t wrong;
  {
    c10::InferenceMode guard;
    m->eval();
    wrong = count_errors(m->forward(images), labels);
  }
  m->train();
  for (int64_t batch : {1, 8, 37, 1000}) {
    SCOPED_TRACE(batch);
    EXPECT_DOUBLE_EQ(evaluate_error(*m, images, labels, batch), double(wrong) / 37.0);
  }
  EXPECT_TRUE(m->is_training());  // the mode is restored
  EXPECT_EQ(evaluate_error(*m, images.slice(0, 0, 0), labels.slice(0, 0, 0)), 0.0);
}

// ---- checkpoints ---------------------------------------------------------------------------

class CheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) /
           ("ares_ckpt_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
};

TEST_F(CheckpointTest, RoundTripIsBitExact) {
  for (const char* name : {"mnist_fc", "lenet5"}) {
    SCOPED_TRACE(name);
    torch::manual_seed(41);
    auto m = create(name);
    {
      // Make sure awkward values survive: -0, subnormals, the largest float.
      torch::NoGradGuard no_grad;
      auto b = m->named_parameters()["fc1.bias"];
      b[0] = -0.0f;
      b[1] = std::numeric_limits<float>::denorm_min();
      b[2] = std::numeric_limits<float>::max();
    }
    const std::string p = path(std::string(name) + ".ckpt");
    save_checkpoint(p, *m, {{"dataset", "mnist"}, {"seed", "41"}, {"note", "a,b \"c\"\n"}});
    const Loaded l = load_checkpoint(p);
    EXPECT_EQ(l.path, p);
    ASSERT_TRUE(l.model);
    EXPECT_EQ(l.model->name(), name);
    EXPECT_FALSE(l.model->is_training());
    expect_same_parameters(*m, *l.model);
    EXPECT_EQ(l.meta.at("model"), name);
    EXPECT_EQ(l.meta.at("dataset"), "mnist");
    EXPECT_EQ(l.meta.at("seed"), "41");
    EXPECT_EQ(l.meta.at("note"), "a,b \"c\"\n");
    EXPECT_EQ(l.meta.size(), 4u);
    EXPECT_FALSE(fs::exists(p + ".tmp"));
  }
}

TEST_F(CheckpointTest, BytesAreDeterministic) {
  torch::manual_seed(42);
  auto m = create("mnist_fc");
  save_checkpoint(path("a.ckpt"), *m, {{"seed", "42"}, {"dataset", "mnist"}});
  // Same model, metadata in another order, a clone: the same bytes.
  save_checkpoint(path("b.ckpt"), *m->clone_model(), {{"dataset", "mnist"}, {"seed", "42"}});
  const std::string a = read_bytes(path("a.ckpt"));
  EXPECT_EQ(a, read_bytes(path("b.ckpt")));
  // Saving what was loaded gives the same bytes again; overwriting in place works.
  auto l = load_checkpoint(path("a.ckpt"));
  save_checkpoint(path("a.ckpt"), *l.model, l.meta);
  EXPECT_EQ(a, read_bytes(path("a.ckpt")));
  // The layout starts with the magic and version 1, and has the documented size.
  ASSERT_GE(a.size(), 12u);
  EXPECT_EQ(a.substr(0, 8), "ARESCKPT");
  uint32_t version;
  std::memcpy(&version, a.data() + 8, 4);
  EXPECT_EQ(version, 1u);
  size_t expected = 8 + 4 + 4 + 4;  // magic, version, meta count, tensor count
  for (const auto& [k, v] : l.meta) expected += 8 + k.size() + v.size();
  for (const auto& p : m->named_parameters()) {
    expected +=
        4 + p.key().size() + 4 + 8 * size_t(p.value().dim()) + 4 * size_t(p.value().numel());
  }
  expected += 8;  // hash
  EXPECT_EQ(a.size(), expected);
}

TEST_F(CheckpointTest, CreatesParentDirectories) {
  torch::manual_seed(43);
  auto m = create("mnist_fc");
  const std::string p = path("x/y/z.ckpt");
  save_checkpoint(p, *m, {});
  expect_same_parameters(*m, *load_checkpoint(p).model);
}

TEST_F(CheckpointTest, UnwritablePathIsAnInputError) {
  torch::manual_seed(44);
  auto m = create("mnist_fc");
  write_bytes(path("file"), "x");
  // A regular file where a directory should be.
  EXPECT_THROW(save_checkpoint(path("file/sub/m.ckpt"), *m, {}), InputError);
}

TEST_F(CheckpointTest, MissingFileNamesThePath) {
  expect_input_error([&] { load_checkpoint(path("absent.ckpt")); }, {path("absent.ckpt")});
}

TEST_F(CheckpointTest, TruncatedFilesAreRejected) {
  torch::manual_seed(45);
  auto m = create("mnist_fc");
  save_checkpoint(path("full.ckpt"), *m, {{"dataset", "mnist"}});
  const std::string bytes = read_bytes(path("full.ckpt"));
  for (size_t keep : {size_t(0), size_t(5), size_t(8), size_t(23), size_t(24), size_t(60),
                      bytes.size() / 2, bytes.size() - 9, bytes.size() - 8, bytes.size() - 1}) {
    SCOPED_TRACE(keep);
    write_bytes(path("cut.ckpt"), bytes.substr(0, keep));
    expect_input_error([&] { load_checkpoint(path("cut.ckpt")); }, {path("cut.ckpt")});
  }
  // Extra bytes at the end are rejected too.
  write_bytes(path("long.ckpt"), bytes + std::string(8, '\0'));
  expect_input_error([&] { load_checkpoint(path("long.ckpt")); }, {path("long.ckpt")});
}

TEST_F(CheckpointTest, AnyCorruptedByteIsRejected) {
  torch::manual_seed(46);
  auto m = create("mnist_fc");
  save_checkpoint(path("full.ckpt"), *m, {{"dataset", "mnist"}});
  const std::string bytes = read_bytes(path("full.ckpt"));
  // Magic, version, metadata, a tensor name, a shape, weight data, the last weight, the hash.
  std::vector<size_t> positions = {0,
                                   7,
                                   8,
                                   13,
                                   20,
                                   30,
                                   60,
                                   100,
                                   1000,
                                   bytes.size() / 2,
                                   bytes.size() - 9,
                                   bytes.size() - 8,
                                   bytes.size() - 1};
  for (size_t pos : positions) {
    for (unsigned char x : {0x01, 0x80}) {
      SCOPED_TRACE(::testing::Message() << "byte " << pos << " ^ " << int(x));
      std::string bad = bytes;
      bad[pos] = static_cast<char>(bad[pos] ^ x);
      write_bytes(path("bad.ckpt"), bad);
      expect_input_error([&] { load_checkpoint(path("bad.ckpt")); }, {path("bad.ckpt")});
    }
  }
}

TEST_F(CheckpointTest, WrongMagicIsRejected) {
  write_bytes(path("other.bin"), std::string("PK\x03\x04") + std::string(100, 'x'));
  expect_input_error([&] { load_checkpoint(path("other.bin")); }, {path("other.bin"), "ARESCKPT"});
  write_bytes(path("empty.bin"), "");
  expect_input_error([&] { load_checkpoint(path("empty.bin")); }, {path("empty.bin")});
  // A directory is not a checkpoint.
  expect_input_error([&] { load_checkpoint(dir_.string()); }, {dir_.string()});
}

TEST_F(CheckpointTest, UnknownModelIsRejected) {
  StagedModel m("not_in_zoo", {4});
  m.add_stage("fc", {StageOptions::Op::kLinear, 4, 2});
  save_checkpoint(path("odd.ckpt"), m, {});
  expect_input_error([&] { load_checkpoint(path("odd.ckpt")); }, {path("odd.ckpt"), "not_in_zoo"});
}

TEST_F(CheckpointTest, MismatchedTensorsAreRejected) {
  // Claims to be mnist_fc but has other shapes.
  StagedModel m("mnist_fc", {1, 28, 28});
  m.add_stage("fc1", {StageOptions::Op::kLinear, 784, 30, 0, 0, true, true});
  m.add_stage("fc2", {StageOptions::Op::kLinear, 30, 10, 0, 0, false, true});
  m.add_stage("fc3", {StageOptions::Op::kLinear, 10, 10});
  save_checkpoint(path("shape.ckpt"), m, {});
  expect_input_error([&] { load_checkpoint(path("shape.ckpt")); }, {path("shape.ckpt"), "fc1"});
  // Fewer tensors than the model has.
  StagedModel few("mnist_fc", {1, 28, 28});
  few.add_stage("fc1", {StageOptions::Op::kLinear, 784, 300, 0, 0, true, true});
  save_checkpoint(path("few.ckpt"), few, {});
  expect_input_error([&] { load_checkpoint(path("few.ckpt")); }, {path("few.ckpt")});
}

TEST_F(CheckpointTest, NonFiniteWeightsAreRejected) {
  torch::manual_seed(47);
  for (float bad : {kNaN, kInf}) {
    auto m = create("mnist_fc");
    {
      torch::NoGradGuard no_grad;
      m->named_parameters()["fc2.weight"].view(-1)[17] = bad;
    }
    save_checkpoint(path("nan.ckpt"), *m, {});
    expect_input_error([&] { load_checkpoint(path("nan.ckpt")); },
                       {path("nan.ckpt"), "fc2.weight"});
  }
}

}  // namespace
}  // namespace ares::models

namespace ares::models {
namespace {

// cifar_vgg12 with non-trivial batch norm statistics: folding gives the same logits (float
// tolerance), removes every batch norm tensor, and the statistics survive a checkpoint.
TEST(BatchNormTest, FoldingKeepsOutputsAndCheckpointKeepsStatistics) {
  torch::manual_seed(21);
  auto m = create("cifar_vgg12");
  EXPECT_TRUE(m->has_batchnorm());
  {
    torch::NoGradGuard no_grad;
    for (auto& b : m->named_buffers()) {
      b.value().copy_(b.key().find("bn_var") != std::string::npos
                          ? torch::rand_like(b.value()) + 0.5
                          : torch::randn_like(b.value()) * 0.1);
    }
    for (auto& p : m->named_parameters()) {
      if (p.key().find("bn_") != std::string::npos)
        p.value().add_(torch::randn_like(p.value()) * 0.1);
    }
  }
  m->eval();
  auto folded = m->fold_batchnorm();
  folded->eval();
  EXPECT_FALSE(folded->has_batchnorm());
  for (const auto& p : folded->named_parameters())
    EXPECT_EQ(p.key().find("bn_"), std::string::npos);
  EXPECT_EQ(folded->named_buffers().size(), 0u);
  c10::InferenceMode guard;
  auto x = torch::rand({3, 3, 32, 32});
  auto a = m->forward(x), b = folded->forward(x);
  EXPECT_TRUE(torch::allclose(a, b, 1e-4, 1e-4)) << (a - b).abs().max().item<float>();

  auto dir = std::filesystem::path(::testing::TempDir()) / "ares_bn_ckpt";
  std::filesystem::create_directories(dir);
  auto path = (dir / "vgg.ckpt").string();
  save_checkpoint(path, *m, {{"dataset", "cifar-10"}});
  auto loaded = load_checkpoint(path);
  auto c = loaded.model->forward(x);
  EXPECT_TRUE(torch::equal(a, c));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ares::models
