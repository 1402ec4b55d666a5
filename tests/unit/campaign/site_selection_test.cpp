// Campaign-level tests of the hidden-state site (`hidden:STAGE`) and of the weight site's
// selection by parameter kind (`param_kind`) and bit position (`bits`).

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "ares/campaign/campaign.h"
#include "ares/campaign/spec.h"
#include "ares/campaign/store.h"
#include "ares/common/error.h"
#include "ares/data/dataset.h"
#include "ares/fault/fault_model.h"
#include "ares/format/format.h"
#include "ares/inject/weight_faults.h"
#include "ares/models/checkpoint.h"
#include "ares/models/evaluate.h"
#include "ares/models/gru.h"
#include "ares/models/registry.h"
#include "ares/models/torchscript.h"

namespace ares::campaign {
namespace {

namespace fs = std::filesystem;
using format::Format;

constexpr int64_t kSamples = 60;

// A temp dir holding an fmnist_gru checkpoint (seeded random weights) and a row-sequential
// test split ("gru_data-seq" under ARES_DATA_DIR) of random images labelled by its own
// predictions, one in ten relabelled.
class SiteSelectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) /
           ("ares_sites_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "gru_data");
    torch::manual_seed(23);
    model_ = models::create("fmnist_gru");
    model_->eval();
    ckpt_ = (dir_ / "fmnist_gru.ckpt").string();
    models::save_checkpoint(ckpt_, *model_, {{"dataset", "gru_data-seq"}});
    auto u8 = torch::randint(0, 256, {kSamples, 28, 28}, torch::kInt64).to(torch::kUInt8);
    torch::Tensor labels;
    {
      c10::InferenceMode guard;
      images_ = u8.to(torch::kFloat32).div(255.0f);
      labels = model_->forward(images_).argmax(1).clone();
      for (int64_t i = 0; i < kSamples; i += 10) labels[i] = (labels[i].item<int64_t>() + 1) % 10;
    }
    labels_ = labels;
    data::write_idx((dir_ / "gru_data" / "t10k-images-idx3-ubyte").string(), u8);
    data::write_idx((dir_ / "gru_data" / "t10k-labels-idx1-ubyte").string(),
                    labels.to(torch::kUInt8));
    const char* old = std::getenv("ARES_DATA_DIR");
    old_data_dir_ = old ? old : "";
    had_data_dir_ = old != nullptr;
    ::setenv("ARES_DATA_DIR", dir_.c_str(), 1);
  }
  void TearDown() override {
    if (had_data_dir_) {
      ::setenv("ARES_DATA_DIR", old_data_dir_.c_str(), 1);
    } else {
      ::unsetenv("ARES_DATA_DIR");
    }
    fs::remove_all(dir_);
  }

  CampaignSpec hidden_spec() const {
    CampaignSpec s;
    s.checkpoints = {ckpt_};
    s.configs = parse_configs({"q2.6-2c", "q4.4-sm"}, {"none"});
    s.bers = {1e-6, 1e-4, 1e-3, 1e-2};
    s.trials = 3;
    s.seed = 4;
    s.site = SiteRef::parse("hidden:gru");
    s.batch = 64;
    s.progress = false;
    return s;
  }

  // Errors of the float model with the GRU's hidden state stored in `fmt` at every step,
  // computed here without the campaign.
  int64_t quantized_errors(const std::string& fmt_spec) const {
    const Format fmt = Format::parse(fmt_spec);
    auto copy = model_->clone_model();
    copy->eval();
    models::gru_step_hook(*copy, "gru")->on_step = [&](int64_t, torch::Tensor& h) {
      h = h.contiguous();
      fmt.quantize(h.data_ptr<float>(), h.data_ptr<float>(), size_t(h.numel()));
    };
    c10::InferenceMode guard;
    return models::count_errors(copy->forward(images_), labels_);
  }

  fs::path dir_;
  std::string ckpt_, old_data_dir_;
  bool had_data_dir_ = false;
  std::shared_ptr<models::StagedModel> model_;
  torch::Tensor images_, labels_;
};

void expect_same_rows(const CampaignResult& a, const CampaignResult& b) {
  ASSERT_EQ(a.rows.size(), b.rows.size());
  for (size_t i = 0; i < a.rows.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(a.rows[i].stream, b.rows[i].stream);
    EXPECT_EQ(a.rows[i].bits, b.rows[i].bits);
    EXPECT_EQ(a.rows[i].faults, b.rows[i].faults);
    EXPECT_EQ(a.rows[i].first_stage, b.rows[i].first_stage);
    EXPECT_EQ(a.rows[i].errors, b.rows[i].errors);
    EXPECT_EQ(a.rows[i].evaluated, b.rows[i].evaluated);
  }
}

