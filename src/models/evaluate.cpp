#include "ares/models/evaluate.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>

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

namespace {

// -log softmax(p)[label] in double; +Inf when a logit is NaN or Inf.
double row_nll(const float* p, int64_t k, int64_t label) {
  ARES_CHECK(label >= 0 && label < k, "evaluation: label ", label, " outside the model's ", k,
             " outputs");
  double top = -std::numeric_limits<double>::infinity();
  for (int64_t j = 0; j < k; ++j) {
    if (!std::isfinite(p[j])) return std::numeric_limits<double>::infinity();
    top = std::max(top, double(p[j]));
  }
  double sum = 0;
  for (int64_t j = 0; j < k; ++j) sum += std::exp(double(p[j]) - top);
  return top + std::log(sum) - double(p[label]);
}

// One sample's NLL rise over its clean NLL: 0 when equal, and 0 when the clean one is already
// infinite (the clean sum is then infinite too, and stays so).
double nll_rise(double faulty, double clean) {
  return faulty == clean || std::isinf(clean) ? 0.0 : faulty - clean;
}

torch::Tensor clean_nll_values(const torch::Tensor& clean_nll, int64_t rows) {
  ARES_CHECK(clean_nll.dim() == 1 && clean_nll.size(0) == rows, "evaluation: clean NLL of ",
             clean_nll.numel(), " rows for ", rows, " logits rows");
  return clean_nll.to(torch::kCPU, torch::kDouble).contiguous();
}

}  // namespace

torch::Tensor sample_nll(const torch::Tensor& logits, const torch::Tensor& labels) {
  ARES_CHECK(logits.dim() == 2 && labels.dim() == 1 && labels.size(0) == logits.size(0),
             "evaluation: ", logits.dim() == 2 ? logits.size(0) : logits.dim(), " logits rows for ",
             labels.numel(), " labels");
  const auto x = logits.to(torch::kCPU, torch::kFloat).contiguous();
  const auto y = labels.to(torch::kCPU, torch::kLong).contiguous();
  const int64_t n = x.size(0), k = x.size(1);
  auto out = torch::empty({n}, torch::kDouble);
  double* o = out.data_ptr<double>();
  const float* p = x.data_ptr<float>();
  const int64_t* yl = y.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i) o[i] = row_nll(p + i * k, k, yl[i]);
  return out;
}

double ordered_sum(const torch::Tensor& values) {
  const auto v = values.to(torch::kCPU, torch::kDouble).contiguous();
  const double* p = v.data_ptr<double>();
  double sum = 0;
  for (int64_t i = 0; i < v.numel(); ++i) sum += p[i];
  return sum;
}

Scored score_batch(const torch::Tensor& logits, const torch::Tensor& labels,
                   const torch::Tensor& clean_pred, int top_k, const torch::Tensor& clean_nll) {
  Scored s;
  s.errors = score_into(s.outcomes, logits, labels, clean_pred, top_k, clean_nll);
  return s;
}

int64_t score_into(Outcomes& acc, const torch::Tensor& logits, const torch::Tensor& labels,
                   const torch::Tensor& clean_pred, int top_k, const torch::Tensor& clean_nll) {
  const bool raw = logits.is_cpu() && logits.dim() == 2 && logits.scalar_type() == torch::kFloat &&
                   labels.is_cpu() && labels.scalar_type() == torch::kLong && clean_pred.is_cpu() &&
                   clean_pred.scalar_type() == torch::kLong;
  if (top_k != 1) check_top_k(top_k, logits.dim() == 2 ? logits.size(1) : 0);
  if (!raw) {
    acc += count_outcomes(logits, labels, clean_pred);  // its nll_increase is 0
    if (clean_nll.defined()) {
      const auto faulty = sample_nll(logits, labels);
      const auto clean = clean_nll_values(clean_nll, faulty.size(0));
      const double* f = faulty.data_ptr<double>();
      const double* cn = clean.data_ptr<double>();
      for (int64_t i = 0; i < faulty.size(0); ++i) acc.nll_increase += nll_rise(f[i], cn[i]);
    }
    return count_errors(logits, labels, top_k);
  }
  const auto x = logits.contiguous();
  const auto y = labels.contiguous(), c = clean_pred.contiguous();
  const int64_t n = x.size(0), k = x.size(1);
  const float* p = x.data_ptr<float>();
  const int64_t* yl = y.data_ptr<int64_t>();
  const int64_t* cl = c.data_ptr<int64_t>();
  torch::Tensor cnll;
  const double* cn = nullptr;
  if (clean_nll.defined()) {
    cnll = clean_nll_values(clean_nll, n);
    cn = cnll.data_ptr<double>();
  }
  int64_t errors = 0;
  for (int64_t i = 0; i < n; ++i, p += k) {
    if (cn) acc.nll_increase += nll_rise(row_nll(p, k, yl[i]), cn[i]);
    // The first index of the largest logit, as argmax; a NaN or Inf anywhere marks the row.
    bool finite = true;
    int64_t best = 0;
    for (int64_t j = 0; j < k; ++j) {
      finite = finite && std::isfinite(p[j]);
      if (p[j] > p[best]) best = j;
    }
    if (!finite) {
      ++errors;
      ++acc.nonfinite;
      continue;
    }
    if (top_k == 1) {
      errors += best != yl[i] ? 1 : 0;
    } else {  // the label's rank, as wrong_mask counts it
      ARES_CHECK(yl[i] >= 0 && yl[i] < k, "evaluation: label ", yl[i], " outside the model's ", k,
                 " outputs");
      const float own = p[yl[i]];
      int64_t rank = 0;
      for (int64_t j = 0; j < k; ++j) rank += p[j] > own || (p[j] == own && j < yl[i]) ? 1 : 0;
      errors += rank >= top_k ? 1 : 0;
    }
    if (best != cl[i]) {
      ++acc.changed;
      acc.changed_correct += cl[i] == yl[i] ? 1 : 0;
    }
  }
  return errors;
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
