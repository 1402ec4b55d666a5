#pragma once
// What the per-sample sites (activation.cpp, hidden_state.cpp) share: drawing every sample's
// plan, and counting a trial's errors from the baseline and the re-run faulty samples.

#include <torch/types.h>

#include <functional>
#include <vector>

#include "ares/campaign/activation.h"
#include "ares/fault/fault_model.h"

namespace ares::campaign::detail {

/// A sample whose plan changes at least one stored value.
struct SamplePlan {
  int64_t sample;
  fault::FaultPlan plan;  ///< over the sample's stored values
};

/// Draws every sample's plan over its stored codes, each from sample_stream(trial_stream, i);
/// returns the plans that change something, by sample. `hits` receives the total hits.
std::vector<SamplePlan> draw_sample_plans(const SampleCodes& c, uint64_t trial_stream,
                                          uint32_t faultable_mask, double ber,
                                          fault::Semantics semantics,
                                          const fault::FaultModel& model, uint64_t* hits);

/// The logits of the faulty samples plans[first, last); `index` holds their sample indices.
using FaultyLogits = std::function<torch::Tensor(const std::vector<SamplePlan>& plans, size_t first,
                                                 size_t last, const torch::Tensor& index)>;

/// One per-sample trial (SampleEvaluator::run): draws the plans; when none changes anything,
/// the errors are the baseline's and it returns false. Otherwise the errors are the
/// baseline's for the samples without a plan and those of `logits` (called on batches of at
/// most `batch` plans) for the others, and it returns true. `outcomes` receives what the
/// faults did to the faulty samples' predictions (the others are masked).
bool run_sample_trial(const SampleCodes& c, uint64_t trial_stream, uint32_t faultable_mask,
                      double ber, fault::Semantics semantics, const fault::FaultModel& model,
                      int64_t batch, const FaultyLogits& logits, uint64_t* hits, int64_t* errors,
                      models::Outcomes* outcomes);

}  // namespace ares::campaign::detail
