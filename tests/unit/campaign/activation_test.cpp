#include "ares/campaign/activation.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "ares/common/error.h"
#include "ares/models/evaluate.h"
#include "ares/models/registry.h"

namespace ares::campaign {
namespace {

using format::Format;

struct Setup {
  std::shared_ptr<models::StagedModel> model;
  torch::Tensor images, labels;
};

Setup make_setup(uint64_t seed, int64_t n) {
  torch::manual_seed(seed);
  Setup s;
  s.model = models::create("mnist_fc");
  s.model->eval();
  s.images = torch::rand({n, 1, 28, 28});
  c10::InferenceMode guard;
  s.labels = s.model->forward(s.images).argmax(1);
  return s;
}

// The stored activations are the quantized stage output, and the baseline is the model run
// with them.
TEST(ActivationTest, CacheStoresQuantizedOutput) {
  auto s = make_setup(1, 50);
  const Format f = Format::parse("q2.6-sm");
  ActivationCache cache(*s.model, 0, f, s.images, s.labels, 16);
  c10::InferenceMode guard;
  auto out = s.model->stage(0)->forward(s.images).contiguous();
  auto expect = out.clone();
  f.quantize(out.data_ptr<float>(), expect.data_ptr<float>(), size_t(out.numel()));
  EXPECT_TRUE(torch::equal(cache.stored(), expect));
  auto logits = s.model->forward_from(1, expect);
  EXPECT_EQ(cache.baseline_errors(), models::count_errors(logits, s.labels));
  EXPECT_THROW(ActivationCache(*s.model, 7, f, s.images, s.labels, 16), InputError);
}

// stuck0 at rate 1 zeroes every stored activation: the trial's errors are those of the rest
// of the network on zeros; and the model's weights are untouched by activation faults.
TEST(ActivationTest, KnownPlanGivesExpectedErrorsAndLeavesWeights) {
  auto s = make_setup(2, 40);
  const Format f = Format::parse("q4.4-2c");
  auto cache = std::make_shared<const ActivationCache>(*s.model, 1, f, s.images, s.labels, 16);
  auto copy = s.model->clone_model();
  std::vector<torch::Tensor> before;
  for (const auto& p : copy->parameters()) before.push_back(p.detach().clone());
  ActivationEvaluator ev(cache, copy, 16);
  uint64_t hits = 0;
  int64_t errors = -1;
  bool changed = ev.run(7, f.code_mask(), 1.0, fault::Semantics::kBernoulli,
                        fault::FaultModel::parse("stuck0"), &hits, &errors);
  EXPECT_TRUE(changed);
  EXPECT_EQ(hits, uint64_t(40 * 100 * 8));
  c10::InferenceMode guard;
  auto zeros = torch::zeros({40, 100});
  EXPECT_EQ(errors, models::count_errors(s.model->forward_from(2, zeros), s.labels));
  auto params = copy->parameters();
  for (size_t i = 0; i < params.size(); ++i) EXPECT_TRUE(torch::equal(params[i], before[i]));
}

// Zero rate, or every bit protected: no change, the baseline exactly; and a trial's result
// does not depend on the evaluation batch.
TEST(ActivationTest, NullFaultsAndBatchIndependence) {
  auto s = make_setup(3, 64);
  const Format f = Format::parse("q2.6-2c");
  auto cache = std::make_shared<const ActivationCache>(*s.model, 0, f, s.images, s.labels, 64);
  const auto flip = fault::FaultModel::parse("flip");
  ActivationEvaluator a(cache, s.model->clone_model(), 8), b(cache, s.model->clone_model(), 64);
  uint64_t hits = 0;
  int64_t errors = 0;
  EXPECT_FALSE(a.run(1, 0u, 0.5, fault::Semantics::kBernoulli, flip, &hits, &errors));
  EXPECT_EQ(errors, cache->baseline_errors());
  EXPECT_EQ(hits, 0u);
  for (uint64_t stream : {11, 12, 13}) {
    SCOPED_TRACE(stream);
    uint64_t h1 = 0, h2 = 0;
    int64_t e1 = 0, e2 = 0;
    a.run(stream, f.code_mask(), 1e-3, fault::Semantics::kBernoulli, flip, &h1, &e1);
    b.run(stream, f.code_mask(), 1e-3, fault::Semantics::kBernoulli, flip, &h2, &e2);
    EXPECT_EQ(h1, h2);
    EXPECT_EQ(e1, e2);
    EXPECT_GT(h1, 0u);
  }
}

}  // namespace
}  // namespace ares::campaign
