#pragma once
/// Staged models: a network as a sequence of stages whose outputs are injection points.
///
/// A stage is one "layer" in the sense of the original Ares: an optional flatten, a core
/// operation (fully connected or 2-D convolution) holding the stage's parameters, then an
/// optional ReLU, an optional max-pool and an optional dropout (training only). Parameters are
/// named "<stage>.weight" and "<stage>.bias". Because every stage exposes its pre-activation
/// and its output, the engine can restart a trial at its first faulty stage and reuse cached
/// clean activations before it.

#include <torch/nn/module.h>
#include <torch/nn/modules/container/any.h>
#include <torch/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace ares::models {

/// What a stage does, in order: flatten -> op -> batch norm -> relu or tanh -> max-pool ->
/// dropout.
struct StageOptions {
  /// kModule: any module (a residual block, a recurrent layer, ...) run as a whole; the
  /// other fields are unused and the engine evaluates it densely.
  enum class Op { kLinear, kConv2d, kModule };
  Op op = Op::kLinear;
  int64_t in = 0;        ///< input features (linear) or channels (conv)
  int64_t out = 0;       ///< output features or channels
  int64_t kernel = 3;    ///< conv kernel size (square)
  int64_t padding = 0;   ///< conv padding
  bool flatten = false;  ///< flatten all but the batch dimension first
  bool relu = false;
  int64_t pool = 0;        ///< max-pool kernel and stride; 0 = none
  double dropout = 0.0;    ///< dropout probability in training; 0 = none
  bool batchnorm = false;  ///< 2-D batch norm after a convolution (fold it before campaigns)
  bool tanh = false;       ///< tanh where relu would be (not both)
};

/// One stage: parameters `weight` and `bias`; with batch norm also `bn_weight`, `bn_bias` and
/// the buffers `bn_mean`, `bn_var` (eps 1e-5, momentum 0.1, as torch.nn.BatchNorm2d).
class StageImpl : public torch::nn::Module {
 public:
  explicit StageImpl(StageOptions options);
  /// A kModule stage around `body`: the body's own parameters, buffers and children become
  /// the stage's, under the same names. Of `options` only flatten (before the body), relu or
  /// tanh and pool (after it) apply.
  explicit StageImpl(torch::nn::AnyModule body, StageOptions options = {});
  /// flatten (if any) then the core operation: the pre-activation.
  torch::Tensor pre_activation(const torch::Tensor& x) const;
  /// relu or tanh, pool and (in training) dropout applied to a pre-activation.
  torch::Tensor finish(const torch::Tensor& pre) const;
  /// finish() of a pre-activation the caller gives up (nothing else refers to its memory):
  /// where no gradient is needed the ReLU or tanh runs in place, bit for bit the same values, one
  /// tensor fewer to allocate and fill.
  torch::Tensor finish_owned(torch::Tensor pre) const;
  torch::Tensor forward(const torch::Tensor& x) { return finish_owned(pre_activation(x)); }
  const StageOptions& options() const { return options_; }
  torch::Tensor weight;
  torch::Tensor bias;
  torch::Tensor bn_weight, bn_bias, bn_mean, bn_var;

 private:
  torch::Tensor finish_after_activation(const torch::Tensor& act_out) const;  // pool, dropout
  StageOptions options_;
  mutable torch::nn::AnyModule body_;  // AnyModule::forward is not const
};
TORCH_MODULE(Stage);