// The hidden-state site end to end: the baseline is the model with its hidden state stored at
// every step; rows are the same for 1 and 2 threads and for batches 7 and 64; the site is
// recorded in the rows' CSV; the weights' checkpoint is untouched.
TEST_F(SiteSelectionTest, HiddenSiteCampaign) {
  CampaignSpec s1 = hidden_spec();
  s1.threads = 1;
  const auto r1 = run_campaign(s1);
  CampaignSpec s2 = hidden_spec();
  s2.threads = 2;
  s2.batch = 7;
  const auto r2 = run_campaign(s2);
  expect_same_rows(r1, r2);
  const int64_t baseline[] = {quantized_errors("q2.6-2c"), quantized_errors("q4.4-sm")};
  const uint64_t values = uint64_t(kSamples) * 28 * 128;
  ASSERT_EQ(r1.summaries.size(), 2u);
  int evaluated = 0;
  for (const auto& r : r1.rows) {
    SCOPED_TRACE(r.ber_index);
    EXPECT_EQ(r.bits, values * 8);
    EXPECT_EQ(r.samples, kSamples);
    if (!r.evaluated) {
      EXPECT_EQ(r.errors, baseline[r.config]);
      EXPECT_EQ(r.first_stage, -1);
    } else {
      ++evaluated;
      EXPECT_EQ(r.first_stage, 0);
    }
    if (r.ber_index == 3) {
      EXPECT_TRUE(r.evaluated);  // ~2.2k flips per trial
    }
  }
  EXPECT_GT(evaluated, 0);
  for (int c = 0; c < 2; ++c) {
    EXPECT_EQ(r1.summaries[size_t(c)].values, values);
    EXPECT_DOUBLE_EQ(r1.summaries[size_t(c)].baseline_error,
                     double(baseline[c]) / double(kSamples));
  }
  write_results(r1, (dir_ / "out").string());
  std::ifstream in(dir_ / "out" / "trials.csv");
  std::string header, row;
  std::getline(in, header);
  std::getline(in, row);
  EXPECT_NE(row.find(",hidden:gru,"), std::string::npos) << row;
  auto reloaded = models::load_model_file(ckpt_).model;
  auto a = reloaded->named_parameters(), b = model_->named_parameters();
  for (const auto& p : a) EXPECT_TRUE(torch::equal(p.value(), b[p.key()])) << p.key();
}

// Every bit protected: the null-fault control of the hidden site equals the quantized baseline
// bit for bit in every row.
TEST_F(SiteSelectionTest, HiddenSiteNullFaultsEqualTheBaseline) {
  CampaignSpec s = hidden_spec();
  s.configs = parse_configs({"q2.6-2c+msb:8"}, {"none"});
  s.bers = {1e-3, 1.0};
  const auto r = run_campaign(s);
  const int64_t baseline = quantized_errors("q2.6-2c");
  for (const auto& row : r.rows) {
    EXPECT_EQ(row.faults, 0u);
    EXPECT_FALSE(row.evaluated);
    EXPECT_EQ(row.errors, baseline);
  }
  EXPECT_EQ(r.summaries[0].bits, 0u);
}

TEST_F(SiteSelectionTest, HiddenSiteBadStages) {
  CampaignSpec s = hidden_spec();
  s.site = SiteRef::parse("hidden:fc1");
  try {
    run_campaign(s);
    ADD_FAILURE() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("not a GRU"), std::string::npos) << e.what();
  }
  s.site = SiteRef::parse("hidden:nosuch");
  EXPECT_THROW(run_campaign(s), InputError);
  EXPECT_THROW(SiteRef::parse("hidden:"), InputError);
}

