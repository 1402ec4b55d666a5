#include "ares/campaign/campaign.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "../expect_input_error.h"
#include "ares/analysis/threshold.h"
#include "ares/campaign/in_memory.h"
#include "ares/campaign/spec.h"
#include "ares/campaign/store.h"
#include "ares/common/error.h"
#include "ares/data/dataset.h"
#include "ares/format/format.h"
#include "ares/inject/weight_faults.h"
#include "ares/models/checkpoint.h"
#include "ares/models/evaluate.h"
#include "ares/models/registry.h"

namespace ares::campaign {
namespace {

namespace fs = std::filesystem;

using ares::testing::expect_input_error;

// ---- spec --------------------------------------------------------------------------------

CampaignSpec valid_spec() {
  CampaignSpec s;
  s.checkpoints = {"m.ckpt"};
  s.configs = {{"q2.6-2c", "none"}};
  s.bers = {1e-6, 1e-5, 1e-4};
  s.trials = 3;
  return s;
}

TEST(SpecTest, ValidSpecPasses) {
  EXPECT_NO_THROW(valid_spec().validate());
  CampaignSpec s = valid_spec();
  s.bers = {1.0};
  EXPECT_NO_THROW(s.validate());
  for (const char* e : {"fast", "prefix", "reference"}) {
    s.engine = parse_engine(e);
    EXPECT_NO_THROW(s.validate()) << e;
  }
}

TEST(SpecTest, DefaultsFollowThePaper) {
  CampaignSpec s;
  EXPECT_EQ(s.trials, 20);
  EXPECT_EQ(s.engine, Engine::kFast);
  EXPECT_EQ(s.targets, (std::vector<std::string>{"*"}));
  EXPECT_EQ(s.semantics, fault::Semantics::kBernoulli);
  EXPECT_EQ(s.levels, (std::vector<double>{0.5, 1.0, 5.0, 10.0}));
}

TEST(SpecTest, InvalidFieldsAreNamed) {
  struct Case {
    const char* what;
    void (*edit)(CampaignSpec&);
    const char* expect;
  };
  const Case cases[] = {
      {"BER 0",
       [](CampaignSpec& s) {
         s.bers = {0.0, 1e-3};
       },
       "BER"},
      {"BER > 1",
       [](CampaignSpec& s) {
         s.bers = {1e-3, 1.5};
       },
       "BER"},
      {"negative BER", [](CampaignSpec& s) { s.bers = {-1e-3}; }, "BER"},
      {"NaN BER", [](CampaignSpec& s) { s.bers = {std::nan("")}; }, "BER"},
      {"unsorted BERs",
       [](CampaignSpec& s) {
         s.bers = {1e-4, 1e-5};
       },
       "ascending"},
      {"repeated BER",
       [](CampaignSpec& s) {
         s.bers = {1e-4, 1e-4};
       },
       "ascending"},
      {"no BERs", [](CampaignSpec& s) { s.bers.clear(); }, "BER"},
      {"trials 0", [](CampaignSpec& s) { s.trials = 0; }, "trials"},
      {"negative trials", [](CampaignSpec& s) { s.trials = -2; }, "trials"},
      {"dense sampler, exact semantics",
       [](CampaignSpec& s) {
         s.sampler = Sampler::kDense;
         s.semantics = fault::Semantics::kExact;
       },
       "bernoulli"},
      {"activation site without a stage",
       [](CampaignSpec& s) { s.site.kind = SiteRef::Kind::kActivation; }, "names no stage"},
      {"threads 0", [](CampaignSpec& s) { s.threads = 0; }, "threads"},
      {"batch 0", [](CampaignSpec& s) { s.batch = 0; }, "batch"},
      {"negative cache", [](CampaignSpec& s) { s.cache_mb = -1; }, "cache"},
      {"negative eval limit", [](CampaignSpec& s) { s.eval_limit = -1; }, "limit"},
      {"no checkpoint", [](CampaignSpec& s) { s.checkpoints.clear(); }, "checkpoint"},
      {"no config", [](CampaignSpec& s) { s.configs.clear(); }, "format"},
      {"no targets", [](CampaignSpec& s) { s.targets.clear(); }, "target"},
      {"negative level",
       [](CampaignSpec& s) {
         s.levels = {1.0, -5.0};
       },
       "level"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    CampaignSpec s = valid_spec();
    c.edit(s);
    expect_input_error([&] { s.validate(); }, {c.expect});
  }
}

TEST(SpecTest, LogGrid) {
  const auto g = log_grid(1e-9, 1e-3, 50);
  ASSERT_EQ(g.size(), 50u);
  EXPECT_EQ(g.front(), 1e-9);
  EXPECT_EQ(g.back(), 1e-3);
  for (size_t i = 1; i < g.size(); ++i) {
    EXPECT_GT(g[i], g[i - 1]);
    EXPECT_NEAR(std::log10(g[i]) - std::log10(g[i - 1]), 6.0 / 49.0, 1e-12) << i;
  }
  const auto d = log_grid(1e-6, 1e-2, 5);
  ASSERT_EQ(d.size(), 5u);
  for (size_t i = 0; i < d.size(); ++i) EXPECT_NEAR(d[i], std::pow(10.0, -6.0 + double(i)), 1e-18);
  EXPECT_EQ(log_grid(1e-5, 1e-1, 1), (std::vector<double>{1e-5}));
  EXPECT_EQ(log_grid(1e-3, 1.0, 2), (std::vector<double>{1e-3, 1.0}));
  // A grid is a valid spec grid.
  CampaignSpec s = valid_spec();
  s.bers = g;
  EXPECT_NO_THROW(s.validate());
  EXPECT_THROW(log_grid(1e-9, 1e-3, 0), InputError);
  EXPECT_THROW(log_grid(0.0, 1e-3, 5), InputError);
  EXPECT_THROW(log_grid(-1e-3, 1e-3, 5), InputError);
  EXPECT_THROW(log_grid(1e-3, 2.0, 5), InputError);
  EXPECT_THROW(log_grid(1e-3, 1e-6, 5), InputError);
}

TEST(SpecTest, ParseConfigsCrossesFormatsAndProtections) {
  const auto c = parse_configs({"q2.6-2c", "Q2.6-SM", "fp16"}, {"none", "sign"});
  ASSERT_EQ(c.size(), 6u);
  const std::vector<std::string> labels = {"q2.6-2c",      "q2.6-2c+sign", "q2.6-sm",
                                           "q2.6-sm+sign", "fp16",         "fp16+sign"};
  for (size_t i = 0; i < c.size(); ++i) EXPECT_EQ(c[i].label(), labels[i]) << i;
  EXPECT_EQ(c[2].format, "q2.6-sm");  // canonical spelling
  EXPECT_EQ(c[3].protection, "sign");
}

TEST(SpecTest, ParseConfigsKeepsOwnProtection) {
  const auto c = parse_configs({"q2.6-2c", "q2.6-sm+sign", "q4.4-2c+msb:2"}, {"none"});
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].label(), "q2.6-2c");
  EXPECT_EQ(c[1].format, "q2.6-sm");
  EXPECT_EQ(c[1].protection, "sign");
  EXPECT_EQ(c[2].format, "q4.4-2c");
  EXPECT_EQ(c[2].protection, "msb:2");
  EXPECT_EQ(c[2].label(), "q4.4-2c+msb:2");
  // The listed protections do not apply to an entry with its own.
  const auto d = parse_configs({"fp16+sign"}, {"none", "lsb:3"});
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].label(), "fp16+sign");
}

