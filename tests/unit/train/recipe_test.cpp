// The training recipe: optimizer, weight decay, learning-rate schedule with warm-up and the
// crop-flip augmentation, in process on tiny CIFAR-shaped data (3 x 32 x 32). The schedule
// and the augmentation are checked against their definitions, a whole SGD run against a
// reference loop written from PyTorch's update rule, and the defaults against the plain Adam
// loop Ares trained with before the recipe existed.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "../expect_input_error.h"
#include "../same_bits.h"
#include "ares/fault/rng.h"
#include "ares/train/augment.h"
#include "ares/train/schedule.h"
#include "ares/train/train.h"

namespace ares::train {
namespace {

using Op = models::StageOptions::Op;

// 3x32x32 -> conv (3 -> 4, 3x3, ReLU, max-pool 4) -> fc (256 -> 10): CIFAR-shaped, and small
// enough for a few epochs in well under a second.
std::shared_ptr<models::StagedModel> tiny_cifar(uint64_t seed) {
  torch::manual_seed(seed);
  auto m = std::make_shared<models::StagedModel>("tiny_cifar", std::vector<int64_t>{3, 32, 32});
  m->add_stage("conv", {Op::kConv2d, 3, 4, 3, 1, false, /*relu=*/true, /*pool=*/4});
  m->add_stage("fc", {Op::kLinear, 4 * 8 * 8, 10, 0, 0, /*flatten=*/true, false});
  return m;
}

data::Split cifar_like(int64_t n) {
  torch::manual_seed(42);
  data::Split s;
  s.train.images = torch::rand({n, 3, 32, 32});
  s.train.labels = torch::randint(0, 10, {n}, torch::kInt64);
  s.test.images = torch::rand({16, 3, 32, 32});
  s.test.labels = torch::randint(0, 10, {16}, torch::kInt64);
  s.train.source = s.test.source = "cifar-like";
  return s;
}

std::vector<torch::Tensor> params_of(const models::StagedModel& m) {
  std::vector<torch::Tensor> out;
  for (const auto& p : m.parameters()) out.push_back(p.detach().clone());
  return out;
}

bool same_params(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!ares::testing::same_bits(a[i], b[i])) return false;
  }
  return true;
}

// The paper's recipe, everything on: SGD with Nesterov momentum, weight decay, cosine after
// a warm-up epoch, crop-flip.
TrainOptions full_recipe() {
  return TrainOptions()
      .epochs(3)
      .batch_size(16)
      .seed(5)
      .progress(false)
      .optimizer("sgd")
      .learning_rate(0.05)
      .momentum(0.9)
      .nesterov(true)
      .weight_decay(5e-4)
      .schedule("cosine")
      .warmup_epochs(1)
      .augment("crop-flip");
}

// --- the schedule --------------------------------------------------------------------------

TEST(TrainScheduleTest, ParsesAndPrintsCanonically) {
  EXPECT_EQ(Schedule::parse("constant").kind, Schedule::Kind::kConstant);
  EXPECT_EQ(Schedule::parse("cosine").kind, Schedule::Kind::kCosine);
  const auto s = Schedule::parse("step:30:1e-1");
  EXPECT_EQ(s.kind, Schedule::Kind::kStep);
  EXPECT_EQ(s.every, 30);
  EXPECT_EQ(s.gamma, 0.1);
  EXPECT_EQ(s.spec(), "step:30:0.1");
  EXPECT_EQ(Schedule::parse(s.spec()).spec(), s.spec());
  EXPECT_EQ(Schedule::parse("cosine").spec(), "cosine");
}

