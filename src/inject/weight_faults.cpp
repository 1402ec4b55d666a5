#include "ares/inject/weight_faults.h"

#include <fnmatch.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "ares/common/error.h"
#include "ares/inject/sparse.h"

namespace ares::inject {

bool is_bias_name(const std::string& name) {
  auto dot = name.rfind('.');
  return name.compare(dot == std::string::npos ? 0 : dot + 1, 4, "bias") == 0;
}

WeightTargets::WeightTargets(models::StagedModel& model, const std::vector<std::string>& globs,
                             const format::Format& fmt, ParamKind kind)
    : format_(fmt) {
  torch::NoGradGuard no_grad;
  uint64_t offset = 0;
  for (auto& p : model.named_parameters()) {
    bool match = false;
    for (const auto& g : globs) match = match || fnmatch(g.c_str(), p.key().c_str(), 0) == 0;
    if (kind != ParamKind::kAll && is_bias_name(p.key()) != (kind == ParamKind::kBias)) continue;
    if (!match) continue;
    torch::Tensor t = p.value();
    ARES_CHECK(t.scalar_type() == torch::kFloat32 && t.is_contiguous(), "parameter ", p.key(),
               " must be contiguous float32");
    ARES_CHECK(torch::isfinite(t).all().item<bool>(), "parameter ", p.key(),
               " holds NaN or Inf values");
    Param info;
    info.name = p.key();
    info.stage = model.stage_of(p.key());
    info.is_bias = p.key().size() >= 5 && p.key().compare(p.key().size() - 5, 5, ".bias") == 0;
    info.shape = t.sizes().vec();
    info.offset = offset;
    info.size = static_cast<uint64_t>(t.numel());
    offset += info.size;
    params_.push_back(info);
    size_t base = codes_.size();
    codes_.resize(base + info.size);
    float* w = t.data_ptr<float>();
    std::vector<float> before(w, w + info.size);
    fmt.encode(w, codes_.data() + base, info.size);
    fmt.decode(codes_.data() + base, w, info.size);
    for (size_t i = 0; i < info.size; ++i) {
      max_error_ = std::max(max_error_, double(std::fabs(before[i] - w[i])));
    }
  }
  if (params_.empty()) {
    std::string list, names;
    for (const auto& g : globs) list += (list.empty() ? "" : ",") + g;
    for (auto& p : model.named_parameters()) names += (names.empty() ? "" : ", ") + p.key();
    const std::string kinds = kind == ParamKind::kWeight ? " weight"
                              : kind == ParamKind::kBias ? " bias"
                                                         : "";
    throw InputError("targets '" + list + "' match no" + kinds + " parameter of " + model.name() +
                     " (parameters: " + names + ")");
  }
}

size_t WeightTargets::param_of(uint64_t index) const {
  ARES_ASSERT(index < codes_.size());
  auto it = std::upper_bound(params_.begin(), params_.end(), index,
                             [](uint64_t v, const Param& p) { return v < p.offset; });
  return static_cast<size_t>(it - params_.begin()) - 1;
}

WeightInjector::WeightInjector(std::shared_ptr<const WeightTargets> targets,
                               models::StagedModel& model, Writes writes)
    : targets_(std::move(targets)), num_stages_(model.num_stages()), first_stage_(num_stages_) {
  auto named = model.named_parameters();
  for (const auto& p : targets_->params()) {
    ARES_ASSERT(named.contains(p.name), "model copy lacks ", p.name);
    const torch::Tensor& t = named[p.name];
    ARES_ASSERT(t.is_contiguous() && t.scalar_type() == torch::kFloat32, p.name,
                " must be contiguous float32");
    if (writes == Writes::kDevice || (writes == Writes::kAuto && !t.is_cpu())) {
      device_writes_ = true;
    }
    flat_.push_back(t.detach().view({-1}));
  }
  ARES_ASSERT(!device_writes_ || writes != Writes::kHost, "host writes into device tensors");
  if (!device_writes_) {
    for (auto& f : flat_) data_.push_back(f.data_ptr<float>());
    flat_.clear();
  }
}

template <typename Value>
void WeightInjector::write(Value value) {
  if (!device_writes_) {
    for (const auto& c : changes_) data_[c.param][c.offset] = value(c);
    return;
  }
  // One index_put_ per touched parameter (changes are sorted by value index, so by parameter);
  // the index and value lists are built on the host and copied once each.
  for (size_t i = 0; i < changes_.size();) {
    const size_t p = changes_[i].param;
    std::vector<int64_t> index;
    std::vector<float> values;
    for (; i < changes_.size() && changes_[i].param == p; ++i) {
      index.push_back(int64_t(changes_[i].offset));
      values.push_back(value(changes_[i]));
    }
    put_values(flat_[p], index, values);
  }
}

const std::vector<ValueChange>& WeightInjector::apply(const std::vector<fault::Flip>& flips) {
  return apply_codes(fault::plan_of_flips(flips, targets_->codes()).changes);
}

const std::vector<ValueChange>& WeightInjector::apply_codes(
    const std::vector<fault::CodeChange>& codes) {
  ARES_ASSERT(changes_.empty(), "apply() before restore()");
  const auto& fmt = targets_->format();
  first_stage_ = num_stages_;
  for (const auto& cc : codes) {
    size_t p = targets_->param_of(cc.index);
    const auto& param = targets_->params()[p];
    ValueChange c{p, cc.index - param.offset, fmt.decode(targets_->code(cc.index)),
                  fmt.decode(cc.code)};
    changes_.push_back(c);
    first_stage_ = std::min(first_stage_, param.stage);
  }
  write([](const ValueChange& c) { return c.faulty; });
  return changes_;
}

void WeightInjector::restore() {
  write([](const ValueChange& c) { return c.clean; });
  changes_.clear();
  first_stage_ = num_stages_;
}

}  // namespace ares::inject