TEST(SpecTest, ParseConfigsRejectsDuplicatesAndBadSpecs) {
  expect_input_error([] { parse_configs({"q2.6-2c", "q2.6-2c"}, {"none"}); }, {"q2.6-2c"});
  expect_input_error([] { parse_configs({"q2.6-2c", "Q2.6-2C"}, {"none"}); }, {"q2.6-2c"});
  expect_input_error(
      [] {
        parse_configs({"q2.6-2c+sign", "q2.6-2c"}, {"none", "sign"});
      },
      {"q2.6-2c+sign"});
  expect_input_error([] { parse_configs({"q2.6-2c+none", "q2.6-2c"}, {"none"}); }, {"q2.6-2c"});
  expect_input_error([] { parse_configs({"fp16"}, {"sign", "sign"}); }, {"fp16+sign"});
  EXPECT_THROW(parse_configs({"q0.0-sm"}, {"none"}), InputError);
  EXPECT_THROW(parse_configs({"int1"}, {"none"}), InputError);
  EXPECT_THROW(parse_configs({"q2.6-2c"}, {"bogus"}), InputError);
  EXPECT_THROW(parse_configs({"q2.6-2c+bogus"}, {"none"}), InputError);
  EXPECT_THROW(parse_configs({"q2.6-2c"}, {"msb:9"}), InputError);  // wider than the format
  EXPECT_THROW(parse_configs({}, {"none"}), InputError);
  EXPECT_THROW(parse_configs({"q2.6-2c"}, {}), InputError);
}

TEST(SpecTest, ConfigLabel) {
  EXPECT_EQ((Config{"q2.6-2c", "none"}).label(), "q2.6-2c");
  EXPECT_EQ((Config{"q2.6-2c", "sign"}).label(), "q2.6-2c+sign");
}

// ---- run_campaign end to end ------------------------------------------------------------

constexpr int64_t kSamples = 120;