TEST(TrainScheduleTest, LearningRateAtFollowsTheDefinition) {
  const int64_t spe = 10;  // steps per epoch
  // Constant, no warm-up: the base rate itself, everywhere.
  auto o = TrainOptions().epochs(10).learning_rate(0.1);
  for (int e : {0, 4, 9}) {
    for (int64_t s : {0, 5, 9}) EXPECT_EQ(learning_rate_at(o, e, s, spe), 0.1);
  }
  // Warm-up over 2 epochs (20 steps): lr * (g + 1) / 20, from lr / 20 up to lr exactly.
  o.warmup_epochs(2);
  EXPECT_EQ(learning_rate_at(o, 0, 0, spe), 0.1 / 20);
  EXPECT_EQ(learning_rate_at(o, 0, 9, spe), 0.1 * 10 / 20);
  EXPECT_EQ(learning_rate_at(o, 1, 9, spe), 0.1);
  EXPECT_EQ(learning_rate_at(o, 2, 0, spe), 0.1);
  // Step decay by 1/2 every 3 epochs, epochs counted from the start: 0.1 in epochs 0-2, then
  // 0.05, 0.025, 0.0125, the same at every step of an epoch; after a warm-up too.
  o.warmup_epochs(0).schedule("step:3:0.5");
  const std::vector<std::pair<int, double>> steps = {{0, 0.1},   {2, 0.1},   {3, 0.05},  {5, 0.05},
                                                     {6, 0.025}, {8, 0.025}, {9, 0.0125}};
  for (const auto& [epoch, lr] : steps) {
    SCOPED_TRACE(epoch);
    EXPECT_EQ(learning_rate_at(o, epoch, 0, spe), lr);
    EXPECT_EQ(learning_rate_at(o, epoch, 9, spe), lr);
  }
  o.warmup_epochs(1);
  EXPECT_EQ(learning_rate_at(o, 0, 4, spe), 0.1 * 5 / 10);
  EXPECT_EQ(learning_rate_at(o, 1, 0, spe), 0.1);
  EXPECT_EQ(learning_rate_at(o, 3, 0, spe), 0.05);
  // Cosine over 4 epochs = 40 steps: lr at the start, lr / 2 at the midpoint, lr (1 +- cos
  // (pi / 4)) / 2 at the quarters, per step.
  o.warmup_epochs(0).schedule("cosine").epochs(4);
  EXPECT_EQ(learning_rate_at(o, 0, 0, spe), 0.1);
  EXPECT_EQ(learning_rate_at(o, 2, 0, spe), 0.05);
  EXPECT_DOUBLE_EQ(learning_rate_at(o, 1, 0, spe), 0.1 * (1 + std::sqrt(0.5)) / 2);
  EXPECT_DOUBLE_EQ(learning_rate_at(o, 3, 0, spe), 0.1 * (1 - std::sqrt(0.5)) / 2);
  EXPECT_DOUBLE_EQ(learning_rate_at(o, 3, 9, spe),
                   0.1 * (1 + std::cos(std::acos(-1.0) * 39 / 40)) / 2);
  EXPECT_GT(learning_rate_at(o, 0, 1, spe), learning_rate_at(o, 0, 2, spe));  // every step
  // Cosine after 1 warm-up epoch of 5: the cosine runs over the last 40 steps.
  o.epochs(5).warmup_epochs(1);
  EXPECT_EQ(learning_rate_at(o, 0, 0, spe), 0.1 / 10);
  EXPECT_EQ(learning_rate_at(o, 0, 9, spe), 0.1);
  EXPECT_EQ(learning_rate_at(o, 1, 0, spe), 0.1);
  EXPECT_EQ(learning_rate_at(o, 3, 0, spe), 0.05);
}

// --- the augmentation ----------------------------------------------------------------------

torch::Tensor from_rows(const std::vector<std::vector<float>>& rows) {
  const int64_t h = int64_t(rows.size()), w = int64_t(rows[0].size());
  auto t = torch::empty({1, h, w});
  for (int64_t y = 0; y < h; ++y) {
    for (int64_t x = 0; x < w; ++x) t[0][y][x] = rows[y][x];
  }
  return t;
}

