#pragma once
/// Recurrent models: a GRU layer unrolled step by step, and the GRU classifiers of the zoo.
///
/// The GRU holds its own parameters in torch.nn.GRU's layout, so PyTorch weights map one to
/// one: `weight_ih` (3H x F), `weight_hh` (3H x H), `bias_ih` (3H), `bias_hh` (3H), the three
/// row blocks being the gates r, z, n in that order (torch's `weight_ih_l0`, `weight_hh_l0`,
/// `bias_ih_l0`, `bias_hh_l0`). In a staged model they are "<stage>.weight_ih" and so on, and
/// weight campaigns fault them like any other parameter.
///
/// The time loop is explicit so that the hidden state after every step is an injection point:
/// see GruStepHookImpl.

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ares/models/staged_model.h"

namespace ares::models {

/// The per-step hook point of a Gru: a module without parameters, registered as the GRU's
/// child `step_hook` (so a staged model's GRU stage has it as its child `step_hook` too, and
/// parameter names are unaffected).
///
/// After computing the hidden state h_t of step t (0-based, N x H), the GRU calls
/// `on_step(t, h_t)` when it is set; the hook may change h_t in place or assign a new tensor,
/// and the GRU continues from what the hook leaves (the last step's h is the output). Empty by
/// default: then the GRU costs nothing extra. A hook is per model object: clone_model() and
/// fold_batchnorm() build fresh GRUs whose hooks are empty.
///
/// Example (zero unit 3 of the hidden state at step 10):
///   gru_step_hook(*model, "gru")->on_step = [](int64_t t, torch::Tensor& h) {
///     if (t == 10) h.select(1, 3).zero_();
///   };
class GruStepHookImpl : public torch::nn::Module {
 public:
  std::function<void(int64_t step, torch::Tensor& h)> on_step;
};
TORCH_MODULE(GruStepHook);

/// A single-layer, unidirectional GRU over batch-first sequences, with torch.nn.GRU's
/// equations and initialisation (every parameter uniform in [-1/sqrt(H), 1/sqrt(H)]):
///   r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
///   z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
///   n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
///   h' = (1 - z) * n + z * h
/// starting from h = 0. Its output equals torch::nn::GRU's final hidden state h_n given the
/// same weights (tested).
class GruImpl : public torch::nn::Module {
 public:
  /// `input_size` F and `hidden_size` H, both >= 1; throws ares::InputError otherwise.
  GruImpl(int64_t input_size, int64_t hidden_size);
  /// `x`: N x T x F float (T >= 1). Returns the hidden state after the last step, N x H.
  /// Throws ares::InputError on another shape.
  torch::Tensor forward(const torch::Tensor& x);
  int64_t input_size() const { return input_size_; }
  int64_t hidden_size() const { return hidden_size_; }

  torch::Tensor weight_ih, weight_hh, bias_ih, bias_hh;
  GruStepHook step_hook;

 private:
  int64_t input_size_;
  int64_t hidden_size_;
};
TORCH_MODULE(Gru);

/// A GRU classifier: stage `gru` (a Gru module stage: N x T x F -> last hidden state N x H),
/// then the plain linear stages `fc1` (H -> fc_size, ReLU) and `fc2` (fc_size -> classes).
/// Example: GruClassifierOptions(39, 200).steps(100)
struct GruClassifierOptions {
  GruClassifierOptions(int64_t features, int64_t hidden) : features_(features), hidden_(hidden) {}
#define ARES_ARG(T, name, init)     \
  T name##_ = init;                 \
  GruClassifierOptions& name(T v) { \
    name##_ = v;                    \
    return *this;                   \
  }
  ARES_ARG(int64_t, features, 0)  ///< F: features per step
  ARES_ARG(int64_t, hidden, 0)    ///< H: GRU hidden size
  ARES_ARG(int64_t, steps, 100)   ///< T: steps per sample (the model's input shape is {T, F})
  ARES_ARG(int64_t, fc_size, 0)   ///< fc1's output size; 0 = H
  ARES_ARG(int64_t, classes, 10)
#undef ARES_ARG
};

/// Builds a GRU classifier named `name` (see GruClassifierOptions), input shape {T, F}.
/// Throws ares::InputError when a size is below 1.
///
/// Example (a zoo entry with hidden size 64 for 39-feature spoken digits):
///   ares::models::register_model({"my_gru64", "GRU 64", "spoken-digits", [] {
///     return ares::models::make_gru_classifier("my_gru64", GruClassifierOptions(39, 64));
///   }});
std::shared_ptr<StagedModel> make_gru_classifier(const std::string& name,
                                                 const GruClassifierOptions& options);

/// The original Ares TIDIGITS GRU on Ares's spoken-digit features (docs/sequences.md):
/// GRU 39 -> 200 over 100 frames, fc1 200-200 ReLU, fc2 200-10; 186,810 parameters.
/// (The original flattened all 254 hidden states into fc1; this one reads the last.)
std::shared_ptr<StagedModel> make_tidigits_gru();

/// Row-sequential Fashion-MNIST: GRU 28 -> 128 over the 28 rows, fc1 128-128 ReLU,
/// fc2 128-10; 78,474 parameters.
std::shared_ptr<StagedModel> make_fmnist_gru();

/// The step hook of the Gru stage `stage_name` of `model`. Throws ares::InputError when the
/// model has no such stage or the stage is not a Gru.
GruStepHookImpl* gru_step_hook(StagedModel& model, const std::string& stage_name);

}  // namespace ares::models