/// A model as named stages. Built by the zoo (see registry.h) or by users.
class StagedModel : public torch::nn::Module {
 public:
  /// `input_shape`: one sample's shape, e.g. {1, 28, 28}.
  StagedModel(std::string name, std::vector<int64_t> input_shape);
  /// Appends a stage; its parameters become "<stage_name>.weight" and "<stage_name>.bias".
  void add_stage(const std::string& stage_name, StageOptions options);
  /// Appends a stage that runs any module, built by `make` (called again for clones). Its
  /// parameters are "<stage_name>.<the module's own names>". Weight campaigns target them
  /// like any other; the engine evaluates such a stage densely (no sparse update).
  ///
  /// Example (any module with a `Tensor forward(Tensor)`; nn::Sequential itself does not fit
  /// in an AnyModule, wrap it):
  ///   m->add_module_stage("block1", [] { return torch::nn::AnyModule(MyBlock(64, 128)); });
  void add_module_stage(const std::string& stage_name, std::function<torch::nn::AnyModule()> make);
  /// The same with a flatten before the module and a relu or tanh and a max-pool after it, as
  /// `options` says (its op is ignored).
  void add_module_stage(const std::string& stage_name, std::function<torch::nn::AnyModule()> make,
                        StageOptions options);

  const std::string& name() const { return name_; }
  const std::vector<int64_t>& input_shape() const { return input_shape_; }
  size_t num_stages() const { return stages_.size(); }
  const std::string& stage_name(size_t i) const { return stage_names_.at(i); }
  /// The stage a user names, as `--site act:STAGE` and `--inject act:STAGE` take it: the stage
  /// called `name`, else the stage whose index `name` spells; -1 when there is none.
  int64_t find_stage(const std::string& name) const;
  /// The stage names, comma-separated ("conv1, conv2, fc1"), for messages.
  std::string stage_list() const;
  Stage& stage(size_t i) { return stages_.at(i); }
  const Stage& stage(size_t i) const { return stages_.at(i); }
  /// Index of the stage owning parameter `param_name` ("fc1.weight" -> index of fc1).
  size_t stage_of(const std::string& param_name) const;

  /// The whole network: logits.
  torch::Tensor forward(torch::Tensor x);
  /// Runs stages [first, num_stages()) on `x`, the input of stage `first`.
  torch::Tensor forward_from(size_t first, torch::Tensor x);
  /// Number of parameters (all stages).
  int64_t parameter_count() const;
  /// A deep copy with its own parameter and buffer storage (for per-thread model copies), on
  /// the device the original's parameters are on.
  std::shared_ptr<StagedModel> clone_model() const;
  /// A copy with every stage's batch norm (running statistics) folded into its weight and
  /// bias, and no batch norm parameters left: w' = w * g / sqrt(v + eps),
  /// b' = (b - m) * g / sqrt(v + eps) + beta. What inference hardware stores, and what weight
  /// campaigns target. Without batch norm, a plain copy.
  std::shared_ptr<StagedModel> fold_batchnorm() const;
  /// True when some stage still has an unfolded batch norm.
  bool has_batchnorm() const;
  /// A check of evaluation data beyond input_shape(), which train::check_input_shape runs on
  /// the data's first sample (a TorchScript model's: its own forward takes the data, and its
  /// stages give its logits there). Given the sample and this model; throws to refuse the
  /// data. Kept by clone_model and fold_batchnorm.
  using InputCheck = std::function<void(const torch::Tensor& sample, StagedModel& model)>;
  void set_input_check(InputCheck check) { input_check_ = std::move(check); }
  /// Runs the input check, if any, on `sample` (a batch of one).
  void check_input(const torch::Tensor& sample) const;
  /// A TorchScript model's archive (the file's bytes), from which graph sites
  /// (models/script_sites.h: act:NAME at any submodule or op output) load their own copy of
  /// the module; null for other models. Kept by clone_model and fold_batchnorm.
  void set_script_source(std::shared_ptr<const std::string> bytes) {
    script_source_ = std::move(bytes);
  }
  const std::shared_ptr<const std::string>& script_source() const { return script_source_; }

 private:
  std::string name_;
  std::vector<int64_t> input_shape_;
  std::vector<std::string> stage_names_;
  std::vector<Stage> stages_;
  std::vector<StageOptions> stage_options_;
  std::vector<std::function<torch::nn::AnyModule()>> factories_;  // kModule stages only
  InputCheck input_check_;
  std::shared_ptr<const std::string> script_source_;
  void check_stage_name(const std::string& stage_name) const;
};

}  // namespace ares::models
