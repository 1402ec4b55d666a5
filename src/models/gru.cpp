#include "ares/models/gru.h"

#include <torch/torch.h>

#include <cmath>

#include "ares/common/error.h"

namespace ares::models {

GruImpl::GruImpl(int64_t input_size, int64_t hidden_size)
    : input_size_(input_size), hidden_size_(hidden_size) {
  ARES_CHECK(input_size >= 1 && hidden_size >= 1, "GRU needs input and hidden sizes >= 1, got ",
             input_size, " and ", hidden_size);
  // torch.nn.GRU's initialisation: every parameter uniform in [-1/sqrt(H), 1/sqrt(H)].
  const double bound = 1.0 / std::sqrt(static_cast<double>(hidden_size));
  auto init = [bound](const std::vector<int64_t>& shape) {
    return torch::empty(shape).uniform_(-bound, bound);
  };
  weight_ih = register_parameter("weight_ih", init({3 * hidden_size, input_size}));
  weight_hh = register_parameter("weight_hh", init({3 * hidden_size, hidden_size}));
  bias_ih = register_parameter("bias_ih", init({3 * hidden_size}));
  bias_hh = register_parameter("bias_hh", init({3 * hidden_size}));
  step_hook = register_module("step_hook", GruStepHook());
}

torch::Tensor GruImpl::forward(const torch::Tensor& x) {
  ARES_CHECK(x.dim() == 3 && x.size(1) >= 1 && x.size(2) == input_size_,
             "GRU: expected input N x T x ", input_size_, " (T >= 1), got ", x.sizes());
  const int64_t n = x.size(0), steps = x.size(1);
  // The input projections of all steps in one matrix product; only the recurrent part has to
  // run step by step.
  auto gates_x = torch::nn::functional::linear(x, weight_ih, bias_ih);  // N x T x 3H
  auto h = torch::zeros({n, hidden_size_}, x.options());
  const auto& hook = step_hook->on_step;
  for (int64_t t = 0; t < steps; ++t) {
    auto gx = gates_x.select(1, t).chunk(3, 1);
    auto gh = torch::nn::functional::linear(h, weight_hh, bias_hh).chunk(3, 1);
    auto r = torch::sigmoid(gx[0] + gh[0]);
    auto z = torch::sigmoid(gx[1] + gh[1]);
    auto cand = torch::tanh(gx[2] + r * gh[2]);
    h = cand + z * (h - cand);  // (1 - z) * n + z * h with one product fewer
    if (hook) hook(t, h);
  }
  return h;
}

std::shared_ptr<StagedModel> make_gru_classifier(const std::string& name,
                                                 const GruClassifierOptions& o) {
  ARES_CHECK(
      o.features_ >= 1 && o.hidden_ >= 1 && o.steps_ >= 1 && o.fc_size_ >= 0 && o.classes_ >= 1,
      name, ": GRU classifier sizes must be >= 1 (features ", o.features_, ", hidden ", o.hidden_,
      ", steps ", o.steps_, ", fc ", o.fc_size_, ", classes ", o.classes_, ")");
  const int64_t fc = o.fc_size_ > 0 ? o.fc_size_ : o.hidden_;
  auto m = std::make_shared<StagedModel>(name, std::vector<int64_t>{o.steps_, o.features_});
  const int64_t features = o.features_, hidden = o.hidden_;
  m->add_module_stage("gru",
                      [features, hidden] { return torch::nn::AnyModule(Gru(features, hidden)); });
  using Op = StageOptions::Op;
  m->add_stage("fc1", {Op::kLinear, hidden, fc, 0, 0, /*flatten=*/false, /*relu=*/true});
  m->add_stage("fc2", {Op::kLinear, fc, o.classes_, 0, 0, false, false});
  return m;
}

std::shared_ptr<StagedModel> make_tidigits_gru() {
  // 39 features = 13 MFCC + deltas + delta-deltas, as the original's TIDIGITS features; 100
  // frames = 1 s (the original used 254 frames of longer, multi-digit utterances).
  return make_gru_classifier("tidigits_gru", GruClassifierOptions(39, 200).steps(100));
}

std::shared_ptr<StagedModel> make_fmnist_gru() {
  return make_gru_classifier("fmnist_gru", GruClassifierOptions(28, 128).steps(28));
}

GruStepHookImpl* gru_step_hook(StagedModel& model, const std::string& stage_name) {
  for (size_t i = 0; i < model.num_stages(); ++i) {
    if (model.stage_name(i) != stage_name) continue;
    // A module stage registers its body's children as its own, so the hook is the stage's
    // child "step_hook" (the body itself is not reachable from outside the stage).
    for (const auto& child : model.stage(i)->named_children()) {
      if (child.key() != "step_hook") continue;
      auto* hook = dynamic_cast<GruStepHookImpl*>(child.value().get());
      if (hook) return hook;
    }
    throw InputError("model " + model.name() + ": stage '" + stage_name + "' is not a GRU");
  }
  throw InputError("model " + model.name() + " has no stage '" + stage_name + "'");
}

}  // namespace ares::models
