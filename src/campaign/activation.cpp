#include "ares/campaign/activation.h"

#include <torch/torch.h>

#include "ares/common/error.h"
#include "ares/fault/rng.h"
#include "ares/models/evaluate.h"

namespace ares::campaign {

ActivationCache::ActivationCache(models::StagedModel& model, size_t stage,
                                 const format::Format& fmt, torch::Tensor images,
                                 torch::Tensor labels, int64_t batch)
    : stage_(stage), format_(fmt), labels_(std::move(labels)) {
  ARES_CHECK(stage < model.num_stages(), "activation site: model ", model.name(), " has ",
             model.num_stages(), " stages, no stage ", stage);
  c10::InferenceMode guard;
  const int64_t n = labels_.size(0);
  ARES_CHECK(n > 0, "evaluation set is empty");
  std::vector<torch::Tensor> logits;
  for (int64_t a = 0; a < n; a += batch) {
    int64_t b = std::min(n, a + batch);
    torch::Tensor x = images.slice(0, a, b);
    for (size_t s = 0; s <= stage; ++s) x = model.stage(s)->forward(x);
    if (!stored_.defined()) {
      sample_shape_ = x.sizes().slice(1).vec();
      values_ = x[0].numel();
      stored_ = torch::empty({n, values_});
      codes_.resize(size_t(n * values_));
    }
    auto flat = x.reshape({b - a, values_}).contiguous();
    float* dst = stored_.slice(0, a, b).data_ptr<float>();
    uint32_t* codes = codes_.data() + a * values_;
    fmt.encode(flat.data_ptr<float>(), codes, size_t(flat.numel()));
    fmt.decode(codes, dst, size_t(flat.numel()));
    std::vector<int64_t> shape = {b - a};
    shape.insert(shape.end(), sample_shape_.begin(), sample_shape_.end());
    logits.push_back(model.forward_from(stage + 1, stored_.slice(0, a, b).view(shape)));
  }
  auto all = torch::cat(logits);
  wrong_ = models::wrong_mask(all, labels_).to(torch::kInt64);
  baseline_errors_ = wrong_.sum().item<int64_t>();
}

ActivationEvaluator::ActivationEvaluator(std::shared_ptr<const ActivationCache> cache,
                                         std::shared_ptr<models::StagedModel> model, int64_t batch)
    : cache_(std::move(cache)), model_(std::move(model)), batch_(batch) {
  model_->eval();
}

bool ActivationEvaluator::run(uint64_t trial_stream, uint32_t faultable_mask, double ber,
                              fault::Semantics semantics, const fault::FaultModel& model,
                              uint64_t* hits, int64_t* errors) {
  const ActivationCache& c = *cache_;
  const auto& fmt = c.format();
  const int64_t n = c.samples(), u = c.values_per_sample();
  *hits = 0;
  // Per sample, its own plan: independent of batching and threads.
  std::vector<int64_t> rows;
  std::vector<std::vector<fault::CodeChange>> plans;
  for (int64_t i = 0; i < n; ++i) {
    fault::Rng rng(fault::stream_key(trial_stream, {uint64_t(i)}));
    uint64_t h = 0;
    auto changes = fault::sample_faults(rng, c.codes(i), uint64_t(u), fmt, faultable_mask, ber,
                                        semantics, model, &h);
    *hits += h;
    if (!changes.empty()) {
      rows.push_back(i);
      plans.push_back(std::move(changes));
    }
  }
  if (rows.empty()) {
    *errors = c.baseline_errors();
    return false;
  }
  c10::InferenceMode guard;
  auto index = torch::tensor(rows, torch::kInt64);
  int64_t wrong = c.baseline_errors() - c.wrong().index_select(0, index).sum().item<int64_t>();
  for (size_t a = 0; a < rows.size(); a += size_t(batch_)) {
    size_t b = std::min(rows.size(), a + size_t(batch_));
    auto idx = index.slice(0, int64_t(a), int64_t(b));
    auto x = c.stored().index_select(0, idx);  // a copy: faults go into it
    float* data = x.data_ptr<float>();
    for (size_t r = a; r < b; ++r) {
      for (const auto& ch : plans[r])
        data[int64_t(r - a) * u + int64_t(ch.index)] = fmt.decode(ch.code);
    }
    std::vector<int64_t> shape = {int64_t(b - a)};
    shape.insert(shape.end(), c.sample_shape().begin(), c.sample_shape().end());
    auto logits = model_->forward_from(c.stage() + 1, x.view(shape));
    wrong += models::count_errors(logits, c.labels().index_select(0, idx));
  }
  *errors = wrong;
  return true;
}

}  // namespace ares::campaign
