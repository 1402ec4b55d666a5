#pragma once
/// The evaluation engine: what one trial costs.
///
/// Three engines compute the same numbers (errors per trial) at different costs:
///   - reference: apply faults to the model, run the full forward pass, restore by copying
///     every target weight back (the plain way; the yardstick for correctness).
///   - prefix: restore in O(faults) and restart at the first faulty stage from cached clean
///     activations, then run the rest densely.
///   - fast (default): prefix plus sparse deltas. At the first faulty stage the faulty
///     pre-activation is the cached clean one plus the changed weights' contributions only
///     (for a linear layer w[o,i] adds dw * x[:, i] to column o; for a convolution dw times a
///     shifted input plane to output channel o); the change stays confined to those output
///     units or channels through ReLU and pooling, and the next linear or convolution stage
///     takes it in as a low-rank update of its cached pre-activation. From there on the
///     suffix runs densely. Errors equal the dense engines' except where float rounding
///     flips a near-tie between logits.

#include <torch/types.h>

#include <memory>
#include <string>
#include <vector>

#include "ares/campaign/spec_types.h"
#include "ares/fault/fault_model.h"
#include "ares/fault/sampler.h"
#include "ares/inject/weight_faults.h"
#include "ares/models/evaluate.h"
#include "ares/models/staged_model.h"

namespace ares::campaign {

/// Clean activations of one (quantized) model over the evaluation set: the input and the
/// pre-activation of every stage from `first_cached()` on, and the clean logits.
class CleanCache {
 public:
  /// Runs the clean forward pass in batches of `batch` and keeps as many stage activations as
  /// fit in `budget_mb` MiB, filled from the last stage backwards (the images themselves are
  /// always available as stage 0's input).
  /// With `time_suffixes`, also times the clean forward pass from every stage to the output
  /// (see suffix_seconds). The batches are shared out over `threads` threads, each running
  /// its batches single-threaded, so that the cache is bit for bit the same for any count.
  /// `top_k`: the error metric, top-1 or top-k error (models/evaluate.h).
  CleanCache(models::StagedModel& model, torch::Tensor images, torch::Tensor labels, int64_t batch,
             int64_t budget_mb, bool time_suffixes = false, int threads = 1, int top_k = 1);
  /// Stages s >= first_cached() have input(s) and pre(s); input(num_stages) is the logits.
  size_t first_cached() const { return first_cached_; }
  const torch::Tensor& input(size_t s) const { return inputs_.at(s); }
  const torch::Tensor& pre(size_t s) const { return pre_.at(s); }
  const torch::Tensor& images() const { return images_; }
  const torch::Tensor& labels() const { return labels_; }
  int64_t samples() const { return labels_.size(0); }
  /// Wrong predictions of the clean (quantized) model.
  int64_t baseline_errors() const { return baseline_errors_; }
  int top_k() const { return top_k_; }
  /// Per sample, 1 where the clean model's prediction is wrong (int64).
  const torch::Tensor& wrong() const { return wrong_; }
  /// Per sample, the clean model's prediction (int64).
  const torch::Tensor& clean_pred() const { return clean_pred_; }
  /// Per sample, the clean model's negative log-likelihood of its label (models::sample_nll:
  /// double, on the host), and its sum in sample order.
  const torch::Tensor& clean_nll() const { return clean_nll_; }
  double baseline_nll() const { return baseline_nll_; }
  /// Seconds the clean forward pass took (one pass over the evaluation set, on one thread:
  /// the batches' times summed, whatever the thread count).
  double forward_seconds() const { return forward_seconds_; }
  int64_t cached_bytes() const { return cached_bytes_; }
  /// Seconds of the clean dense pass from stage s (from its cached input, else from the
  /// images) to the logits over the evaluation set: the floor of a trial whose first faulty
  /// stage is s. Empty unless built with time_suffixes.
  const std::vector<double>& suffix_seconds() const { return suffix_seconds_; }
  /// Largest activation of one sample at any stage, in bytes.
  int64_t max_sample_bytes() const { return max_sample_bytes_; }

 private:
  torch::Tensor images_, labels_, wrong_, clean_pred_, clean_nll_;
  std::vector<torch::Tensor> inputs_, pre_;
  size_t first_cached_ = 0;
  int64_t baseline_errors_ = 0;
  double baseline_nll_ = 0;
  int top_k_ = 1;
  double forward_seconds_ = 0;
  int64_t cached_bytes_ = 0;
  int64_t max_sample_bytes_ = 0;
  std::vector<double> suffix_seconds_;
};

/// Evaluates trials on one thread's own model copy. Not thread-safe: one per thread.
class TrialEvaluator {
 public:
  /// `model` must hold the quantized targets (a clone of the model `cache` was built from).
  TrialEvaluator(std::shared_ptr<const CleanCache> cache,
                 std::shared_ptr<models::StagedModel> model,
                 std::shared_ptr<const inject::WeightTargets> targets, Engine engine,
                 int64_t batch);
  /// Applies `plan`, counts wrong predictions over the evaluation set, restores the model.
  /// An empty plan returns the baseline without evaluating.
  int64_t errors(const fault::FaultPlan& plan);
  /// The same for bit flips (fault::plan_of_flips) and for bare code changes (tests, benches).
  int64_t errors(const std::vector<fault::Flip>& flips);
  int64_t errors(const std::vector<fault::CodeChange>& codes);
  /// First stage the last plan touched (num_stages when it touched none).
  size_t last_first_stage() const { return last_first_stage_; }
  /// What the last plan did to the predictions (all zero for an empty plan).
  const models::Outcomes& last_outcomes() const { return outcomes_; }

 private:
  int64_t evaluate_applied();
  int64_t errors_dense(size_t first);
  int64_t errors_fast(size_t first);
  int64_t batch_fast(size_t first, int64_t a, int64_t b);

  std::shared_ptr<const CleanCache> cache_;
  std::shared_ptr<models::StagedModel> model_;
  std::shared_ptr<const inject::WeightTargets> targets_;
  inject::WeightInjector injector_;
  Engine engine_;
  int64_t batch_;
  size_t last_first_stage_ = 0;
  models::Outcomes outcomes_;
  std::vector<torch::Tensor> backup_;  // reference engine: full copies of target params
  std::vector<torch::Tensor> target_tensors_;
  // per stage, the changes of the current plan that fall into it
  std::vector<std::vector<inject::ValueChange>> stage_changes_;
};

}  // namespace ares::campaign
