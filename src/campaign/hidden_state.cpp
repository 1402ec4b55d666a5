#include "ares/campaign/hidden_state.h"

#include <torch/torch.h>

#include <algorithm>

#include "ares/common/error.h"
#include "ares/fault/rng.h"
#include "ares/inject/sparse.h"
#include "ares/inject/tensor_format.h"
#include "detail/sample_faults.h"

namespace ares::campaign {

namespace {

// Empties a step hook when it goes out of scope, also on an exception.
struct HookReset {
  models::GruStepHookImpl* hook;
  ~HookReset() { hook->on_step = nullptr; }
};

}  // namespace

HiddenStateCache::HiddenStateCache(models::StagedModel& model, size_t stage,
                                   const format::Format& fmt, const torch::Tensor& images,
                                   const torch::Tensor& labels, int64_t batch, int top_k)
    : SampleCodes(fmt, labels, top_k), stage_(stage) {
  ARES_CHECK(stage < model.num_stages(), "hidden-state site: model ", model.name(), " has ",
             model.num_stages(), " stages, no stage ", stage);
  auto* hook = models::gru_step_hook(model, model.stage_name(stage));  // throws: not a GRU
  c10::InferenceMode guard;
  const int64_t n = labels_.size(0);
  // The GRU's input, kept for the faulty samples' re-runs.
  if (stage == 0) {
    inputs_ = images.slice(0, 0, n);
  } else {
    std::vector<torch::Tensor> in;
    for (int64_t a = 0; a < n; a += batch) {
      torch::Tensor x = images.slice(0, a, std::min(n, a + batch));
      for (size_t s = 0; s < stage; ++s) x = model.stage(s)->forward(x);
      in.push_back(x);
    }
    inputs_ = torch::cat(in);
  }
  ARES_CHECK(inputs_.dim() == 3 && inputs_.size(1) >= 1, "hidden-state site: stage ",
             model.stage_name(stage), " of ", model.name(), " expects N x T x F, got ",
             inputs_.sizes());
  steps_ = inputs_.size(1);
  // Every step's hidden state is stored (quantized) and its codes kept, the last one too: the
  // GRU's output is the stored h_T. The codes are made on the host, once.
  int64_t first = 0;
  std::vector<uint32_t> buf;
  std::vector<torch::Tensor> states;  // per batch, per step: the stored states, on the device
  HookReset reset{hook};
  hook->on_step = [&](int64_t t, torch::Tensor& h) {
    if (hidden_ == 0) {
      hidden_ = h.size(1);
      values_ = steps_ * hidden_;
      codes_.resize(size_t(n * values_));
    }
    auto host = h.to(torch::kCPU).contiguous();
    buf.resize(size_t(host.numel()));
    fmt.encode(host.data_ptr<float>(), buf.data(), buf.size());
    fmt.decode(buf.data(), host.data_ptr<float>(), buf.size());
    for (int64_t r = 0; r < host.size(0); ++r) {
      std::copy_n(buf.data() + r * hidden_, hidden_,
                  codes_.data() + (first + r) * values_ + t * hidden_);
    }
    h = host.to(h.device());
    states.push_back(h);
  };
  std::vector<torch::Tensor> logits, batches;
  for (; first < n; first += batch) {
    states.clear();
    logits.push_back(
        model.forward_from(stage, inputs_.slice(0, first, std::min(n, first + batch))));
    batches.push_back(torch::stack(states, 1));  // B x T x H
  }
  states_ = torch::cat(batches);
  set_baseline(torch::cat(logits));
}

HiddenStateEvaluator::HiddenStateEvaluator(std::shared_ptr<const HiddenStateCache> cache,
                                           std::shared_ptr<models::StagedModel> model,
                                           int64_t batch)
    : cache_(std::move(cache)), model_(std::move(model)), batch_(batch) {
  model_->eval();
  hook_ = models::gru_step_hook(*model_, model_->stage_name(cache_->stage()));
  hook_->on_step = [this](int64_t t, torch::Tensor& h) { step(t, h); };
}

// The model may outlive this evaluator: its hook must not call into it.
HiddenStateEvaluator::~HiddenStateEvaluator() { hook_->on_step = nullptr; }

HiddenStateEvaluator::Row HiddenStateEvaluator::make_row(int64_t sample, int64_t first_step) const {
  const HiddenStateCache& c = *cache_;
  Row row{sample, first_step, {}, 0, fault::Rng(sample_stream(trial_.stream, sample))};
  row.hits = fault::sample_hits(row.rng, uint64_t(c.values_per_sample()), trial_.mask, trial_.ber,
                                trial_.semantics, *trial_.model, nullptr, c.format().width());
  const uint32_t* baseline = c.codes(sample);
  const uint64_t before = uint64_t(first_step * c.hidden_size());
  for (; row.next < row.hits.size() && row.hits[row.next].index < before; ++row.next) {
    const fault::Hit& hit = row.hits[row.next];
    fault::apply_hit(row.rng, baseline[hit.index], hit, c.format(), trial_.mask, *trial_.model);
  }
  return row;
}

void HiddenStateEvaluator::step(int64_t t, torch::Tensor& h) {
  const HiddenStateCache& c = *cache_;
  const auto& fmt = c.format();
  const int64_t hidden = c.hidden_size(), rows = h.size(0);
  ARES_ASSERT(rows == int64_t(rows_.size()) && h.size(1) == hidden, "hidden-state rows");
  // Every word stored in the format, on h's device.
  h = inject::quantize_tensor(fmt, h);
  // Before its first fault a sample stores the baseline's words, whatever rows it shares the
  // batch with.
  if (t < last_first_step_) {
    auto baseline = c.states().select(1, t).index_select(0, row_samples_);
    h = torch::where(row_first_.gt(t).unsqueeze(1), baseline, h).contiguous();
  }
  // This step's hits, in each row's order: read the stored words (only those cross to the
  // host), give them their new codes, write back the changed ones.
  const uint64_t lo = uint64_t(t * hidden), hi = lo + uint64_t(hidden);
  std::vector<int64_t> at;
  for (int64_t r = 0; r < rows; ++r) {
    const Row& row = rows_[size_t(r)];
    if (t < row.first_step) continue;
    for (size_t k = row.next; k < row.hits.size() && row.hits[k].index < hi; ++k) {
      at.push_back(r * hidden + int64_t(row.hits[k].index - lo));
    }
  }
  if (!at.empty()) {
    const std::vector<float> words = inject::gather_values(h, at);
    std::vector<int64_t> changed;
    std::vector<float> values;
    size_t w = 0;
    for (int64_t r = 0; r < rows; ++r) {
      Row& row = rows_[size_t(r)];
      if (t < row.first_step) continue;
      for (; row.next < row.hits.size() && row.hits[row.next].index < hi; ++row.next, ++w) {
        const uint32_t code = fmt.encode(words[w]);
        const uint32_t fresh =
            fault::apply_hit(row.rng, code, row.hits[row.next], fmt, trial_.mask, *trial_.model);
        if (fresh == code) continue;
        changed.push_back(at[w]);
        values.push_back(fmt.decode(fresh));
      }
    }
    ARES_ASSERT(w == at.size(), "hidden-state hits");
    inject::put_values(h, changed, values);
  }
  if (record_) record_->push_back(h.clone());
}

torch::Tensor HiddenStateEvaluator::forward(const torch::Tensor& index) {
  const torch::Device device = cache_->inputs().device();
  std::vector<int64_t> samples, first;
  last_first_step_ = 0;
  for (const Row& row : rows_) {
    samples.push_back(row.sample);
    first.push_back(row.first_step);
    last_first_step_ = std::max(last_first_step_, row.first_step);
  }
  row_samples_ = torch::tensor(samples, torch::kInt64).to(device);
  row_first_ = torch::tensor(first, torch::kInt64).to(device);
  return model_->forward_from(cache_->stage(), cache_->inputs().index_select(0, index.to(device)));
}

bool HiddenStateEvaluator::run(uint64_t trial_stream, uint32_t faultable_mask, double ber,
                               fault::Semantics semantics, const fault::FaultModel& model,
                               uint64_t* hits, int64_t* errors) {
  const HiddenStateCache& c = *cache_;
  trial_ = {trial_stream, faultable_mask, ber, semantics, &model};
  auto logits = [&](const std::vector<detail::SamplePlan>& plans, size_t a, size_t b,
                    const torch::Tensor& idx) {
    rows_.clear();
    for (size_t r = a; r < b; ++r) {
      rows_.push_back(make_row(plans[r].sample,
                               int64_t(plans[r].plan.changes.front().index) / c.hidden_size()));
    }
    return forward(idx);
  };
  return detail::run_sample_trial(c, trial_stream, faultable_mask, ber, semantics, model, batch_,
                                  logits, hits, errors, &outcomes_);
}

torch::Tensor HiddenStateEvaluator::stored_states(int64_t sample, uint64_t trial_stream,
                                                  uint32_t faultable_mask, double ber,
                                                  fault::Semantics semantics,
                                                  const fault::FaultModel& model) {
  const HiddenStateCache& c = *cache_;
  ARES_CHECK(sample >= 0 && sample < c.samples(), "hidden-state site: no sample ", sample, " of ",
             c.samples());
  const uint32_t* codes = c.codes(sample);
  const uint64_t values = uint64_t(c.values_per_sample());
  fault::Rng rng(sample_stream(trial_stream, sample));
  auto changes = fault::sample_faults(rng, codes, values, c.format(), faultable_mask, ber,
                                      semantics, model, nullptr);
  trial_ = {trial_stream, faultable_mask, ber, semantics, &model};
  rows_.clear();
  rows_.push_back(make_row(
      sample, changes.empty() ? c.steps() : int64_t(changes.front().index) / c.hidden_size()));
  std::vector<torch::Tensor> states;
  record_ = &states;
  struct Unrecord {
    std::vector<torch::Tensor>** record;
    ~Unrecord() { *record = nullptr; }
  } unrecord{&record_};
  c10::InferenceMode guard;
  forward(torch::tensor({sample}, torch::kInt64));
  return torch::cat(states);
}

}  // namespace ares::campaign