TEST(TrainAugmentTest, CropShiftsWithZeroFillAndFlipReversesColumns) {
  const auto img = from_rows({{1, 2, 3}, {4, 5, 6}, {7, 8, 9}});
  auto same = [](const torch::Tensor& a, const torch::Tensor& b) {
    return ares::testing::same_bits(a, b);
  };
  // Padding 1: the corner (1, 1) is the image itself.
  EXPECT_TRUE(same(apply_crop_flip(img, {1, 1, false}, 1), img));
  EXPECT_TRUE(
      same(apply_crop_flip(img, {1, 1, true}, 1), from_rows({{3, 2, 1}, {6, 5, 4}, {9, 8, 7}})));
  // (0, 0): out[y][x] = img[y - 1][x - 1], the image moved down and right, zeros come in.
  EXPECT_TRUE(
      same(apply_crop_flip(img, {0, 0, false}, 1), from_rows({{0, 0, 0}, {0, 1, 2}, {0, 4, 5}})));
  // (0, 2): down and left; flipped after the crop.
  EXPECT_TRUE(
      same(apply_crop_flip(img, {0, 2, false}, 1), from_rows({{0, 0, 0}, {2, 3, 0}, {5, 6, 0}})));
  EXPECT_TRUE(
      same(apply_crop_flip(img, {0, 2, true}, 1), from_rows({{0, 0, 0}, {0, 3, 2}, {0, 6, 5}})));
  // (2, 1): up.
  EXPECT_TRUE(
      same(apply_crop_flip(img, {2, 1, false}, 1), from_rows({{4, 5, 6}, {7, 8, 9}, {0, 0, 0}})));

  // Padding 4 on 3 channels of 8 x 8, every offset: the definition, value by value.
  torch::manual_seed(1);
  const auto big = torch::rand({3, 8, 8});
  for (int64_t dy = 0; dy <= 8; ++dy) {
    for (int64_t dx = 0; dx <= 8; ++dx) {
      for (bool flip : {false, true}) {
        SCOPED_TRACE(std::to_string(dy) + "," + std::to_string(dx) + "," + std::to_string(flip));
        const auto out = apply_crop_flip(big, {dy, dx, flip});
        ASSERT_EQ(out.sizes(), big.sizes());
        auto expected = torch::zeros_like(big);
        for (int64_t c = 0; c < 3; ++c) {
          for (int64_t y = 0; y < 8; ++y) {
            for (int64_t x = 0; x < 8; ++x) {
              const int64_t sy = y + dy - 4, sx = (flip ? 7 - x : x) + dx - 4;
              if (sy >= 0 && sy < 8 && sx >= 0 && sx < 8) expected[c][y][x] = big[c][sy][sx];
            }
          }
        }
        ASSERT_TRUE(same(out, expected));
      }
    }
  }
}

TEST(TrainAugmentTest, DrawsThreeValuesInOrderAndCoversEveryOffset) {
  std::vector<int> dy_seen(9), dx_seen(9), flips(2);
  for (uint64_t k = 0; k < 400; ++k) {
    fault::Rng rng(fault::stream_key(3, {k}));
    fault::Rng copy = rng;
    const CropFlip t = draw_crop_flip(rng);
    EXPECT_EQ(t.dy, int64_t(copy.uniform(9)));
    EXPECT_EQ(t.dx, int64_t(copy.uniform(9)));
    EXPECT_EQ(t.flip, copy.uniform(2) == 1);
    EXPECT_EQ(rng.position(), copy.position());
    ++dy_seen[t.dy];
    ++dx_seen[t.dx];
    ++flips[t.flip];
  }
  for (int i = 0; i < 9; ++i) {
    EXPECT_GT(dy_seen[i], 0) << i;
    EXPECT_GT(dx_seen[i], 0) << i;
  }
  EXPECT_GT(flips[0], 150);
  EXPECT_GT(flips[1], 150);
}

TEST(TrainAugmentTest, BatchIsIndependentOfBatchingAndOrder) {
  const auto data = cifar_like(64);
  const auto idx = torch::randperm(64, torch::kInt64);
  const auto images = data.train.images.index_select(0, idx);
  const auto whole = augment_batch(images, idx, 7, 2);
  for (int64_t batch : {1, 5, 16}) {
    SCOPED_TRACE(batch);
    std::vector<torch::Tensor> parts;
    for (int64_t s = 0; s < 64; s += batch) {
      const int64_t len = std::min<int64_t>(batch, 64 - s);
      parts.push_back(augment_batch(images.narrow(0, s, len), idx.narrow(0, s, len), 7, 2));
    }
    EXPECT_TRUE(ares::testing::same_bits(torch::cat(parts), whole));
  }
  // A sample's transform follows its index, wherever it sits in the batch.
  const auto rev = torch::arange(63, -1, -1, torch::kInt64);
  EXPECT_TRUE(ares::testing::same_bits(
      augment_batch(images.index_select(0, rev), idx.index_select(0, rev), 7, 2),
      whole.index_select(0, rev)));
  // Other epochs and seeds draw other transforms; most samples move.
  EXPECT_FALSE(ares::testing::same_bits(augment_batch(images, idx, 7, 3), whole));
  EXPECT_FALSE(ares::testing::same_bits(augment_batch(images, idx, 8, 2), whole));
  int64_t changed = 0;
  for (int64_t i = 0; i < 64; ++i) changed += !torch::equal(whole[i], images[i]);
  EXPECT_GT(changed, 48);
}

