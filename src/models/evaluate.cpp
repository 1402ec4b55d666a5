#include "ares/models/evaluate.h"

#include <torch/torch.h>

namespace ares::models {

torch::Tensor wrong_mask(const torch::Tensor& logits, const torch::Tensor& labels) {
  auto wrong = logits.argmax(1).ne(labels);
  return wrong.logical_or_(torch::isfinite(logits).all(1).logical_not());
}

int64_t count_errors(const torch::Tensor& logits, const torch::Tensor& labels) {
  return wrong_mask(logits, labels).sum().item<int64_t>();
}

Outcomes count_outcomes(const torch::Tensor& logits, const torch::Tensor& labels,
                        const torch::Tensor& clean_pred) {
  const auto finite = torch::isfinite(logits).all(1);
  const auto clean = clean_pred.to(logits.device());
  const auto changed = logits.argmax(1).ne(clean).logical_and_(finite);
  Outcomes o;
  o.nonfinite = finite.numel() - finite.sum().item<int64_t>();
  o.changed = changed.sum().item<int64_t>();
  o.changed_correct =
      changed.logical_and_(clean.eq(labels.to(logits.device()))).sum().item<int64_t>();
  return o;
}

double evaluate_error(StagedModel& model, const torch::Tensor& images, const torch::Tensor& labels,
                      int64_t batch) {
  c10::InferenceMode guard;
  bool was_training = model.is_training();
  model.eval();
  const auto params = model.parameters();
  const torch::Device device = params.empty() ? images.device() : params.front().device();
  int64_t n = labels.size(0), wrong = 0;
  for (int64_t i = 0; i < n; i += batch) {
    int64_t j = std::min(n, i + batch);
    wrong += count_errors(model.forward(images.slice(0, i, j).to(device)),
                          labels.slice(0, i, j).to(device));
  }
  model.train(was_training);
  return n ? double(wrong) / double(n) : 0.0;
}

}  // namespace ares::models
