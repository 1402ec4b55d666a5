#pragma once
/// Activation faults: a stage's output is stored in a number format (every value quantized,
/// which sets the baseline) and its stored bits are faulted for every inference.
///
/// Faults are transient: every evaluated sample draws its own plan from a stream keyed by
/// (trial stream, sample index), so results do not depend on batching or threads. Only the
/// samples whose stored activations changed are run through the rest of the network; the
/// others keep their clean prediction. The hidden-state site (campaign/hidden_state.h) works
/// the same way on a GRU's hidden state at every step.

#include <torch/types.h>

#include <memory>
#include <vector>

#include "ares/fault/fault_model.h"
#include "ares/format/format.h"
#include "ares/models/evaluate.h"
#include "ares/models/script_sites.h"
#include "ares/models/staged_model.h"

namespace ares::campaign {

/// What the per-sample sites (stage outputs, GRU hidden states) share: for every evaluated
/// sample, the values it stores in a format and their codes, and the predictions of the
/// baseline (the model run with those stored values).
class SampleCodes {
 public:
  virtual ~SampleCodes() = default;
  const format::Format& format() const { return format_; }
  int64_t samples() const { return labels_.size(0); }
  /// Values stored per sample (faults are drawn over these, per sample).
  int64_t values_per_sample() const { return values_; }
  const uint32_t* codes(int64_t sample) const { return codes_.data() + sample * values_; }
  const torch::Tensor& labels() const { return labels_; }
  /// Per sample, 1 where the baseline prediction is wrong.
  const torch::Tensor& wrong() const { return wrong_; }
  /// Per sample, the baseline's prediction (int64, on the host).
  const torch::Tensor& clean_pred() const { return clean_pred_; }
  int64_t baseline_errors() const { return baseline_errors_; }
  /// Per sample, the baseline's negative log-likelihood of its label (models::sample_nll:
  /// double, on the host), and its sum in sample order.
  const torch::Tensor& clean_nll() const { return clean_nll_; }
  double baseline_nll() const { return baseline_nll_; }
  /// The error metric: top-1 or top-k error (models/evaluate.h).
  int top_k() const { return top_k_; }

 protected:
  SampleCodes(const format::Format& fmt, const torch::Tensor& labels, int top_k);
  /// Records the baseline's predictions from its logits (N x classes).
  void set_baseline(const torch::Tensor& logits);

  format::Format format_;
  torch::Tensor labels_, wrong_, clean_pred_, clean_nll_;
  std::vector<uint32_t> codes_;  // samples x values_, sample-major
  int64_t values_ = 0;
  int64_t baseline_errors_ = 0;
  double baseline_nll_ = 0;
  int top_k_ = 1;
};

/// The stream of sample `sample` in the trial whose stream is `trial_stream`: every evaluated
/// sample of a per-sample site draws its plan from it.
uint64_t sample_stream(uint64_t trial_stream, int64_t sample);

/// Runs per-sample trials (activation or hidden-state faults) on one thread's model copy.
class SampleEvaluator {
 public:
  virtual ~SampleEvaluator() = default;
  /// One trial: samples each sample's faults, evaluates the samples they change. Fills the
  /// number of hit bits (or values) and the wrong predictions; returns whether any stored
  /// value changed.
  virtual bool run(uint64_t trial_stream, uint32_t faultable_mask, double ber,
                   fault::Semantics semantics, const fault::FaultModel& model, uint64_t* hits,
                   int64_t* errors) = 0;
  /// What the last run did to the predictions (samples without a fault are masked).
  const models::Outcomes& last_outcomes() const { return outcomes_; }

 protected:
  models::Outcomes outcomes_;
};

/// The clean pass with stage `stage`'s output stored in `fmt`.
class ActivationCache : public SampleCodes {
 public:
  /// `model` in eval mode, on the device of `images`; its weights stay float. The stored
  /// activations stay on that device, their codes on the host (where plans are drawn). Throws
  /// ares::InputError when `stage` is out of range.
  ActivationCache(models::StagedModel& model, size_t stage, const format::Format& fmt,
                  const torch::Tensor& images, const torch::Tensor& labels, int64_t batch,
                  int top_k = 1);
  size_t stage() const { return stage_; }
  /// Stored (quantized) activations, N x values_per_sample, on the model's device.
  const torch::Tensor& stored() const { return stored_; }
  /// The stage output's shape for one sample (to reshape stored rows).
  const std::vector<int64_t>& sample_shape() const { return sample_shape_; }

 private:
  size_t stage_;
  torch::Tensor stored_;
  std::vector<int64_t> sample_shape_;
};

/// Runs activation-fault trials on one thread's model copy.
class ActivationEvaluator : public SampleEvaluator {
 public:
  ActivationEvaluator(std::shared_ptr<const ActivationCache> cache,
                      std::shared_ptr<models::StagedModel> model, int64_t batch);
  bool run(uint64_t trial_stream, uint32_t faultable_mask, double ber, fault::Semantics semantics,
           const fault::FaultModel& model, uint64_t* hits, int64_t* errors) override;

 private:
  std::shared_ptr<const ActivationCache> cache_;
  std::shared_ptr<models::StagedModel> model_;
  int64_t batch_;
};

/// The clean pass with the value at a graph site of a TorchScript model (models/script_sites.h:
/// any submodule or op output, residual blocks and attention included) stored in `fmt`: the
/// module runs with a fault point there, which stores every sample's value in the format and
/// hands the stored values on. Runs on the CPU.
class GraphActivationCache : public SampleCodes {
 public:
  /// `archive`: the TorchScript file's bytes (StagedModel::script_source); `name`: the site
  /// ("layer1.0.conv2"); `label`: the model, for messages. Throws ares::InputError when the
  /// value is not float32, not batch-first (one row per sample), or not reached exactly once
  /// per forward (an op inside a submodule called twice).
  GraphActivationCache(std::shared_ptr<const std::string> archive, const std::string& name,
                       const std::string& label, const format::Format& fmt,
                       const torch::Tensor& images, const torch::Tensor& labels, int64_t batch,
                       int top_k = 1);
  /// Stored (quantized) values, N x values_per_sample, on the host.
  const torch::Tensor& stored() const { return stored_; }
  const torch::Tensor& images() const { return images_; }
  const std::shared_ptr<const std::string>& archive() const { return archive_; }
  const std::string& name() const { return name_; }
  const std::string& label() const { return label_; }
  /// Checks what reached the point: float32, `rows` samples, one sample's shape as before
  /// (when known). Throws ares::InputError naming the site.
  void check_value(const torch::Tensor& v, int64_t rows) const;
  /// Checks that the point was reached once in the forward just run.
  void check_reached(const std::vector<int64_t>& reached) const;

 private:
  std::shared_ptr<const std::string> archive_;
  std::string name_, label_;
  torch::Tensor stored_, images_;
  std::vector<int64_t> sample_shape_;
};

/// Runs graph-site trials: each faulty sample's whole forward, with its faulty stored values put
/// in at the point (this thread's own copy of the module).
class GraphActivationEvaluator : public SampleEvaluator {
 public:
  GraphActivationEvaluator(std::shared_ptr<const GraphActivationCache> cache, int64_t batch);
  bool run(uint64_t trial_stream, uint32_t faultable_mask, double ber, fault::Semantics semantics,
           const fault::FaultModel& model, uint64_t* hits, int64_t* errors) override;

 private:
  std::shared_ptr<const GraphActivationCache> cache_;
  std::unique_ptr<models::FaultPointModel> model_;
  int64_t batch_;
};

}  // namespace ares::campaign