// --- training ------------------------------------------------------------------------------

TEST(TrainRecipeTest, SameSeedGivesTheSameParametersBitForBit) {
  const auto data = cifar_like(64);
  auto a = tiny_cifar(11), b = tiny_cifar(11), c = tiny_cifar(11);
  const auto initial = params_of(*a);
  const auto ra = train_model(*a, data, full_recipe());
  const auto rb = train_model(*b, data, full_recipe());
  EXPECT_TRUE(same_params(params_of(*a), params_of(*b)));
  EXPECT_EQ(ra.final_loss, rb.final_loss);
  EXPECT_EQ(ra.test_error, rb.test_error);
  EXPECT_FALSE(same_params(params_of(*a), initial));
  // Another seed shuffles and augments otherwise (the initial weights here are the same).
  train_model(*c, data, full_recipe().seed(6));
  EXPECT_FALSE(same_params(params_of(*c), params_of(*a)));
  // The augmentation is used: without it the same seed trains other weights.
  auto d = tiny_cifar(11);
  train_model(*d, data, full_recipe().augment("none"));
  EXPECT_FALSE(same_params(params_of(*d), params_of(*a)));
}

// The training loop written out with PyTorch's SGD update rule (weight decay, momentum buffer,
// Nesterov, dampening 0) and learning_rate_at: what train_model's optimizer must do.
std::vector<torch::Tensor> reference_sgd(models::StagedModel& m, const data::Split& data,
                                         const TrainOptions& o) {
  torch::manual_seed(o.seed_);
  const int64_t n = data.train.size(), spe = (n + o.batch_size_ - 1) / o.batch_size_;
  fault::Rng rng(fault::stream_key(o.seed_, {0x7472616eull}));
  std::vector<int64_t> order(n);
  auto params = m.parameters();
  std::vector<torch::Tensor> buf(params.size());
  m.train();
  for (int epoch = 0; epoch < o.epochs_; ++epoch) {
    for (int64_t i = 0; i < n; ++i) order[i] = i;
    for (int64_t i = n - 1; i > 0; --i) std::swap(order[i], order[rng.uniform(uint64_t(i) + 1)]);
    auto perm = torch::from_blob(order.data(), {n}, torch::kInt64);
    for (int64_t s = 0; s < spe; ++s) {
      auto idx = perm.slice(0, s * o.batch_size_, std::min(n, (s + 1) * o.batch_size_));
      auto x = data.train.images.index_select(0, idx);
      if (o.augment_ != "none") x = augment_batch(x, idx, o.seed_, epoch);
      for (auto& p : params) p.mutable_grad() = torch::Tensor();
      torch::nn::functional::cross_entropy(m.forward(x), data.train.labels.index_select(0, idx))
          .backward();
      const double lr = learning_rate_at(o, epoch, s, spe);
      torch::NoGradGuard no_grad;
      for (size_t k = 0; k < params.size(); ++k) {
        auto d = params[k].grad();
        if (o.weight_decay_ != 0) d = d.add(params[k], o.weight_decay_);
        if (o.momentum_ != 0) {
          if (!buf[k].defined()) {
            buf[k] = d.clone();
          } else {
            buf[k].mul_(o.momentum_).add_(d, 1);
          }
          d = o.nesterov_ ? d.add(buf[k], o.momentum_) : buf[k];
        }
        params[k].add_(d, -1 * lr);
      }
    }
  }
  return params_of(m);
}

