// The Site interface (campaign/site.h) on its own: a trial run by hand through make_site and
// make_trials gives the campaign's row for the same stream, for the weight and activation
// sites; resolve_site_stage names what is wrong with a site.

#include "ares/campaign/site.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "ares/campaign/in_memory.h"
#include "ares/common/error.h"
#include "ares/fault/fault_model.h"
#include "ares/fault/rng.h"
#include "ares/format/format.h"
#include "ares/inject/weight_faults.h"
#include "ares/models/evaluate.h"
#include "ares/models/registry.h"

namespace ares::campaign {
namespace {

class SiteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    torch::manual_seed(11);
    model_ = models::create("mnist_fc");
    model_->eval();
    images_ = torch::rand({80, 1, 28, 28});
    // Labels: the model's own predictions, one in eight moved, so the baseline is not zero.
    torch::NoGradGuard guard;
    labels_ = model_->forward(images_).argmax(1);
    for (int64_t i = 0; i < labels_.size(0); i += 8)
      labels_[i] = (labels_[i].item<int64_t>() + 1) % 10;
  }
  CampaignSpec spec(const std::string& site) const {
    CampaignSpec s;
    s.checkpoints = {"in-memory"};
    s.configs = {{"q2.6-2c", "none"}, {"q2.6-sm", "sign"}};
    s.bers = {1e-4, 3e-3, 3e-2};
    s.trials = 3;
    s.site = SiteRef::parse(site);
    s.batch = 32;
    s.progress = false;
    return s;
  }
  std::shared_ptr<models::StagedModel> model_;
  torch::Tensor images_, labels_;
};

TEST_F(SiteTest, TrialsByHandEqualTheCampaignsRows) {
  for (const char* site_text : {"weights", "act:fc1"}) {
    SCOPED_TRACE(site_text);
    const CampaignSpec s = spec(site_text);
    const CampaignResult result = run_campaign(s, {{model_}, images_, labels_});
    const int stage = resolve_site_stage(s.site, *model_);
    EXPECT_EQ(stage, s.site.is_weights() ? -1 : 0);
    size_t checked = 0, evaluated = 0;
    for (size_t ci = 0; ci < s.configs.size(); ++ci) {
      const auto fmt = format::Format::parse(s.configs[ci].format);
      const auto site = make_site(s, stage, *model_, fmt, images_, labels_, torch::kCPU);
      const ConfigSummary& sum = result.summaries[ci];
      EXPECT_EQ(double(site->baseline_errors()) / double(site->samples()), sum.baseline_error);
      EXPECT_EQ(site->values(), sum.values);
      auto trials = site->make_trials();
      const uint32_t mask = s.faultable_mask(s.configs[ci]);
      for (const TrialRow& want : result.rows) {
        if (want.config != int(ci)) continue;
        TrialRow got;
        got.stream = want.stream;
        TrialJob job;
        job.ber = s.bers[size_t(want.ber_index)];
        job.mask = mask;
        job.sample_mask = s.selected_bits(fmt);
        trials->run(job, got);
        EXPECT_EQ(got.faults, want.faults);
        EXPECT_EQ(got.errors, want.errors);
        EXPECT_EQ(got.evaluated, want.evaluated);
        EXPECT_EQ(got.first_stage, want.first_stage);
        ++checked;
        evaluated += got.evaluated ? 1 : 0;
      }
    }
    EXPECT_EQ(checked, result.rows.size());
    EXPECT_GT(evaluated, checked / 2) << "too few trials changed anything to compare";
  }
}

