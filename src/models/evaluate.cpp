#include "ares/models/evaluate.h"

#include <torch/torch.h>

#include <cmath>

#include "ares/common/error.h"

namespace ares::models {

void check_top_k(int top_k, int64_t classes) {
  ARES_CHECK(top_k >= 1 && top_k <= classes, "metric top", top_k, ": the model has ", classes,
             " outputs (top1..top", classes, ")");
}

torch::Tensor wrong_mask(const torch::Tensor& logits, const torch::Tensor& labels, int top_k) {
  const auto nonfinite = torch::isfinite(logits).all(1).logical_not();
  if (top_k == 1) return logits.argmax(1).ne(labels).logical_or_(nonfinite);
  check_top_k(top_k, logits.size(1));
  // The label's rank: logits above its own, plus equal ones at a lower index.
  const auto y = labels.to(torch::kLong).unsqueeze(1);
  const auto own = logits.gather(1, y);
  const auto index = torch::arange(logits.size(1), y.options()).unsqueeze(0);
  const auto rank = logits.gt(own).sum(1).add_(logits.eq(own).logical_and_(index.lt(y)).sum(1));
  return rank.ge(top_k).logical_or_(nonfinite);
}

int64_t count_errors(const torch::Tensor& logits, const torch::Tensor& labels, int top_k) {
  return wrong_mask(logits, labels, top_k).sum().item<int64_t>();
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

Scored score_batch(const torch::Tensor& logits, const torch::Tensor& labels,
                   const torch::Tensor& clean_pred, int top_k) {
  const bool raw = logits.is_cpu() && logits.dim() == 2 && logits.scalar_type() == torch::kFloat &&
                   labels.is_cpu() && labels.scalar_type() == torch::kLong && clean_pred.is_cpu() &&
                   clean_pred.scalar_type() == torch::kLong;
  if (top_k != 1) check_top_k(top_k, logits.dim() == 2 ? logits.size(1) : 0);
  Scored s;
  if (!raw) {
    s.errors = count_errors(logits, labels, top_k);
    s.outcomes = count_outcomes(logits, labels, clean_pred);
    return s;
  }
  const auto x = logits.contiguous();
  const auto y = labels.contiguous(), c = clean_pred.contiguous();
  const int64_t n = x.size(0), k = x.size(1);
  const float* p = x.data_ptr<float>();
  const int64_t* yl = y.data_ptr<int64_t>();
  const int64_t* cl = c.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i, p += k) {
    // The first index of the largest logit, as argmax; a NaN or Inf anywhere marks the row.
    bool finite = true;
    int64_t best = 0;
    for (int64_t j = 0; j < k; ++j) {
      finite = finite && std::isfinite(p[j]);
      if (p[j] > p[best]) best = j;
    }
    if (!finite) {
      ++s.errors;
      ++s.outcomes.nonfinite;
      continue;
    }
    if (top_k == 1) {
      s.errors += best != yl[i] ? 1 : 0;
    } else {  // the label's rank, as wrong_mask counts it
      ARES_CHECK(yl[i] >= 0 && yl[i] < k, "evaluation: label ", yl[i], " outside the model's ", k,
                 " outputs");
      const float own = p[yl[i]];
      int64_t rank = 0;
      for (int64_t j = 0; j < k; ++j) rank += p[j] > own || (p[j] == own && j < yl[i]) ? 1 : 0;
      s.errors += rank >= top_k ? 1 : 0;
    }
    if (best != cl[i]) {
      ++s.outcomes.changed;
      s.outcomes.changed_correct += cl[i] == yl[i] ? 1 : 0;
    }
  }
  return s;
}

double evaluate_error(StagedModel& model, const torch::Tensor& images, const torch::Tensor& labels,
                      int64_t batch, int top_k) {
  c10::InferenceMode guard;
  bool was_training = model.is_training();
  model.eval();
  const auto params = model.parameters();
  const torch::Device device = params.empty() ? images.device() : params.front().device();
  int64_t n = labels.size(0), wrong = 0;
  for (int64_t i = 0; i < n; i += batch) {
    int64_t j = std::min(n, i + batch);
    wrong += count_errors(model.forward(images.slice(0, i, j).to(device)),
                          labels.slice(0, i, j).to(device), top_k);
  }
  model.train(was_training);
  return n ? double(wrong) / double(n) : 0.0;
}

}  // namespace ares::models