// A temp dir holding a mnist_fc checkpoint (seeded random weights) and a test split of random
// images labelled by that model's predictions.
class CampaignTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) /
           ("ares_campaign_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "data");
    torch::manual_seed(17);
    model_ = models::create("mnist_fc");
    model_->eval();
    ckpt_ = (dir_ / "mnist_fc.ckpt").string();
    models::save_checkpoint(ckpt_, *model_, {{"dataset", "ares-test-no-such-dataset"}});
    auto images_u8 = torch::randint(0, 256, {kSamples, 28, 28}, torch::kInt64).to(torch::kUInt8);
    torch::Tensor labels;
    {
      c10::InferenceMode guard;
      images_ = images_u8.to(torch::kFloat32).div(255.0f).unsqueeze(1);
      labels = model_->forward(images_).argmax(1);
    }
    // One label in ten is wrong on purpose, so that the clean error is not zero.
    labels = labels.clone();
    for (int64_t i = 0; i < kSamples; i += 10) labels[i] = (labels[i].item<int64_t>() + 1) % 10;
    labels_ = labels;
    data::write_idx((dir_ / "data" / "t10k-images-idx3-ubyte").string(), images_u8);
    data::write_idx((dir_ / "data" / "t10k-labels-idx1-ubyte.gz").string(),
                    labels.to(torch::kUInt8));
  }
  void TearDown() override { fs::remove_all(dir_); }

  CampaignSpec spec() const {
    CampaignSpec s;
    s.checkpoints = {ckpt_};
    s.configs = parse_configs({"q2.6-2c", "fp16+sign"}, {"none"});
    s.bers = {1e-8, 1e-6, 1e-5, 1e-4, 1e-3};
    s.trials = 3;
    s.seed = 5;
    s.dataset = (dir_ / "data").string();
    s.batch = 64;
    s.cache_mb = 64;
    s.progress = false;
    return s;
  }

  // Clean errors of the model quantized to `fmt`, computed here without the engine.
  int64_t quantized_errors(const std::string& fmt) const {
    auto q = model_->clone_model();
    inject::WeightTargets t(*q, {"*"}, format::Format::parse(fmt));
    c10::InferenceMode guard;
    return models::count_errors(q->forward(images_), labels_);
  }

  fs::path dir_;
  std::string ckpt_;
  std::shared_ptr<models::StagedModel> model_;
  torch::Tensor images_, labels_;
};

// Every field but `seconds`.
void expect_same_row(const TrialRow& a, const TrialRow& b) {
  EXPECT_EQ(a.instance, b.instance);
  EXPECT_EQ(a.config, b.config);
  EXPECT_EQ(a.ber_index, b.ber_index);
  EXPECT_EQ(a.trial, b.trial);
  EXPECT_EQ(a.stream, b.stream);
  EXPECT_EQ(a.bits, b.bits);
  EXPECT_EQ(a.faults, b.faults);
  EXPECT_EQ(a.first_stage, b.first_stage);
  EXPECT_EQ(a.errors, b.errors);
  EXPECT_EQ(a.samples, b.samples);
  EXPECT_EQ(a.evaluated, b.evaluated);
}

// The same campaign on the model and tensors in memory and on the checkpoint and IDX files:
// the same rows and baselines; the caller's model is left as it was; a store refuses to resume
// with a changed model; bad inputs are named.
TEST_F(CampaignTest, InMemoryEqualsFiles) {
  const CampaignResult files = run_campaign(spec());
  CampaignSpec s = spec();
  const std::string before = parameter_hash(*model_);
  const CampaignResult memory = run_campaign(s, {{model_}, images_, labels_});
  EXPECT_EQ(parameter_hash(*model_), before) << "the campaign changed the caller's model";
  ASSERT_EQ(memory.rows.size(), files.rows.size());
  for (size_t i = 0; i < files.rows.size(); ++i) {
    SCOPED_TRACE(i);
    expect_same_row(memory.rows[i], files.rows[i]);
  }
  ASSERT_EQ(memory.summaries.size(), files.summaries.size());
  for (size_t i = 0; i < files.summaries.size(); ++i) {
    EXPECT_EQ(memory.summaries[i].baseline_error, files.summaries[i].baseline_error);
    EXPECT_EQ(memory.summaries[i].float_error, files.summaries[i].float_error);
    EXPECT_EQ(memory.summaries[i].checkpoint, ckpt_);
  }

  // With a store: a rerun resumes (nothing to run), another model is refused.
  const std::string db = (dir_ / "memory.db").string();
  {
    ResultStore store(db);
    run_campaign(s, {{model_}, images_, labels_}, &store);
  }
  {
    ResultStore store(db);
    const CampaignResult again = run_campaign(s, {{model_}, images_, labels_}, &store);
    for (size_t i = 0; i < files.rows.size(); ++i) expect_same_row(again.rows[i], files.rows[i]);
  }
  auto other = model_->clone_model();
  {
    torch::NoGradGuard no_grad;
    other->named_parameters()["fc1.bias"][0].add_(1.0f);
  }
  {
    ResultStore store(db);
    expect_input_error(
        [&] {
          run_campaign(s, {{other}, images_, labels_}, &store);
        },
        {"holds another campaign", "model_hash_0"});
  }

  expect_input_error(
      [&] {
        run_campaign(s, {{model_, model_}, images_, labels_});
      },
      {"2 models in memory but 1 instance names"});
  expect_input_error([&] { run_campaign(s, {{nullptr}, images_, labels_}); }, {"is null"});
  expect_input_error(
      [&] {
        run_campaign(s, {{model_}, images_, labels_.slice(0, 0, 5)});
      },
      {"N labels"});
  expect_input_error(
      [&] {
        run_campaign(s, {{model_}, images_, labels_.to(torch::kInt32)});
      },
      {"labels int64"});
}