// --bits 7 on q2.6: the faultable mask is bit 7 alone (none under sign protection, whose sign
// is bit 7), every sampled change flips exactly bit 7 of the target's code, and the campaign's
// candidate bits are values x 1.
TEST_F(SiteSelectionTest, BitsSelectsTheFlippedBits) {
  CampaignSpec s;
  s.checkpoints = {ckpt_};
  s.configs = parse_configs({"q2.6-2c", "q2.6-sm", "q2.6-2c+sign", "q4.4-sm+lsb:2"}, {"none"});
  s.bers = {1e-4, 1e-2};
  s.trials = 2;
  s.bits = parse_bit_list("7");
  s.progress = false;
  EXPECT_EQ(s.faultable_mask(s.configs[0]), 0x80u);
  EXPECT_EQ(s.faultable_mask(s.configs[1]), 0x80u);
  EXPECT_EQ(s.faultable_mask(s.configs[2]), 0u);
  s.bits = parse_bit_list("0-3,7");
  EXPECT_EQ(s.faultable_mask(s.configs[3]), 0x8Cu);  // bits 0, 1 protected
  s.bits = {7};
  auto q = model_->clone_model();
  inject::WeightTargets targets(*q, {"*"}, Format::parse("q2.6-2c"));
  const auto flip = fault::FaultModel::parse("flip");
  for (uint64_t seed : {1, 2, 3}) {
    SCOPED_TRACE(seed);
    fault::Rng rng(seed);
    uint64_t hits = 0;
    auto changes = fault::sample_faults(rng, targets.codes(), targets.num_values(),
                                        targets.format(), s.faultable_mask(s.configs[0]), 0.01,
                                        fault::Semantics::kBernoulli, flip, &hits);
    ASSERT_GT(changes.size(), 100u);
    EXPECT_EQ(hits, changes.size());
    for (const auto& ch : changes) ASSERT_EQ(ch.code ^ targets.code(ch.index), 0x80u);
  }
  s.configs = parse_configs({"q2.6-2c", "q2.6-2c+sign"}, {"none"});
  const auto r = run_campaign(s);
  EXPECT_EQ(r.summaries[0].bits, r.summaries[0].values);
  EXPECT_EQ(r.summaries[1].bits, 0u);
  for (const auto& row : r.rows) {
    if (row.config == 1) {
      EXPECT_EQ(row.faults, 0u);
    }
    if (row.config == 0 && row.ber_index == 1) {
      EXPECT_GT(row.faults, 100u);
    }
  }
  s.bits = {8};  // outside an 8-bit format
  EXPECT_THROW(s.validate(), InputError);
  EXPECT_THROW(parse_bit_list("3-1"), InputError);
  EXPECT_THROW(parse_bit_list("32"), InputError);
  EXPECT_THROW(parse_bit_list("1,,2"), InputError);
  EXPECT_THROW(parse_bit_list("x"), InputError);
  EXPECT_EQ(parse_bit_list("7,0-3,2"), (std::vector<int>{0, 1, 2, 3, 7}));
  EXPECT_EQ(bit_list_text({0, 1, 2, 3, 7}), "0-3,7");
  EXPECT_EQ(bit_list_text({0, 1, 5}), "0,1,5");
}

// --param-kind bias targets the biases only (the GRU's bias_ih and bias_hh too): a plan at
// rate 1 changes every bias and leaves every weight as it was.
TEST_F(SiteSelectionTest, ParamKindBiasTouchesOnlyBiases) {
  auto q = model_->clone_model();
  const Format fmt = Format::parse("q2.6-sm");
  auto targets = std::make_shared<const inject::WeightTargets>(*q, std::vector<std::string>{"*"},
                                                               fmt, inject::ParamKind::kBias);
  std::vector<std::string> names;
  uint64_t biases = 0;
  for (const auto& p : targets->params()) names.push_back(p.name);
  EXPECT_EQ(names,
            (std::vector<std::string>{"gru.bias_ih", "gru.bias_hh", "fc1.bias", "fc2.bias"}));
  for (const auto& p : model_->named_parameters()) {
    if (inject::is_bias_name(p.key())) biases += uint64_t(p.value().numel());
  }
  EXPECT_EQ(targets->num_values(), biases);
  EXPECT_EQ(biases, 3u * 128 * 2 + 128 + 10);
  inject::WeightTargets weights(*model_->clone_model(), {"*"}, fmt, inject::ParamKind::kWeight);
  EXPECT_EQ(weights.num_values() + biases, uint64_t(model_->parameter_count()));

  std::map<std::string, torch::Tensor> before;
  for (const auto& p : q->named_parameters()) before[p.key()] = p.value().clone();
  inject::WeightInjector inj(targets, *q);
  fault::Rng rng(5);
  auto changes = fault::sample_faults(rng, targets->codes(), targets->num_values(), fmt,
                                      fmt.code_mask(), 1.0, fault::Semantics::kBernoulli,
                                      fault::FaultModel::parse("signflip"), nullptr);
  inj.apply_codes(changes);
  for (const auto& p : q->named_parameters()) {
    SCOPED_TRACE(p.key());
    if (inject::is_bias_name(p.key())) {
      // signflip negates every nonzero bias.
      EXPECT_TRUE(torch::equal(p.value(), -before[p.key()]));
    } else {
      EXPECT_TRUE(torch::equal(p.value(), before[p.key()]));
    }
  }
  inj.restore();

  CampaignSpec s;
  s.checkpoints = {ckpt_};
  s.configs = parse_configs({"q2.6-sm"}, {"none"});
  s.bers = {1e-3};
  s.trials = 2;
  s.param_kind = inject::ParamKind::kBias;
  s.progress = false;
  const auto r = run_campaign(s);
  EXPECT_EQ(r.summaries[0].values, biases);
  EXPECT_EQ(r.summaries[0].bits, biases * 8);
  EXPECT_THROW(inject::parse_param_kind("gates"), InputError);
  s.param_kind = inject::ParamKind::kWeight;
  s.site = SiteRef::parse("act:fc1");
  EXPECT_THROW(s.validate(), InputError);  // the activation site has no parameters
  EXPECT_FALSE(inject::is_bias_name("fc1.weight"));
  EXPECT_TRUE(inject::is_bias_name("bias"));
  EXPECT_FALSE(inject::is_bias_name("bias_net.weight"));
}