TEST(TrainRecipeTest, SgdFollowsTheUpdateRuleAndTheScheduleStepByStep) {
  const auto data = cifar_like(64);
  for (const char* schedule : {"cosine", "step:1:0.5"}) {
    SCOPED_TRACE(schedule);
    const auto o = full_recipe().schedule(schedule);
    auto a = tiny_cifar(11), r = tiny_cifar(11);
    train_model(*a, data, o);
    EXPECT_TRUE(same_params(params_of(*a), reference_sgd(*r, data, o)));
  }
  // Plain SGD (no momentum, no decay), constant rate.
  const auto plain = full_recipe()
                         .momentum(0)
                         .nesterov(false)
                         .weight_decay(0)
                         .schedule("constant")
                         .warmup_epochs(0);
  auto a = tiny_cifar(12), r = tiny_cifar(12);
  train_model(*a, data, plain);
  EXPECT_TRUE(same_params(params_of(*a), reference_sgd(*r, data, plain)));
}

// Ares's training loop before the recipe existed: Adam at a constant rate, no augmentation.
std::vector<torch::Tensor> reference_adam(models::StagedModel& m, const data::Split& data,
                                          const TrainOptions& o) {
  torch::manual_seed(o.seed_);
  const int64_t n = data.train.size(), spe = (n + o.batch_size_ - 1) / o.batch_size_;
  torch::optim::Adam opt(m.parameters(), torch::optim::AdamOptions(o.learning_rate_));
  fault::Rng rng(fault::stream_key(o.seed_, {0x7472616eull}));
  std::vector<int64_t> order(n);
  m.train();
  for (int epoch = 0; epoch < o.epochs_; ++epoch) {
    for (int64_t i = 0; i < n; ++i) order[i] = i;
    for (int64_t i = n - 1; i > 0; --i) std::swap(order[i], order[rng.uniform(uint64_t(i) + 1)]);
    auto perm = torch::from_blob(order.data(), {n}, torch::kInt64);
    for (int64_t s = 0; s < spe; ++s) {
      auto idx = perm.slice(0, s * o.batch_size_, std::min(n, (s + 1) * o.batch_size_));
      opt.zero_grad();
      torch::nn::functional::cross_entropy(m.forward(data.train.images.index_select(0, idx)),
                                           data.train.labels.index_select(0, idx))
          .backward();
      opt.step();
    }
  }
  return params_of(m);
}

TEST(TrainRecipeTest, DefaultsTrainAsThePlainAdamLoop) {
  const auto data = cifar_like(64);
  const auto defaults = TrainOptions().epochs(2).batch_size(16).seed(5).progress(false);
  auto a = tiny_cifar(11), b = tiny_cifar(11), r = tiny_cifar(11);
  train_model(*a, data, defaults);
  EXPECT_TRUE(same_params(params_of(*a), reference_adam(*r, data, defaults)));
  auto spelled = defaults;
  spelled.optimizer("adam").momentum(0).nesterov(false).weight_decay(0).schedule("constant");
  train_model(*b, data, spelled.warmup_epochs(0).augment("none"));
  EXPECT_TRUE(same_params(params_of(*a), params_of(*b)));
  // Adam with weight decay is another run.
  auto c = tiny_cifar(11);
  auto decay = defaults;
  train_model(*c, data, decay.weight_decay(1e-2));
  EXPECT_FALSE(same_params(params_of(*c), params_of(*a)));
}

// --- what the recipe says about itself ----------------------------------------------------

TEST(TrainRecipeTest, MetadataAndDescription) {
  const std::vector<std::pair<std::string, std::string>> defaults = {
      {"optimizer", "adam"}, {"momentum", "0"},        {"nesterov", "false"},
      {"weight_decay", "0"}, {"schedule", "constant"}, {"warmup_epochs", "0"},
      {"augment", "none"}};
  EXPECT_EQ(recipe_metadata(TrainOptions()), defaults);
  const auto full = recipe_metadata(full_recipe().schedule("step:30:1e-1"));
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"optimizer", "sgd"},       {"momentum", "0.9"},         {"nesterov", "true"},
      {"weight_decay", "0.0005"}, {"schedule", "step:30:0.1"}, {"warmup_epochs", "1"},
      {"augment", "crop-flip"}};
  EXPECT_EQ(full, expected);
  EXPECT_EQ(describe_recipe(TrainOptions()), "Adam lr 0.001");
  EXPECT_EQ(describe_recipe(TrainOptions().epochs(9).warmup_epochs(5).weight_decay(1e-4)),
            "Adam lr 0.001, weight decay 0.0001, 5 warm-up epochs");
  EXPECT_EQ(describe_recipe(full_recipe().learning_rate(0.1)),
            "SGD lr 0.1, momentum 0.9, Nesterov, weight decay 0.0005, cosine schedule, 1 "
            "warm-up epoch, crop-flip augmentation");
}

