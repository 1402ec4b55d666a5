#include "ares/campaign/activation.h"

#include <torch/torch.h>

#include "ares/common/error.h"
#include "ares/common/text.h"
#include "ares/fault/rng.h"
#include "ares/inject/sparse.h"
#include "ares/models/evaluate.h"
#include "detail/sample_faults.h"

namespace ares::campaign {

SampleCodes::SampleCodes(const format::Format& fmt, const torch::Tensor& labels, int top_k)
    : format_(fmt), labels_(labels.to(torch::kCPU)), top_k_(top_k) {  // labels on the host
  ARES_CHECK(labels_.size(0) > 0, "evaluation set is empty");
}

void SampleCodes::set_baseline(const torch::Tensor& logits) {
  // Kept on the host, like the labels.
  if (top_k_ != 1) models::check_top_k(top_k_, logits.size(1));
  wrong_ = models::wrong_mask(logits, labels_.to(logits.device()), top_k_)
               .to(torch::kCPU, torch::kInt64);
  baseline_errors_ = wrong_.sum().item<int64_t>();
  clean_pred_ = logits.argmax(1).to(torch::kCPU);
  clean_nll_ = models::sample_nll(logits, labels_);
  baseline_nll_ = models::ordered_sum(clean_nll_);
}

uint64_t sample_stream(uint64_t trial_stream, int64_t sample) {
  return fault::stream_key(trial_stream, {uint64_t(sample)});
}

namespace detail {

std::vector<SamplePlan> draw_sample_plans(const SampleCodes& c, uint64_t trial_stream,
                                          uint32_t faultable_mask, double ber,
                                          fault::Semantics semantics,
                                          const fault::FaultModel& model, uint64_t* hits) {
  // Per sample, its own plan: independent of batching and threads.
  std::vector<SamplePlan> plans;
  *hits = 0;
  for (int64_t i = 0; i < c.samples(); ++i) {
    fault::Rng rng(sample_stream(trial_stream, i));
    fault::FaultPlan plan;
    plan.changes =
        fault::sample_faults(rng, c.codes(i), uint64_t(c.values_per_sample()), c.format(),
                             faultable_mask, ber, semantics, model, &plan.hits);
    *hits += plan.hits;
    if (!plan.empty()) plans.push_back({i, std::move(plan)});
  }
  return plans;
}

bool run_sample_trial(const SampleCodes& c, uint64_t trial_stream, uint32_t faultable_mask,
                      double ber, fault::Semantics semantics, const fault::FaultModel& model,
                      int64_t batch, const FaultyLogits& logits, uint64_t* hits, int64_t* errors,
                      models::Outcomes* outcomes) {
  *outcomes = models::Outcomes();
  ARES_ASSERT(batch >= 1);
  auto plans = draw_sample_plans(c, trial_stream, faultable_mask, ber, semantics, model, hits);
  if (plans.empty()) {
    *errors = c.baseline_errors();
    return false;
  }
  c10::InferenceMode guard;
  std::vector<int64_t> rows;
  rows.reserve(plans.size());
  for (const auto& p : plans) rows.push_back(p.sample);
  auto index = torch::tensor(rows, torch::kInt64);
  int64_t wrong = c.baseline_errors() - c.wrong().index_select(0, index).sum().item<int64_t>();
  for (size_t a = 0; a < plans.size(); a += size_t(batch)) {
    size_t b = std::min(plans.size(), a + size_t(batch));
    auto idx = index.slice(0, int64_t(a), int64_t(b));
    const auto faulty = logits(plans, a, b, idx);
    const auto labels = c.labels().index_select(0, idx).to(faulty.device());
    wrong += models::score_into(*outcomes, faulty, labels, c.clean_pred().index_select(0, idx),
                                c.top_k(), c.clean_nll().index_select(0, idx));
  }
  *errors = wrong;
  return true;
}

}  // namespace detail

namespace {

// The stored rows of the faulty samples plans[a, b) (sample indices `idx`), with their plans'
// changed values put in: a copy, on the device of `stored`, changed with one index_put_.
torch::Tensor faulty_rows(const SampleCodes& c, const torch::Tensor& stored,
                          const std::vector<detail::SamplePlan>& plans, size_t a, size_t b,
                          const torch::Tensor& idx) {
  const int64_t u = c.values_per_sample();
  auto x = stored.index_select(0, idx.to(stored.device()));
  std::vector<int64_t> at;
  std::vector<float> values;
  for (size_t r = a; r < b; ++r) {
    for (const auto& ch : plans[r].plan.changes) {
      at.push_back(int64_t(r - a) * u + int64_t(ch.index));
      values.push_back(c.format().decode(ch.code));
    }
  }
  inject::put_values(x, at, values);
  return x;
}

}  // namespace

ActivationCache::ActivationCache(models::StagedModel& model, size_t stage,
                                 const format::Format& fmt, const torch::Tensor& images,
                                 const torch::Tensor& labels, int64_t batch, int top_k)
    : SampleCodes(fmt, labels, top_k), stage_(stage) {
  ARES_CHECK(stage < model.num_stages(), "activation site: model ", model.name(), " has ",
             model.num_stages(), " stages, no stage ", stage);
  c10::InferenceMode guard;
  const int64_t n = labels_.size(0);
  const torch::Device device = images.device();
  torch::Tensor stored;  // on the host while the codes are made
  std::vector<torch::Tensor> logits;
  for (int64_t a = 0; a < n; a += batch) {
    int64_t b = std::min(n, a + batch);
    torch::Tensor x = images.slice(0, a, b);
    for (size_t s = 0; s <= stage; ++s) x = model.stage(s)->forward(x);
    if (!stored.defined()) {
      sample_shape_ = x.sizes().slice(1).vec();
      values_ = x[0].numel();
      stored = torch::empty({n, values_});
      codes_.resize(size_t(n * values_));
    }
    // The codes are made on the host, once (a GPU's activations are copied there for it).
    auto flat = x.reshape({b - a, values_}).to(torch::kCPU).contiguous();
    float* dst = stored.slice(0, a, b).data_ptr<float>();
    uint32_t* codes = codes_.data() + a * values_;
    fmt.encode(flat.data_ptr<float>(), codes, size_t(flat.numel()));
    fmt.decode(codes, dst, size_t(flat.numel()));
    std::vector<int64_t> shape = {b - a};
    shape.insert(shape.end(), sample_shape_.begin(), sample_shape_.end());
    logits.push_back(model.forward_from(stage + 1, stored.slice(0, a, b).view(shape).to(device)));
  }
  stored_ = stored.to(device);
  set_baseline(torch::cat(logits));
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
  auto logits = [&](const std::vector<detail::SamplePlan>& plans, size_t a, size_t b,
                    const torch::Tensor& idx) {
    auto x = faulty_rows(c, c.stored(), plans, a, b, idx);
    std::vector<int64_t> shape = {int64_t(b - a)};
    shape.insert(shape.end(), c.sample_shape().begin(), c.sample_shape().end());
    return model_->forward_from(c.stage() + 1, x.view(shape));
  };
  return detail::run_sample_trial(c, trial_stream, faultable_mask, ber, semantics, model, batch_,
                                  logits, hits, errors, &outcomes_);
}

GraphActivationCache::GraphActivationCache(std::shared_ptr<const std::string> archive,
                                           const std::string& name, const std::string& label,
                                           const format::Format& fmt, const torch::Tensor& images,
                                           const torch::Tensor& labels, int64_t batch, int top_k)
    : SampleCodes(fmt, labels, top_k),
      archive_(std::move(archive)),
      name_(name),
      label_(label),
      images_(images.to(torch::kCPU)) {
  ARES_CHECK(archive_, "site 'act:", name, "': model ", label, " is not a TorchScript model");
  models::FaultPointModel model(*archive_, {name}, label);
  c10::InferenceMode guard;
  const int64_t n = labels_.size(0);
  std::vector<torch::Tensor> logits;
  for (int64_t a = 0; a < n; a += batch) {
    const int64_t b = std::min(n, a + batch);
    // The point stores the batch's values in the format and hands the stored values on.
    auto store = [&](size_t, const torch::Tensor& v) {
      check_value(v, b - a);
      if (!stored_.defined()) {
        sample_shape_ = v.sizes().slice(1).vec();
        values_ = v[0].numel();
        stored_ = torch::empty({n, values_});
        codes_.resize(size_t(n * values_));
      }
      auto flat = v.reshape({b - a, values_}).contiguous();
      fmt.encode(flat.data_ptr<float>(), codes_.data() + a * values_, size_t(flat.numel()));
      fmt.decode(codes_.data() + a * values_, stored_.slice(0, a, b).data_ptr<float>(),
                 size_t(flat.numel()));
      return stored_.slice(0, a, b).view(v.sizes()).clone();  // the model may change it in place
    };
    std::vector<int64_t> reached;
    logits.push_back(model.forward(images_.slice(0, a, b), store, &reached));
    check_reached(reached);
  }
  set_baseline(torch::cat(logits));
}

void GraphActivationCache::check_value(const torch::Tensor& v, int64_t rows) const {
  const std::string site = label_ + ": site 'act:" + name_ + "'";
  ARES_CHECK(v.scalar_type() == torch::kFloat, site, " holds ", c10::toString(v.scalar_type()),
             " values, not float32");
  ARES_CHECK(v.dim() >= 1 && v.size(0) == rows && v.device().is_cpu(), site, " has shape ",
             shape_list(v.sizes().vec()), " for a batch of ", rows,
             "; a per-sample site needs one row per sample, the batch first");
  ARES_CHECK(sample_shape_.empty() || v.sizes().slice(1).vec() == sample_shape_, site,
             " has per-sample shape ", shape_list(v.sizes().slice(1).vec()), " in one batch and ",
             shape_list(sample_shape_), " in another");
}

void GraphActivationCache::check_reached(const std::vector<int64_t>& reached) const {
  ARES_CHECK(reached.size() == 1 && reached[0] == 1, label_, ": site 'act:", name_, "' is ",
             reached.empty() || reached[0] == 0
                 ? std::string("not reached by forward on this data")
                 : "reached " + std::to_string(reached[0]) +
                       " times in one forward (inside a submodule called more than once); "
                       "name the call's output instead (`ares sites` lists the calls)");
}

GraphActivationEvaluator::GraphActivationEvaluator(
    std::shared_ptr<const GraphActivationCache> cache, int64_t batch)
    : cache_(std::move(cache)),
      model_(std::make_unique<models::FaultPointModel>(
          *cache_->archive(), std::vector<std::string>{cache_->name()}, cache_->label())),
      batch_(batch) {}

bool GraphActivationEvaluator::run(uint64_t trial_stream, uint32_t faultable_mask, double ber,
                                   fault::Semantics semantics, const fault::FaultModel& model,
                                   uint64_t* hits, int64_t* errors) {
  const GraphActivationCache& c = *cache_;
  auto logits = [&](const std::vector<detail::SamplePlan>& plans, size_t a, size_t b,
                    const torch::Tensor& idx) {
    // The faulty samples' whole forward; at the point their faulty stored values go on.
    auto x = faulty_rows(c, c.stored(), plans, a, b, idx);
    const int64_t rows = int64_t(b - a);
    auto faulty = [&](size_t, const torch::Tensor& v) {
      c.check_value(v, rows);
      return x.view(v.sizes());
    };
    std::vector<int64_t> reached;
    auto out = model_->forward(c.images().index_select(0, idx), faulty, &reached);
    c.check_reached(reached);
    return out;
  };
  return detail::run_sample_trial(c, trial_stream, faultable_mask, ber, semantics, model, batch_,
                                  logits, hits, errors, &outcomes_);
}

}  // namespace ares::campaign