// On a GPU the per-sample sites give the CPU's plans (the same faults in every row) and
// errors within a sample or two (GPU kernels round the float GRU differently).
TEST_F(SiteSelectionTest, PerSampleSitesOnTheGpu) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  for (const char* site : {"hidden:gru", "act:fc1"}) {
    SCOPED_TRACE(site);
    CampaignSpec s = hidden_spec();
    s.site = SiteRef::parse(site);
    const auto cpu = run_campaign(s);
    s.device = "cuda";
    const auto gpu = run_campaign(s);
    ASSERT_EQ(gpu.rows.size(), cpu.rows.size());
    for (size_t i = 0; i < gpu.rows.size(); ++i) {
      EXPECT_EQ(gpu.rows[i].faults, cpu.rows[i].faults) << "row " << i;
      EXPECT_EQ(gpu.rows[i].bits, cpu.rows[i].bits) << "row " << i;
      EXPECT_LE(std::abs(gpu.rows[i].errors - cpu.rows[i].errors), 2) << "row " << i;
    }
  }
}

// param_kind and bits round-trip through the store's spec, are part of its identity (a
// different selection is refused on resume), and stay out of the text when at their defaults
// (so stores made before them keep their identity).
TEST_F(SiteSelectionTest, SelectionRoundTripsThroughTheStore) {
  CampaignSpec s;
  s.checkpoints = {ckpt_};
  s.configs = parse_configs({"q2.6-2c"}, {"none", "sign"});
  s.bers = {1e-3};
  s.trials = 2;
  s.site = SiteRef::parse("weights");
  EXPECT_EQ(s.to_text().find("param_kind"), std::string::npos);
  EXPECT_EQ(s.to_text().find("bits="), std::string::npos);
  s.param_kind = inject::ParamKind::kWeight;
  s.bits = {0, 1, 2, 3, 7};
  EXPECT_NE(s.to_text().find("bits=0-3,7\n"), std::string::npos) << s.to_text();
  const std::string path = (dir_ / "c.db").string();
  {
    ResultStore store(path);
    store.bind(s);
  }
  {
    auto ro = ResultStore::open_read_only(path);
    CampaignSpec back = ro->spec();
    EXPECT_EQ(back.param_kind, inject::ParamKind::kWeight);
    EXPECT_EQ(back.bits, s.bits);
    EXPECT_EQ(back.to_text(), s.to_text());
    EXPECT_EQ(back.identity_text(), s.identity_text());
  }
  ResultStore store(path);
  EXPECT_NO_THROW(store.bind(s));
  CampaignSpec other = s;
  other.bits = {7};
  try {
    store.bind(other);
    ADD_FAILURE() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("bits"), std::string::npos) << e.what();
  }
  other = s;
  other.param_kind = inject::ParamKind::kAll;
  EXPECT_THROW(store.bind(other), InputError);
  other = s;
  other.site = SiteRef::parse("hidden:gru");
  other.param_kind = inject::ParamKind::kAll;
  EXPECT_THROW(store.bind(other), InputError);
}

}  // namespace
}  // namespace ares::campaign