TEST_F(CampaignTest, EndToEnd) {
  CampaignSpec s1 = spec();
  s1.threads = 1;
  const CampaignResult r1 = run_campaign(s1);
  CampaignSpec s2 = spec();
  s2.threads = 2;
  const CampaignResult r2 = run_campaign(s2);

  const size_t C = s1.configs.size(), B = s1.bers.size(), T = size_t(s1.trials);
  ASSERT_EQ(r1.rows.size(), C * B * T);
  ASSERT_EQ(r2.rows.size(), r1.rows.size());

  // Threads change nothing but timings.
  for (size_t i = 0; i < r1.rows.size(); ++i) {
    SCOPED_TRACE(i);
    expect_same_row(r1.rows[i], r2.rows[i]);
  }

  ASSERT_EQ(r1.summaries.size(), C);
  const uint64_t values = 266610;
  const int64_t baseline[] = {quantized_errors("q2.6-2c"), quantized_errors("fp16")};
  const uint64_t bits[] = {values * 8, values * 15};  // fp16+sign: 15 faultable bits
  std::set<uint64_t> streams;
  int zero_fault_rows = 0, evaluated = 0;
  for (size_t i = 0; i < r1.rows.size(); ++i) {
    const TrialRow& r = r1.rows[i];
    SCOPED_TRACE(i);
    // Ordered by (instance, config, ber_index, trial).
    EXPECT_EQ(r.instance, 0);
    EXPECT_EQ(size_t(r.config), i / (B * T));
    EXPECT_EQ(size_t(r.ber_index), (i / T) % B);
    EXPECT_EQ(size_t(r.trial), i % T);
    EXPECT_EQ(r.samples, kSamples);
    EXPECT_EQ(r.bits, bits[r.config]);
    EXPECT_GE(r.seconds, 0.0);
    streams.insert(r.stream);
    if (r.faults == 0) {
      ++zero_fault_rows;
      EXPECT_FALSE(r.evaluated);
      EXPECT_EQ(r.errors, baseline[r.config]);
      EXPECT_EQ(r.first_stage, -1);
    } else {
      ++evaluated;
      EXPECT_TRUE(r.evaluated);
      EXPECT_GE(r.first_stage, 0);
      EXPECT_LT(r.first_stage, 3);
    }
    EXPECT_GE(r.errors, 0);
    EXPECT_LE(r.errors, kSamples);
  }
  EXPECT_EQ(streams.size(), r1.rows.size()) << "every trial has its own stream";
  EXPECT_GT(zero_fault_rows, 0) << "the 1e-8 column should hold fault-free trials";
  EXPECT_GT(evaluated, 0);
  EXPECT_EQ(r1.evaluated_trials, evaluated);
  EXPECT_GT(r1.seconds, 0.0);
  EXPECT_GT(r1.clean_forward_seconds, 0.0);

  double float_error;
  {
    c10::InferenceMode guard;
    float_error =
        double(models::count_errors(model_->forward(images_), labels_)) / double(kSamples);
  }
  for (size_t c = 0; c < C; ++c) {
    SCOPED_TRACE(c);
    const ConfigSummary& sum = r1.summaries[c];
    EXPECT_EQ(sum.instance, 0);
    EXPECT_EQ(sum.config, int(c));
    EXPECT_EQ(sum.checkpoint, ckpt_);
    EXPECT_EQ(sum.model, "mnist_fc");
    EXPECT_EQ(sum.dataset, s1.dataset);
    EXPECT_EQ(sum.values, values);
    EXPECT_EQ(sum.bits, bits[c]);
    EXPECT_DOUBLE_EQ(sum.float_error, float_error);
    EXPECT_DOUBLE_EQ(sum.baseline_error, double(baseline[c]) / double(kSamples));
    ASSERT_EQ(sum.mean_error.size(), B);
    for (size_t b = 0; b < B; ++b) {
      double acc = 0;
      for (size_t t = 0; t < T; ++t) {
        const TrialRow& r = r1.rows[(c * B + b) * T + t];
        acc += double(r.errors) / double(r.samples);
      }
      EXPECT_NEAR(sum.mean_error[b], acc / double(T), 1e-15) << "ber " << b;
    }
    // Thresholds follow the one rule, applied to the mean errors.
    ASSERT_EQ(sum.thresholds.size(), s1.levels.size());
    for (size_t k = 0; k < s1.levels.size(); ++k) {
      const auto expected =
          analysis::tolerable_ber(s1.bers, sum.mean_error, sum.baseline_error, s1.levels[k]);
      EXPECT_EQ(sum.thresholds[k].status, expected.status) << "level " << s1.levels[k];
      EXPECT_EQ(sum.thresholds[k].ber, expected.ber) << "level " << s1.levels[k];
    }
    // And the summaries do not depend on the thread count either.
    EXPECT_EQ(r2.summaries[c].mean_error, sum.mean_error);
    EXPECT_EQ(r2.summaries[c].baseline_error, sum.baseline_error);
  }
}