TEST(TrainRecipeTest, BadSettingsAreOneLineInputErrorsNamingTheFlag) {
  using ares::testing::expect_input_error;
  const auto model = tiny_cifar(1);
  auto sgd = [] { return TrainOptions().epochs(3).optimizer("sgd"); };
  const std::vector<std::pair<TrainOptions, std::vector<std::string>>> cases = {
      {TrainOptions().optimizer("rmsprop"), {"train: --optimizer 'rmsprop' is not adam or sgd"}},
      {TrainOptions().momentum(0.9), {"train: --momentum applies to --optimizer sgd only"}},
      {TrainOptions().nesterov(true), {"train: --nesterov applies to --optimizer sgd only"}},
      {sgd().momentum(-0.5), {"train: --momentum must be a number >= 0, got -0.5"}},
      {sgd().nesterov(true), {"train: --nesterov needs --momentum > 0, got 0"}},
      {sgd().weight_decay(-1e-4), {"train: --weight-decay must be a number >= 0, got -0.0001"}},
      {sgd().weight_decay(NAN), {"--weight-decay must be a number >= 0"}},
      {sgd().schedule("linear"),
       {"train: --schedule 'linear': expected constant, cosine or step:EVERY:GAMMA"}},
      {sgd().schedule("step:30"), {"--schedule 'step:30': expected constant, cosine"}},
      {sgd().schedule("step:0:0.1"), {"--schedule 'step:0:0.1'", "EVERY must be an integer >= 1"}},
      {sgd().schedule("step:2.5:0.1"), {"EVERY must be an integer >= 1 (epochs), got '2.5'"}},
      {sgd().schedule("step:30:-1"), {"GAMMA must be a number > 0, got '-1'"}},
      {sgd().schedule("step:30:x"), {"GAMMA must be a number > 0, got 'x'"}},
      {sgd().warmup_epochs(3), {"train: --warmup must be >= 0 and less than --epochs (3), got 3"}},
      {sgd().warmup_epochs(-1), {"--warmup must be >= 0", "got -1"}},
      {sgd().augment("mixup"), {"train: --augment 'mixup' is not none or crop-flip"}},
  };
  for (const auto& [o, parts] : cases) {
    SCOPED_TRACE(parts[0]);
    expect_input_error([&] { check_recipe(o, *model); }, parts);
  }
  expect_input_error([&] { check_recipe(sgd().schedule("x"), *model, "study"); },
                     {"study: --schedule 'x'"});
  // Crop-flip needs images: a model that takes vectors refuses it.
  auto vec = std::make_shared<models::StagedModel>("vec", std::vector<int64_t>{16});
  vec->add_stage("fc", {Op::kLinear, 16, 10, 0, 0, false, false});
  expect_input_error(
      [&] { check_recipe(TrainOptions().augment("crop-flip"), *vec); },
      {"train: --augment crop-flip needs images (C x H x W) but model vec takes [16]"});
  check_recipe(full_recipe(), *model);  // the paper's recipe is fine
  // train_model checks before training, and looks at the data when the model has no input
  // shape (a TorchScript model's).
  auto any = std::make_shared<models::StagedModel>("any", std::vector<int64_t>{});
  any->add_stage("fc", {Op::kLinear, 16, 10, 0, 0, false, false});
  data::Split vectors;
  vectors.train.images = vectors.test.images = torch::rand({8, 16});
  vectors.train.labels = vectors.test.labels = torch::zeros({8}, torch::kInt64);
  vectors.train.source = "vectors";
  expect_input_error([&] { train_model(*any, vectors, TrainOptions().augment("crop-flip")); },
                     {"train: --augment crop-flip needs images (N x C x H x W) but vectors holds "
                      "[8, 16]"});
  expect_input_error([&] { train_model(*model, cifar_like(8), sgd().schedule("step:1")); },
                     {"train: --schedule 'step:1'"});
}

}  // namespace
}  // namespace ares::train
