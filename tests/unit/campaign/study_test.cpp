// campaign::run_study in process, on a tiny generated IDX dataset: it trains the instances,
// runs the main and per-bit campaigns with the rows a plain campaign over its checkpoints
// gives, writes the report, and a rerun reuses the checkpoints and the stored trials.

#include "ares/campaign/study.h"

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "ares/campaign/campaign.h"
#include "ares/campaign/store.h"
#include "ares/data/dataset.h"
#include "ares/models/checkpoint.h"
#include "ares/train/train.h"

namespace ares::campaign {
namespace {

namespace fs = std::filesystem;

class StudyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("ares_study_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "data");
    torch::manual_seed(9);
    auto write = [&](const char* prefix, int64_t n) {
      data::write_idx((dir_ / "data" / (std::string(prefix) + "-images-idx3-ubyte")).string(),
                      torch::randint(0, 256, {n, 28, 28}, torch::kInt64).to(torch::kUInt8));
      data::write_idx((dir_ / "data" / (std::string(prefix) + "-labels-idx1-ubyte")).string(),
                      torch::randint(0, 10, {n}, torch::kInt64).to(torch::kUInt8));
    };
    write("train", 64);
    write("t10k", 40);
  }
  void TearDown() override { fs::remove_all(dir_); }

  StudyOptions options() const {
    StudyOptions o;
    o.model = "mnist_fc";
    o.dataset = (dir_ / "data").string();
    o.instances = 2;
    o.seed = 3;
    o.training = train::TrainOptions().epochs(1).batch_size(16).progress(false);
    o.campaign.configs = {{"q2.6-2c", "none"}};
    o.campaign.bers = {1e-3, 1e-2};
    o.campaign.trials = 2;
    o.campaign.progress = false;
    o.per_bit = true;
    o.out = (dir_ / "study").string();
    o.report_options.plots(false);
    o.progress = false;
    return o;
  }
  fs::path dir_;
};

std::vector<TrialRow> stored_rows(const std::string& dir) {
  return load_result(*ResultStore::open_read_only(dir + "/campaign.db")).rows;
}

TEST_F(StudyTest, TrainsRunsTheCampaignsAndResumes) {
  int trained = 0;
  StudyOptions o = options();
  o.on_trained = [&](const TrainedInstance& inst) {
    EXPECT_TRUE(inst.written);
    ++trained;
  };
  const StudyResult res = run_study(o);
  EXPECT_EQ(trained, 2);
  ASSERT_TRUE(res.diverged.empty());
  ASSERT_EQ(res.checkpoints.size(), 2u);
  EXPECT_EQ(fs::path(res.checkpoints[1]).filename(), "mnist_fc-s4.ckpt");
  for (const auto& c : res.checkpoints) EXPECT_TRUE(fs::is_regular_file(c)) << c;
  ASSERT_EQ(res.campaigns.size(), 2u);  // the main campaign, then per bit
  EXPECT_EQ(fs::path(res.campaigns[1]).filename(), "bits");
  EXPECT_TRUE(fs::is_regular_file(res.report.files.html));
  EXPECT_EQ(res.report.analysis.curves.size(), 2u * (1 + 8));  // 2 instances x (1 + 8 bits)

  // The main campaign's rows are a plain campaign's over the same checkpoints.
  CampaignSpec plain = o.campaign;
  plain.checkpoints = res.checkpoints;
  const CampaignResult direct = run_campaign(plain);
  const auto rows = stored_rows(res.campaigns[0]);
  ASSERT_EQ(rows.size(), direct.rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].stream, direct.rows[i].stream);
    EXPECT_EQ(rows[i].faults, direct.rows[i].faults);
    EXPECT_EQ(rows[i].errors, direct.rows[i].errors);
  }
  EXPECT_EQ(stored_rows(res.campaigns[1]).size(), 2u * 8 * 2 * 2);

  // A rerun trains nothing and finds every trial stored.
  trained = 0;
  const StudyResult again = run_study(o);
  EXPECT_EQ(trained, 0);
  const auto rows_again = stored_rows(again.campaigns[0]);
  ASSERT_EQ(rows_again.size(), rows.size());
  for (size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(rows_again[i].errors, rows[i].errors);
}