TEST_F(CampaignTest, EnginesGiveTheSameRows) {
  CampaignSpec s = spec();
  s.configs = parse_configs({"q2.6-sm"}, {"none"});
  s.bers = {1e-6, 1e-5, 1e-4};
  s.trials = 2;
  s.engine = Engine::kFast;
  const auto fast = run_campaign(s);
  s.engine = Engine::kReference;
  const auto ref = run_campaign(s);
  ASSERT_EQ(fast.rows.size(), ref.rows.size());
  for (size_t i = 0; i < fast.rows.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(fast.rows[i].stream, ref.rows[i].stream);
    EXPECT_EQ(fast.rows[i].faults, ref.rows[i].faults);
    EXPECT_LE(std::abs(fast.rows[i].errors - ref.rows[i].errors), 1);  // fast-engine tolerance
    EXPECT_NEAR(fast.rows[i].nll, ref.rows[i].nll, 1e-5 * (1 + ref.rows[i].nll));
  }
}

// --device: names are checked without LibTorch; a device that is not there is one line.
TEST_F(CampaignTest, DeviceIsCheckedBeforeAnyWork) {
  CampaignSpec s = spec();
  for (const char* bad : {"gpu", "cuda:", "cuda:x", "cuda:123", "CUDA"}) {
    s.device = bad;
    EXPECT_THROW(s.validate(), InputError) << bad;
  }
  s.device = "cuda";
  for (const char* site : {"weights", "act:fc1", "hidden:0"}) {
    s.site = SiteRef::parse(site);
    EXPECT_NO_THROW(s.validate()) << site;
  }
  s.site = SiteRef::weights();
  if (!torch::cuda::is_available()) {
    try {
      run_campaign(s);
      ADD_FAILURE() << "--device cuda ran without a GPU";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("no CUDA device here"), std::string::npos) << e.what();
    }
  }
  // Not part of the campaign's identity, and kept through the store's text.
  CampaignSpec cpu = spec();
  EXPECT_EQ(CampaignSpec::from_text(s.to_text()).device, "cuda");
  EXPECT_EQ(s.identity_text(), cpu.identity_text());
}

// On a GPU every engine gives the CPU's rows (errors within the fast engine's tie tolerance).
TEST_F(CampaignTest, CudaEnginesGiveTheCpuRows) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  CampaignSpec s = spec();
  s.bers = {1e-6, 1e-4, 1e-3};
  s.trials = 2;
  const auto cpu = run_campaign(s);
  s.device = "cuda";
  for (const char* engine : {"reference", "prefix", "fast"}) {
    SCOPED_TRACE(engine);
    s.engine = parse_engine(engine);
    const auto gpu = run_campaign(s);
    ASSERT_EQ(gpu.rows.size(), cpu.rows.size());
    for (size_t i = 0; i < gpu.rows.size(); ++i) {
      EXPECT_EQ(gpu.rows[i].faults, cpu.rows[i].faults);
      EXPECT_EQ(gpu.rows[i].first_stage, cpu.rows[i].first_stage);
      EXPECT_LE(std::abs(gpu.rows[i].errors - cpu.rows[i].errors), 1) << "row " << i;
    }
    for (size_t k = 0; k < gpu.summaries.size(); ++k) {
      EXPECT_EQ(gpu.summaries[k].baseline_error, cpu.summaries[k].baseline_error);
    }
  }
}

TEST_F(CampaignTest, SeedAndEvalLimit) {
  CampaignSpec s = spec();
  s.configs = parse_configs({"q2.6-2c"}, {"none"});
  s.bers = {1e-4};
  s.trials = 2;
  s.eval_limit = 50;
  const auto a = run_campaign(s);
  for (const auto& r : a.rows) EXPECT_EQ(r.samples, 50);
  s.seed = 6;
  const auto b = run_campaign(s);
  for (size_t i = 0; i < a.rows.size(); ++i) EXPECT_NE(a.rows[i].stream, b.rows[i].stream);
}

