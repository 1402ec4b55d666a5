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