// The outcome classes of every weight trial, recomputed independently of the engines: the
// trial's plan drawn again from its stream, written into a quantized copy of the model by
// hand (decode of the new code), a plain forward pass, predictions compared with the clean
// quantized model's.
TEST_F(SiteTest, OutcomesEqualAPlainForwardPass) {
  // fp16: exponent faults give Inf and NaN weights, so logits turn non-finite too.
  for (const char* format_spec : {"q2.6-2c", "fp16"}) {
    SCOPED_TRACE(format_spec);
    CampaignSpec s = spec("weights");
    s.bers = {1e-4, 1e-3, 1e-2};
    s.configs = {{format_spec, "none"}};
    const CampaignResult result = run_campaign(s, {{model_}, images_, labels_});
    const auto fmt = format::Format::parse(format_spec);
    auto clean = model_->clone_model();
    clean->eval();
    const inject::WeightTargets targets(*clean, {"*"}, fmt);
    torch::NoGradGuard guard;
    const auto clean_pred = clean->forward(images_).argmax(1);
    int64_t changed_total = 0, nonfinite_total = 0;
    double nll_rise = 0;
    const ConfigSummary& sum = result.summaries[0];
    const double clean_ce =
        torch::nn::functional::cross_entropy(clean->forward(images_).to(torch::kDouble), labels_)
            .item<double>();
    EXPECT_NEAR(sum.baseline_nll, clean_ce, 1e-6 * (1 + clean_ce));
    // The summary's perplexity pools the trials: exp of their mean NLL, per BER.
    // The median is the middle trial's (three trials per BER).
    for (size_t b = 0; b < s.bers.size(); ++b) {
      double nll = 0;
      std::vector<double> nlls;
      for (int t = 0; t < s.trials; ++t) {
        nlls.push_back(result.rows[b * size_t(s.trials) + size_t(t)].nll);
        nll += nlls.back();
      }
      EXPECT_EQ(sum.perplexity.at(b), std::exp(nll / s.trials)) << b;
      std::sort(nlls.begin(), nlls.end());
      EXPECT_EQ(sum.median_perplexity.at(b), std::exp(nlls[1])) << b;
    }
    for (const TrialRow& r : result.rows) {
      SCOPED_TRACE(r.ber_index * 100 + r.trial);
      if (!r.evaluated) {
        EXPECT_EQ(r.nll, sum.baseline_nll);
      }
      fault::Rng rng(r.stream);
      uint64_t hits = 0;
      const auto changes =
          fault::sample_faults(rng, targets.codes(), targets.num_values(), fmt, fmt.code_mask(),
                               s.bers[size_t(r.ber_index)], s.semantics, s.fault_model, &hits);
      EXPECT_EQ(hits, r.faults);
      auto faulty = clean->clone_model();
      faulty->eval();
      auto named = faulty->named_parameters();
      for (const auto& ch : changes) {
        const auto& p = targets.params()[targets.param_of(ch.index)];
        named[p.name].view(-1)[int64_t(ch.index - p.offset)] = fmt.decode(ch.code);
      }
      const auto logits = faulty->forward(images_);
      const auto finite = torch::isfinite(logits).all(1);
      const auto changed = logits.argmax(1).ne(clean_pred).logical_and(finite);
      EXPECT_EQ(r.nonfinite, finite.numel() - finite.sum().item<int64_t>());
      EXPECT_EQ(r.changed, changed.sum().item<int64_t>());
      EXPECT_EQ(r.changed_correct,
                changed.logical_and(clean_pred.eq(labels_)).sum().item<int64_t>());
      EXPECT_EQ(r.errors, models::count_errors(logits, labels_));
      EXPECT_LE(r.changed + r.nonfinite, r.samples);
      // The trial's mean NLL: PyTorch's cross entropy of the plain pass (in double), +Inf
      // with a non-finite row. The engine's logits differ from the plain pass's by rounding.
      if (r.nonfinite > 0) {
        EXPECT_EQ(r.nll, INFINITY);
      } else {
        const double ce =
            torch::nn::functional::cross_entropy(logits.to(torch::kDouble), labels_).item<double>();
        EXPECT_NEAR(r.nll, ce, 1e-5 * (1 + ce));
        nll_rise = std::max(nll_rise, r.nll - result.summaries[0].baseline_nll);
      }
      changed_total += r.changed;
      nonfinite_total += r.nonfinite;
    }
    EXPECT_GT(changed_total, 0) << "no trial changed a prediction: the check is empty";
    EXPECT_GT(nll_rise, 0.01) << "no trial raised the NLL: the check is empty";
    if (!fmt.is_fixed()) {
      EXPECT_GT(nonfinite_total, 0) << "no non-finite logits: fp16 untested";
    }
  }
}

// Per-sample sites: samples without a fault are masked, so the counts stay within the
// faulty samples; a trial without faults counts nothing.
TEST_F(SiteTest, PerSampleOutcomesStayWithinTheirBounds) {
  CampaignSpec s = spec("act:fc1");
  s.configs = {{"q2.6-2c", "none"}};
  const CampaignResult result = run_campaign(s, {{model_}, images_, labels_});
  int64_t changed_total = 0;
  for (const TrialRow& r : result.rows) {
    EXPECT_GE(r.changed, r.changed_correct);
    EXPECT_LE(r.changed + r.nonfinite, r.samples);
    if (!r.evaluated) {
      EXPECT_EQ(r.changed + r.nonfinite + r.changed_correct, 0);
      EXPECT_EQ(r.nll, result.summaries[0].baseline_nll);
    }
    changed_total += r.changed;
  }
  EXPECT_GT(changed_total, 0);
}

// The model given to make_site stays as it was: the site quantizes its own copy.
TEST_F(SiteTest, MakeSiteLeavesTheModelAlone) {
  const CampaignSpec s = spec("weights");
  const std::string before = parameter_hash(*model_);
  const auto site =
      make_site(s, -1, *model_, format::Format::parse("q2.6-2c"), images_, labels_, torch::kCPU);
  EXPECT_EQ(parameter_hash(*model_), before);
  EXPECT_EQ(site->values(), uint64_t(266610));
}

TEST_F(SiteTest, ResolveNamesWhatIsWrong) {
  EXPECT_EQ(resolve_site_stage(SiteRef::parse("act:1"), *model_), 1);
  EXPECT_EQ(resolve_site_stage(SiteRef::parse("act:fc2"), *model_), 1);
  auto message = [&](const char* site) {
    try {
      resolve_site_stage(SiteRef::parse(site), *model_);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("act:fc3").find("no stage 'fc3' before its last"), std::string::npos)
      << message("act:fc3");
  EXPECT_NE(message("act:conv9").find("stages: fc1, fc2, fc3"), std::string::npos)
      << message("act:conv9");
  EXPECT_NE(message("hidden:fc1").find("is not a GRU"), std::string::npos) << message("hidden:fc1");
}

}  // namespace
}  // namespace ares::campaign