// Paired encodings: configurations of one width share each trial's stream and faulty cells,
// so two's complement and sign-magnitude count the same faults; sign protection drops some;
// a protected configuration never sees more. Unpaired campaigns keep their streams.
TEST_F(CampaignTest, PairedEncodingsShareTheFaultyCells) {
  CampaignSpec s = spec();
  s.configs = parse_configs({"q2.6-2c", "q2.6-sm", "q2.6-2c+sign"}, {"none"});
  const auto independent = run_campaign(s);
  s.paired = true;
  const auto paired = run_campaign(s);
  const size_t per_config = s.bers.size() * size_t(s.trials);
  ASSERT_EQ(paired.rows.size(), 3 * per_config);
  size_t differ_independent = 0, dropped = 0;
  for (size_t i = 0; i < per_config; ++i) {
    const auto &tc = paired.rows[i], &sm = paired.rows[per_config + i],
               &sign = paired.rows[2 * per_config + i];
    EXPECT_EQ(tc.stream, sm.stream);
    EXPECT_EQ(tc.stream, sign.stream);
    EXPECT_EQ(tc.faults, sm.faults) << i;
    EXPECT_LE(sign.faults, tc.faults) << i;
    dropped += sign.faults < tc.faults;
    differ_independent += independent.rows[i].stream != independent.rows[per_config + i].stream;
  }
  EXPECT_GT(dropped, 0u);  // at 1e-3 over 266,610 values some sign bits are hit
  EXPECT_EQ(differ_independent, per_config);
  s.semantics = fault::Semantics::kExact;
  expect_input_error([&] { s.validate(); }, {"pairing", "bernoulli"});
}

// merge_stores, in-process: two shards' stores joined give the unsharded campaign's rows; a
// store of another campaign and the target itself are refused; merging again changes nothing.
TEST_F(CampaignTest, MergeStoresJoinsShardsIntoTheWholeCampaign) {
  const auto whole = run_campaign(spec());
  std::vector<std::string> shards;
  for (int i = 0; i < 2; ++i) {
    CampaignSpec s = spec();
    s.shard_index = i;
    s.shard_count = 2;
    shards.push_back((dir_ / ("shard" + std::to_string(i) + ".db")).string());
    ResultStore store(shards.back());
    EXPECT_TRUE(run_campaign(s, &store).partial);
  }
  const std::string target = (dir_ / "merged.db").string();
  auto half = merge_stores(target, {shards[0]});
  EXPECT_FALSE(half.complete());
  EXPECT_EQ(half.expected, whole.rows.size());
  auto merged = merge_stores(target, shards);
  ASSERT_TRUE(merged.complete());
  EXPECT_EQ(merged.trials, whole.rows.size());
  EXPECT_EQ(merge_stores(target, shards).trials, whole.rows.size());
  auto store = ResultStore::open_read_only(target);
  const auto result = load_result(*store);
  ASSERT_EQ(result.rows.size(), whole.rows.size());
  for (size_t i = 0; i < whole.rows.size(); ++i) {
    EXPECT_EQ(result.rows[i].errors, whole.rows[i].errors) << i;
    EXPECT_EQ(result.rows[i].stream, whole.rows[i].stream) << i;
  }
  expect_input_error([&] { merge_stores(target, {target}); }, {"merge target itself"});
  CampaignSpec other = spec();
  other.seed = 6;
  const std::string other_db = (dir_ / "other.db").string();
  {
    ResultStore o(other_db);
    run_campaign(other, &o);
  }
  EXPECT_THROW(merge_stores(target, {other_db}), InputError);
}

// A store written before the outcome classes (schema 1: no outcome columns) or before the NLL
// (schema 3) still reads, its trials marked -1 (not recorded) and their outcome means NaN,
// their NLL NaN; opened for writing it gains the columns (schema 4) and resumes with its rows
// as they were.
TEST_F(CampaignTest, OlderStoresReadAndResume) {
  for (const int version : {1, 3}) {
    SCOPED_TRACE(version);
    const std::string db = (dir_ / ("schema" + std::to_string(version) + ".db")).string();
    CampaignResult fresh;
    {
      ResultStore store(db);
      fresh = run_campaign(spec(), &store);
    }
    {
      sqlite3* raw = nullptr;
      ASSERT_EQ(sqlite3_open(db.c_str(), &raw), SQLITE_OK);
      std::vector<std::string> sql = {"ALTER TABLE trials DROP COLUMN nll",
                                      "ALTER TABLE baselines DROP COLUMN baseline_nll"};
      if (version < 3) {
        for (const char* col : {"changed", "nonfinite", "changed_correct", "ecc_corrected",
                                "ecc_detected", "ecc_miscorrected"}) {
          sql.push_back(std::string("ALTER TABLE trials DROP COLUMN ") + col);
        }
      }
      sql.push_back("UPDATE meta SET value = '" + std::to_string(version) +
                    "' WHERE key = 'schema_version'");
      for (const auto& q : sql) {
        ASSERT_EQ(sqlite3_exec(raw, q.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << q;
      }
      sqlite3_close(raw);
    }
    const CampaignResult old = load_result(*ResultStore::open_read_only(db));
    ASSERT_EQ(old.rows.size(), fresh.rows.size());
    for (size_t i = 0; i < old.rows.size(); ++i) {
      EXPECT_EQ(old.rows[i].errors, fresh.rows[i].errors);
      EXPECT_EQ(old.rows[i].changed, version < 2 ? -1 : fresh.rows[i].changed);
      EXPECT_EQ(old.rows[i].nonfinite, version < 2 ? -1 : fresh.rows[i].nonfinite);
      EXPECT_EQ(old.rows[i].changed_correct, version < 2 ? -1 : fresh.rows[i].changed_correct);
      EXPECT_EQ(old.rows[i].ecc_detected, version < 3 ? -1 : fresh.rows[i].ecc_detected);
      EXPECT_TRUE(std::isnan(old.rows[i].nll));
      EXPECT_TRUE(std::isfinite(fresh.rows[i].nll));
    }
    EXPECT_EQ(old.summaries[0].mean_error, fresh.summaries[0].mean_error);
    EXPECT_EQ(std::isnan(old.summaries[0].changed_rate[0]), version < 2);
    EXPECT_FALSE(std::isnan(fresh.summaries[0].changed_rate[0]));
    EXPECT_TRUE(std::isnan(old.summaries[0].baseline_nll));
    EXPECT_TRUE(std::isnan(old.summaries[0].perplexity[0]));
    EXPECT_TRUE(std::isfinite(fresh.summaries[0].perplexity[0]));
    {
      ResultStore store(db);  // writable: migrated to schema 4
      const CampaignResult resumed = run_campaign(spec(), &store);
      for (size_t i = 0; i < resumed.rows.size(); ++i) {
        EXPECT_EQ(resumed.rows[i].errors, fresh.rows[i].errors);
        // Stored rows are not run again.
        EXPECT_EQ(resumed.rows[i].changed, version < 2 ? -1 : fresh.rows[i].changed);
        EXPECT_TRUE(std::isnan(resumed.rows[i].nll));
      }
      // Every row was stored, so nothing was measured again: the baseline is the stored one.
      EXPECT_TRUE(std::isnan(resumed.summaries[0].baseline_nll));
    }
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &raw), SQLITE_OK);
    sqlite3_stmt* q = nullptr;
    sqlite3_prepare_v2(raw, "SELECT value FROM meta WHERE key = 'schema_version'", -1, &q, nullptr);
    ASSERT_EQ(sqlite3_step(q), SQLITE_ROW);
    EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(q, 0)), "4");
    sqlite3_finalize(q);
    sqlite3_close(raw);
  }
}

