#include "ares/campaign/hidden_state.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <string>
#include <vector>

#include "../same_bits.h"
#include "ares/common/error.h"
#include "ares/fault/rng.h"
#include "ares/models/evaluate.h"
#include "ares/models/gru.h"

namespace ares::campaign {
namespace {

using format::Format;

constexpr int64_t kSteps = 6, kFeatures = 5, kHidden = 8;

struct Setup {
  std::shared_ptr<models::StagedModel> model;
  torch::Tensor inputs, labels;
};

// A small GRU classifier on random sequences labelled by its own float predictions (one in
// seven relabelled, so that the baseline error is not zero).
Setup make_setup(uint64_t seed, int64_t n) {
  torch::manual_seed(seed);
  Setup s;
  s.model = models::make_gru_classifier(
      "test_gru", models::GruClassifierOptions(kFeatures, kHidden).steps(kSteps).classes(4));
  s.model->eval();
  s.inputs = torch::randn({n, kSteps, kFeatures}) * 2;
  c10::InferenceMode guard;
  s.labels = s.model->forward(s.inputs).argmax(1).clone();
  for (int64_t i = 0; i < n; i += 7) s.labels[i] = (s.labels[i].item<int64_t>() + 1) % 4;
  return s;
}

// The GRU run by hand on `x` with every step's hidden state stored in `fmt`; `fault(t, codes)`
// may change the codes of step t (rows x H) before they are decoded. Returns the logits and,
// per step, the stored states.
template <typename Fault>
torch::Tensor reference_run(models::StagedModel& model, const Format& fmt, torch::Tensor x,
                            Fault fault, std::vector<torch::Tensor>* states) {
  auto copy = model.clone_model();
  copy->eval();
  models::gru_step_hook(*copy, "gru")->on_step = [&](int64_t t, torch::Tensor& h) {
    h = h.contiguous();
    std::vector<uint32_t> codes(size_t(h.numel()));
    fmt.encode(h.data_ptr<float>(), codes.data(), codes.size());
    fault(t, codes);
    fmt.decode(codes.data(), h.data_ptr<float>(), codes.size());
    if (states) states->push_back(h.clone());
  };
  c10::InferenceMode guard;
  return copy->forward(x);
}

// The stored codes are those of the hidden state quantized at every step (the quantized state
// feeding the next step), and the baseline is the model run that way; a stage that is not a
// GRU, or none, is refused.
TEST(HiddenStateTest, CacheStoresEveryStepQuantized) {
  auto s = make_setup(1, 30);
  const Format f = Format::parse("q2.6-sm");
  HiddenStateCache cache(*s.model, 0, f, s.inputs, s.labels, 8);
  EXPECT_EQ(cache.steps(), kSteps);
  EXPECT_EQ(cache.hidden_size(), kHidden);
  EXPECT_EQ(cache.values_per_sample(), kSteps * kHidden);
  std::vector<torch::Tensor> states;
  auto logits = reference_run(
      *s.model, f, s.inputs, [](int64_t, std::vector<uint32_t>&) {}, &states);
  ASSERT_EQ(int64_t(states.size()), kSteps);
  for (int64_t i = 0; i < 30; ++i) {
    for (int64_t t = 0; t < kSteps; ++t) {
      for (int64_t u = 0; u < kHidden; ++u) {
        ASSERT_EQ(f.decode(cache.codes(i)[t * kHidden + u]), states[size_t(t)][i][u].item<float>())
            << "sample " << i << " step " << t << " unit " << u;
      }
    }
  }
  EXPECT_EQ(cache.baseline_errors(), models::count_errors(logits, s.labels));
  EXPECT_GT(cache.baseline_errors(), 0);
  // The model's hook is left empty.
  EXPECT_FALSE(static_cast<bool>(models::gru_step_hook(*s.model, "gru")->on_step));
  EXPECT_THROW(HiddenStateCache(*s.model, 1, f, s.inputs, s.labels, 8), InputError);  // fc1
  EXPECT_THROW(HiddenStateCache(*s.model, 5, f, s.inputs, s.labels, 8), InputError);
}

// One fault at a known place (sample s, step t, unit u, bit 7): h_t of that sample is the
// baseline word with bit 7 flipped, earlier steps are the baseline's, and the later steps
// equal a hand-run GRU with that flip, and differ from the baseline's.
TEST(HiddenStateTest, KnownFaultChangesItsStepAndTheLaterOnes) {
  auto s = make_setup(2, 12);
  const Format f = Format::parse("q2.6-2c");
  auto cache = std::make_shared<const HiddenStateCache>(*s.model, 0, f, s.inputs, s.labels, 5);
  HiddenStateEvaluator ev(cache, s.model->clone_model(), 5);
  const auto flip = fault::FaultModel::parse("flip");
  // Only bit 7 faultable, exactly round(ber x T x H) = 1 flip per sample.
  const uint32_t mask = 0x80;
  const double ber = 1.0 / double(kSteps * kHidden);
  const int64_t sample = 4;
  int checked = 0;
  for (uint64_t stream = 1; stream < 40 && checked < 3; ++stream) {
    fault::Rng rng(sample_stream(stream, sample));
    auto plan = fault::sample_faults(rng, cache->codes(sample), uint64_t(kSteps * kHidden), f, mask,
                                     ber, fault::Semantics::kExact, flip, nullptr);
    ASSERT_EQ(plan.size(), 1u);
    const int64_t t = int64_t(plan[0].index) / kHidden, u = int64_t(plan[0].index) % kHidden;
    if (t + 1 >= kSteps) continue;  // want a later step to look at
    SCOPED_TRACE("stream " + std::to_string(stream) + " step " + std::to_string(t) + " unit " +
                 std::to_string(u));
    const uint32_t clean = cache->codes(sample)[t * kHidden + u];
    ASSERT_EQ(plan[0].code, clean ^ 0x80u);
    auto got = ev.stored_states(sample, stream, mask, ber, fault::Semantics::kExact, flip);
    ASSERT_EQ(got.sizes(), (std::vector<int64_t>{kSteps, kHidden}));
    EXPECT_EQ(got[t][u].item<float>(), f.decode(clean ^ 0x80u));
    EXPECT_NE(got[t][u].item<float>(), f.decode(clean));
    for (int64_t e = 0; e < t; ++e) {
      for (int64_t k = 0; k < kHidden; ++k)
        EXPECT_EQ(got[e][k].item<float>(), f.decode(cache->codes(sample)[e * kHidden + k]));
    }
    bool later_differs = false;
    for (int64_t k = 0; k < kHidden; ++k) {
      later_differs = later_differs || got[t + 1][k].item<float>() !=
                                           f.decode(cache->codes(sample)[(t + 1) * kHidden + k]);
    }
    EXPECT_TRUE(later_differs);
    std::vector<torch::Tensor> states;
    reference_run(
        *s.model, f, s.inputs.slice(0, sample, sample + 1),
        [&](int64_t step, std::vector<uint32_t>& codes) {
          if (step == t) codes[size_t(u)] ^= 0x80u;
        },
        &states);
    EXPECT_TRUE(torch::equal(got, torch::cat(states)));
    ++checked;
  }
  EXPECT_EQ(checked, 3);
}

// Several flips per sample: each flips its bit in the word actually stored at its step (after
// the earlier flips changed the trajectory), the same as a hand-run GRU flipping those bits;
// under `zero` every hit value is stored as zero.
TEST(HiddenStateTest, LaterFaultsApplyToTheWordsActuallyStored) {
  auto s = make_setup(3, 10);
  const Format f = Format::parse("q4.4-2c");
  auto cache = std::make_shared<const HiddenStateCache>(*s.model, 0, f, s.inputs, s.labels, 4);
  HiddenStateEvaluator ev(cache, s.model->clone_model(), 4);
  const auto flip = fault::FaultModel::parse("flip");
  const uint64_t n = uint64_t(kSteps * kHidden);
  int multi = 0;
  for (int64_t sample = 0; sample < 10; ++sample) {
    SCOPED_TRACE(sample);
    fault::Rng rng(sample_stream(9, sample));
    auto plan = fault::sample_faults(rng, cache->codes(sample), n, f, f.code_mask(), 0.02,
                                     fault::Semantics::kBernoulli, flip, nullptr);
    multi += plan.size() >= 2 ? 1 : 0;
    std::vector<torch::Tensor> states;
    reference_run(
        *s.model, f, s.inputs.slice(0, sample, sample + 1),
        [&](int64_t step, std::vector<uint32_t>& codes) {
          for (const auto& ch : plan) {
            if (int64_t(ch.index) / kHidden != step) continue;
            codes[ch.index % kHidden] ^= ch.code ^ cache->codes(sample)[ch.index];
          }
        },
        &states);
    auto got = ev.stored_states(sample, 9, f.code_mask(), 0.02, fault::Semantics::kBernoulli, flip);
    EXPECT_TRUE(torch::equal(got, torch::cat(states)));
    const auto zero = fault::FaultModel::parse("zero");
    fault::Rng zr(sample_stream(9, sample));
    auto zplan = fault::sample_faults(zr, cache->codes(sample), n, f, f.code_mask(), 0.1,
                                      fault::Semantics::kBernoulli, zero, nullptr);
    auto zgot = ev.stored_states(sample, 9, f.code_mask(), 0.1, fault::Semantics::kBernoulli, zero);
    for (const auto& ch : zplan) {
      EXPECT_EQ(zgot[int64_t(ch.index) / kHidden][int64_t(ch.index) % kHidden].item<float>(), 0.f);
    }
  }
  EXPECT_GE(multi, 3);
}

// Zero rate or every bit protected: nothing changes, the baseline exactly; a trial does not
// depend on the evaluation batch; the weights are untouched by hidden-state trials; and the
// trial's errors are those of the samples' stored states run through the later stages.
TEST(HiddenStateTest, NullFaultsBatchIndependenceAndWeights) {
  auto s = make_setup(4, 40);
  const Format f = Format::parse("q2.6-2c");
  auto cache = std::make_shared<const HiddenStateCache>(*s.model, 0, f, s.inputs, s.labels, 40);
  const auto flip = fault::FaultModel::parse("flip");
  auto copy = s.model->clone_model();
  std::vector<torch::Tensor> before;
  for (const auto& p : copy->parameters()) before.push_back(p.detach().clone());
  HiddenStateEvaluator a(cache, copy, 3), b(cache, s.model->clone_model(), 64);
  uint64_t hits = 0;
  int64_t errors = 0;
  EXPECT_FALSE(a.run(1, 0u, 0.5, fault::Semantics::kBernoulli, flip, &hits, &errors));
  EXPECT_EQ(errors, cache->baseline_errors());
  EXPECT_EQ(hits, 0u);
  int evaluated = 0;
  for (uint64_t stream : {11, 12, 13, 14}) {
    SCOPED_TRACE(stream);
    uint64_t h1 = 0, h2 = 0;
    int64_t e1 = 0, e2 = 0;
    bool c1 = a.run(stream, f.code_mask(), 3e-3, fault::Semantics::kBernoulli, flip, &h1, &e1);
    bool c2 = b.run(stream, f.code_mask(), 3e-3, fault::Semantics::kBernoulli, flip, &h2, &e2);
    EXPECT_EQ(c1, c2);
    EXPECT_EQ(h1, h2);
    EXPECT_EQ(e1, e2);
    EXPECT_GT(h1, 0u);
    evaluated += c1 ? 1 : 0;
    // The errors again, sample by sample, from each one's stored final state.
    int64_t expect = 0;
    c10::InferenceMode guard;
    for (int64_t i = 0; i < 40; ++i) {
      auto st = b.stored_states(i, stream, f.code_mask(), 3e-3, fault::Semantics::kBernoulli, flip);
      auto logits = s.model->forward_from(1, st.slice(0, kSteps - 1, kSteps));
      expect += models::count_errors(logits, s.labels.slice(0, i, i + 1));
    }
    EXPECT_EQ(e1, expect);
  }
  EXPECT_GT(evaluated, 0);
  auto params = copy->parameters();
  ASSERT_EQ(params.size(), before.size());
  for (size_t i = 0; i < params.size(); ++i) EXPECT_TRUE(torch::equal(params[i], before[i]));
}

// Every fault model, the ones that draw from the stream too, against the definition run by
// hand: at each step from the first change on, the plan is drawn again over the words stored
// so far (earlier steps: the words stored then, before their faults) and its changes of that
// step are applied; before the first change the baseline's words are stored.
TEST(HiddenStateTest, EveryModelMatchesTheStepByStepDefinition) {
  auto s = make_setup(5, 12);
  const uint64_t n = uint64_t(kSteps * kHidden);
  int changed = 0;
  for (const char* spec : {"q4.4-2c", "fp16"}) {
    const Format f = Format::parse(spec);
    auto cache = std::make_shared<const HiddenStateCache>(*s.model, 0, f, s.inputs, s.labels, 5);
    HiddenStateEvaluator ev(cache, s.model->clone_model(), 5);
    const uint32_t mask = f.code_mask() >> 1;  // the sign bit protected
    for (const char* m :
         {"flip", "stuck0", "stuck1", "signflip", "zero", "uniform", "gaussian:0.3"}) {
      const auto model = fault::FaultModel::parse(m);
      const double rate = model.bit_level() ? 0.02 : 0.08;
      for (int64_t sample = 0; sample < 12; ++sample) {
        SCOPED_TRACE(std::string(spec) + " " + m + " sample " + std::to_string(sample));
        const uint32_t* baseline = cache->codes(sample);
        fault::Rng r0(sample_stream(17, sample));
        const auto plan = fault::sample_faults(r0, baseline, n, f, mask, rate,
                                               fault::Semantics::kBernoulli, model, nullptr);
        const int64_t first = plan.empty() ? kSteps : int64_t(plan.front().index) / kHidden;
        std::vector<uint32_t> stored(baseline, baseline + n);
        std::vector<torch::Tensor> states;
        reference_run(
            *s.model, f, s.inputs.slice(0, sample, sample + 1),
            [&](int64_t step, std::vector<uint32_t>& codes) {
              uint32_t* at = stored.data() + step * kHidden;
              if (step < first) {
                std::copy_n(at, kHidden, codes.data());
                return;
              }
              std::copy_n(codes.data(), kHidden, at);
              fault::Rng r(sample_stream(17, sample));
              for (const auto& ch :
                   fault::sample_faults(r, stored.data(), n, f, mask, rate,
                                        fault::Semantics::kBernoulli, model, nullptr)) {
                if (int64_t(ch.index) / kHidden == step) codes[ch.index % kHidden] = ch.code;
              }
            },
            &states);
        const auto got =
            ev.stored_states(sample, 17, mask, rate, fault::Semantics::kBernoulli, model);
        const auto expect = torch::cat(states);
        EXPECT_TRUE(ares::testing::same_bits(got, expect));
        changed += plan.empty() ? 0 : 1;
      }
    }
  }
  EXPECT_GT(changed, 100);
}

}  // namespace
}  // namespace ares::campaign