TEST_F(StudyTest, RetrainsForAnotherRecipe) {
  int trained = 0;
  StudyOptions o = options();
  o.per_bit = false;
  o.report = false;
  o.campaign.bers = {1e-2};
  o.campaign.trials = 1;
  o.on_trained = [&](const TrainedInstance&) { ++trained; };
  const auto run = [&](const StudyOptions& study) {
    // The campaign's store is bound to the checkpoints' bytes: retrained instances need a
    // fresh one.
    fs::remove_all(fs::path(study.out) / "campaign");
    trained = 0;
    run_study(study);
    return trained;
  };
  EXPECT_EQ(run(o), 2);
  StudyOptions sgd = o;
  sgd.training.optimizer("sgd").learning_rate(0.05).momentum(0.9).weight_decay(5e-4);
  EXPECT_EQ(run(sgd), 2);
  const auto meta = models::load_checkpoint(study_checkpoints(o)[1]).meta;
  EXPECT_EQ(meta.at("optimizer"), "sgd");
  EXPECT_EQ(meta.at("momentum"), "0.9");
  EXPECT_EQ(meta.at("weight_decay"), "0.0005");
  EXPECT_EQ(run(sgd), 0);  // the same recipe again: reused
}

TEST(TrainedAsTest, ComparesDatasetSeedAndEveryTrainingSetting) {
  // Each recipe below differs from the one before it in one setting.
  std::vector<train::TrainOptions> recipes = {train::TrainOptions().epochs(1)};
  auto next = [&](const std::function<void(train::TrainOptions&)>& change) {
    train::TrainOptions r = recipes.back();
    change(r);
    recipes.push_back(r);
  };
  next([](auto& r) { r.optimizer("sgd"); });
  next([](auto& r) { r.momentum(0.9); });
  next([](auto& r) { r.nesterov(true); });
  next([](auto& r) { r.weight_decay(5e-4); });
  next([](auto& r) { r.schedule("cosine"); });
  next([](auto& r) { r.schedule("step:1:0.5"); });
  next([](auto& r) { r.schedule("step:1:0.25"); });
  next([](auto& r) { r.schedule("step:2:0.25"); });
  next([](auto& r) { r.epochs(2); });
  next([](auto& r) { r.warmup_epochs(1); });
  next([](auto& r) { r.augment("crop-flip"); });
  next([](auto& r) { r.batch_size(32); });
  next([](auto& r) { r.learning_rate(0.1); });
  next([](auto& r) { r.limit(100); });
  const auto meta_of = [](const train::TrainOptions& r) {
    models::Metadata m = {{"dataset", "d"},
                          {"epochs", std::to_string(r.epochs_)},
                          {"seed", "3"},
                          {"batch", std::to_string(r.batch_size_)},
                          {"learning_rate", std::to_string(r.learning_rate_)},
                          {"train_limit", std::to_string(r.limit_)}};
    for (const auto& [key, value] : train::recipe_metadata(r)) m[key] = value;
    return m;
  };
  for (size_t i = 0; i < recipes.size(); ++i) {
    SCOPED_TRACE(train::describe_recipe(recipes[i]));
    const auto meta = meta_of(recipes[i]);
    EXPECT_TRUE(trained_as(meta, "d", recipes[i], 3));
    EXPECT_FALSE(trained_as(meta, "e", recipes[i], 3));
    EXPECT_FALSE(trained_as(meta, "d", recipes[i], 4));
    if (i > 0) {
      EXPECT_FALSE(trained_as(meta, "d", recipes[i - 1], 3));
      EXPECT_FALSE(trained_as(meta_of(recipes[i - 1]), "d", recipes[i], 3));
    }
  }
  // The schedule compares in its canonical form.
  EXPECT_TRUE(trained_as(meta_of(recipes[6]), "d",
                         train::TrainOptions(recipes[6]).schedule("step:1:5e-1"), 3));
  // Checkpoints from before the recipe was recorded count as trained with the defaults.
  const models::Metadata old = {{"dataset", "d"},
                                {"epochs", "1"},
                                {"seed", "3"},
                                {"batch", "64"},
                                {"learning_rate", "0.001000"},
                                {"train_limit", "0"}};
  EXPECT_TRUE(trained_as(old, "d", recipes[0], 3));
  EXPECT_FALSE(trained_as(old, "d", recipes[1], 3));
  EXPECT_FALSE(trained_as(old, "d", train::TrainOptions().epochs(1).augment("crop-flip"), 3));
  EXPECT_FALSE(trained_as({}, "d", recipes[0], 3));
}

TEST(PerBitSpecTest, OneConfigurationPerBitMostSignificantFirst) {
  CampaignSpec s;
  s.checkpoints = {"m.ckpt"};
  s.configs = {{"q2.6-2c", "none"}, {"q2.6-2c", "sign"}, {"fp16", "none"}};
  s.bers = {1e-3};
  const CampaignSpec bits = per_bit_spec(s);
  ASSERT_EQ(bits.configs.size(), 8u + 16u);            // each format once
  EXPECT_EQ(bits.configs[0].protection, "mask:0x7f");  // bit 7 alone faultable
  EXPECT_EQ(bits.configs[7].protection, "mask:0xfe");
  EXPECT_EQ(bits.configs[8].format, "fp16");
  EXPECT_EQ(bits.configs[8].protection, "mask:0x7fff");
}

}  // namespace
}  // namespace ares::campaign