TEST_F(CampaignTest, WritesResultFiles) {
  CampaignSpec s = spec();
  s.bers = {1e-8, 1e-5};
  s.trials = 2;
  const auto r = run_campaign(s);
  const fs::path out = dir_ / "out" / "nested";
  write_results(r, out.string());
  auto lines = [](const fs::path& p) {
    std::ifstream in(p);
    std::vector<std::string> v;
    for (std::string l; std::getline(in, l);) v.push_back(l);
    return v;
  };
  const auto trials = lines(out / "trials.csv");
  ASSERT_EQ(trials.size(), r.rows.size() + 1);
  EXPECT_EQ(trials[0].rfind("instance,checkpoint,format,protection", 0), 0u) << trials[0];
  const auto summary = lines(out / "summary.csv");
  ASSERT_EQ(summary.size(), r.summaries.size() + 1);
  EXPECT_NE(summary[0].find("ber_at_0.5pct"), std::string::npos) << summary[0];
  // The NLL and perplexity come after the columns of earlier versions, before the seconds.
  const std::string tail = ",ecc_miscorrected,nll,perplexity,seconds";
  EXPECT_EQ(trials[0].substr(trials[0].size() - tail.size()), tail) << trials[0];
  EXPECT_EQ(summary[0].substr(summary[0].size() - 20), ",baseline_perplexity") << summary[0];
  ASSERT_TRUE(fs::is_regular_file(out / "summary.json"));
  for (const auto& e : fs::directory_iterator(out)) {
    EXPECT_NE(e.path().extension(), ".tmp") << e.path();
  }
  const std::string table = summary_table(r);
  EXPECT_NE(table.find("fp16+sign"), std::string::npos) << table;
  EXPECT_NE(table.find("mnist_fc"), std::string::npos) << table;
}

TEST_F(CampaignTest, BadInputIsAnInputError) {
  {
    CampaignSpec s = spec();
    s.trials = 0;
    expect_input_error([&] { run_campaign(s); }, {"trials"});
  }
  {
    CampaignSpec s = spec();
    s.checkpoints = {(dir_ / "missing.ckpt").string()};
    expect_input_error([&] { run_campaign(s); }, {s.checkpoints[0]});
  }
  {
    // The checkpoint names a dataset that does not exist.
    CampaignSpec s = spec();
    s.dataset.clear();
    expect_input_error([&] { run_campaign(s); }, {"ares-test-no-such-dataset"});
  }
  {
    CampaignSpec s = spec();
    s.dataset = (dir_ / "nowhere").string();
    expect_input_error([&] { run_campaign(s); }, {s.dataset});
  }
  {
    // Images of the wrong shape for the model.
    fs::create_directories(dir_ / "small");
    data::write_idx((dir_ / "small" / "t10k-images-idx3-ubyte").string(),
                    torch::zeros({4, 20, 20}, torch::kUInt8));
    data::write_idx((dir_ / "small" / "t10k-labels-idx1-ubyte").string(),
                    torch::zeros({4}, torch::kUInt8));
    CampaignSpec s = spec();
    s.dataset = (dir_ / "small").string();
    expect_input_error([&] { run_campaign(s); }, {"mnist_fc"});
  }
  {
    CampaignSpec s = spec();
    s.targets = {"conv*"};
    expect_input_error([&] { run_campaign(s); }, {"conv*"});
  }
}

}  // namespace
}  // namespace ares::campaign

namespace ares::campaign {
namespace {

// The stored spec round-trips exactly, and its identity ignores what cannot change a row.
TEST(SpecTextTest, RoundTripAndIdentity) {
  CampaignSpec s;
  s.checkpoints = {"a.ckpt", "dir/b.ckpt"};
  s.configs = parse_configs({"q2.6-2c", "q4.4-sm+msb:2"}, {"none", "sign"});
  s.bers = log_grid(1e-7, 1e-2, 11);
  s.trials = 7;
  s.seed = 12345678901234ull;
  s.targets = {"fc1.*", "*.bias"};
  s.semantics = fault::Semantics::kExact;
  s.dataset = "fashion-mnist";
  s.eval_limit = 300;
  s.levels = {0.5, 2.5};
  s.threads = 3;
  s.engine = Engine::kPrefix;
  CampaignSpec t = CampaignSpec::from_text(s.to_text());
  EXPECT_EQ(t.to_text(), s.to_text());
  EXPECT_EQ(t.bers, s.bers);  // bit-exact doubles
  EXPECT_EQ(t.configs.size(), 3u);
  EXPECT_EQ(t.seed, s.seed);
  CampaignSpec u = s;
  u.threads = 1;
  u.engine = Engine::kFast;
  u.levels = {10};
  u.batch = 17;
  EXPECT_EQ(u.identity_text(), s.identity_text());
  u.trials = 8;
  EXPECT_NE(u.identity_text(), s.identity_text());
  EXPECT_THROW(CampaignSpec::from_text("bogus=1\n"), InputError);
  EXPECT_THROW(CampaignSpec::from_text("trials=x\n"), InputError);
}

}  // namespace
}  // namespace ares::campaign

// summarize() on hand-made rows: the yield threshold is the last BER before more than
// (100 - yield)% of the trials exceed the level's bound, whatever the mean does; intervals
// and resolution flags come with every threshold.
namespace ares::campaign {
namespace {

TEST(SummarizeTest, YieldThresholdsCountTrialsNotTheMean) {
  CampaignResult res;
  res.spec.checkpoints = {"m.ckpt"};
  res.spec.configs = {{"q2.6-2c", "none"}};
  res.spec.bers = {1e-6, 1e-5, 1e-4, 1e-3};
  res.spec.trials = 20;
  res.spec.levels = {10.0};
  res.spec.yield = 95;
  ConfigSummary sum;
  sum.baseline_error = 0.1;  // bound at +10%: 0.11, i.e. 110 of 1000 samples
  res.summaries.push_back(sum);
  // Trials over the bound at each BER: 0, 1 (5%: still a 95% yield), 2, 20. One catastrophic
  // trial at 1e-5 lifts the mean over the bound there, so the mean rule stops at 1e-6.
  const int over[] = {0, 1, 2, 20};
  for (int b = 0; b < 4; ++b) {
    for (int t = 0; t < 20; ++t) {
      TrialRow r;
      r.ber_index = b;
      r.trial = t;
      r.samples = 1000;
      r.errors = t < over[b] ? (b == 1 ? 900 : 120) : 100;
      res.rows.push_back(r);
    }
  }
  summarize(res);
  const auto& s = res.summaries[0];
  ASSERT_EQ(s.thresholds.size(), 1u);
  EXPECT_EQ(s.thresholds[0].ber, 1e-6);  // mean at 1e-5: (19 * 0.1 + 0.9) / 20 = 0.14 > 0.11
  ASSERT_EQ(s.yield_thresholds.size(), 1u);
  EXPECT_EQ(s.yield_thresholds[0].ber, 1e-5);
  EXPECT_EQ(s.yield_thresholds[0].status, analysis::Threshold::Status::kWithin);
  ASSERT_EQ(s.yield_intervals.size(), 1u);
  EXPECT_LE(s.yield_intervals[0].lo.ber, 1e-5);
  EXPECT_GE(s.yield_intervals[0].hi.ber, 1e-5);
  ASSERT_EQ(s.intervals.size(), 1u);
  EXPECT_EQ(s.samples, 1000);
  EXPECT_FALSE(s.below_resolution[0]);               // 10 samples of headroom
  EXPECT_DOUBLE_EQ(s.smallest_resolved_level, 3.0);  // 3 samples of 100 wrong ones
  res.spec.yield = 0;
  summarize(res);
  EXPECT_TRUE(res.summaries[0].yield_thresholds.empty());
  res.spec.levels = {2.0};  // 2 samples of headroom: not resolved
  summarize(res);
  EXPECT_TRUE(res.summaries[0].below_resolution[0]);
}

}  // namespace
}  // namespace ares::campaign
