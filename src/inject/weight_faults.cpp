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
    if (fmt.is_scaled()) {
      // Groups along dim 0 (a 1-D parameter is one channel); its metadata words follow the
      // previous parameter's.
      const uint64_t dim0 = info.shape.size() >= 2 ? uint64_t(info.shape[0]) : 1;
      info.layout = format::group_layout(fmt, info.size, dim0);
      info.group_offset = scale_codes_.size();
      const uint64_t groups = info.layout.groups();
      scale_codes_.resize(info.group_offset + groups);
      zero_codes_.resize(info.group_offset + groups);
      format::quantize_scaled(fmt, info.layout, w, codes_.data() + base,
                              scale_codes_.data() + info.group_offset,
                              zero_codes_.data() + info.group_offset);
      format::decode_scaled(fmt, info.layout, codes_.data() + base,
                            scale_codes_.data() + info.group_offset,
                            zero_codes_.data() + info.group_offset, w);
      params_.back() = info;
    } else {
      fmt.encode(w, codes_.data() + base, info.size);
      fmt.decode(codes_.data() + base, w, info.size);
    }
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

uint64_t WeightTargets::group_of(uint64_t index) const {
  const Param& p = params_[param_of(index)];
  return p.group_offset + p.layout.group_of(index - p.offset);
}

size_t WeightTargets::param_of_group(uint64_t group) const {
  ARES_ASSERT(group < scale_codes_.size());
  auto it = std::upper_bound(params_.begin(), params_.end(), group,
                             [](uint64_t v, const Param& p) { return v < p.group_offset; });
  return static_cast<size_t>(it - params_.begin()) - 1;
}

format::GroupScale WeightTargets::clean_scale(uint64_t group) const {
  return format::group_scale(format_, scale_codes_[group], zero_codes_[group]);
}

float WeightTargets::value(uint32_t code, const format::GroupScale& g) const {
  return format_.is_scaled() ? format::scaled_value(format_, code, g) : format_.decode(code);
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
  if (fmt.is_scaled()) {
    scaled_changes(codes);
    write([](const ValueChange& c) { return c.faulty; });
    return changes_;
  }
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

void WeightInjector::scaled_changes(const std::vector<fault::CodeChange>& codes) {
  const WeightTargets& t = *targets_;
  const uint64_t n = t.num_values(), groups = t.num_groups();
  // The plan's metadata changes, by group (indices are sorted: data, then scales, then zeros).
  std::vector<std::pair<uint64_t, format::GroupScale>> meta;  // (group, faulty metadata)
  size_t data_end = 0;
  while (data_end < codes.size() && codes[data_end].index < n) ++data_end;
  {
    std::vector<std::pair<uint64_t, std::pair<uint32_t, uint32_t>>> words;  // group: scale, zero
    for (size_t i = data_end; i < codes.size(); ++i) {
      const bool zero = codes[i].index >= n + groups;
      const uint64_t g = codes[i].index - n - (zero ? groups : 0);
      ARES_ASSERT(g < groups, "metadata index ", codes[i].index, " out of range");
      auto it =
          std::find_if(words.begin(), words.end(), [g](const auto& w) { return w.first == g; });
      if (it == words.end()) {
        words.push_back({g, {t.scale_codes()[g], t.zero_codes()[g]}});
        it = words.end() - 1;
      }
      (zero ? it->second.second : it->second.first) = codes[i].code;
    }
    std::sort(words.begin(), words.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& w : words) {
      meta.push_back({w.first, format::group_scale(t.format(), w.second.first, w.second.second)});
    }
  }
  // Walk the data changes and the rewritten groups together, in value order.
  size_t d = 0;
  auto emit = [&](uint64_t index, uint32_t code, const format::GroupScale& clean,
                  const format::GroupScale& faulty) {
    const size_t p = t.param_of(index);
    const auto& param = t.params()[p];
    changes_.push_back(
        {p, index - param.offset, t.value(t.code(index), clean), t.value(code, faulty)});
    first_stage_ = std::min(first_stage_, param.stage);
  };
  for (const auto& [g, faulty] : meta) {
    const size_t p = t.param_of_group(g);
    const auto& param = t.params()[p];
    const uint64_t local = g - param.group_offset;
    const uint64_t begin = param.offset + param.layout.begin(local);
    const uint64_t end = param.offset + param.layout.end(local);
    for (; d < data_end && codes[d].index < begin; ++d) {
      emit(codes[d].index, codes[d].code, t.clean_scale(t.group_of(codes[d].index)),
           t.clean_scale(t.group_of(codes[d].index)));
    }
    const format::GroupScale clean = t.clean_scale(g);
    for (uint64_t i = begin; i < end; ++i) {
      uint32_t code = t.code(i);
      if (d < data_end && codes[d].index == i) code = codes[d++].code;
      emit(i, code, clean, faulty);
    }
  }
  for (; d < data_end; ++d) {
    const format::GroupScale g = t.clean_scale(t.group_of(codes[d].index));
    emit(codes[d].index, codes[d].code, g, g);
  }
}

void WeightInjector::restore() {
  write([](const ValueChange& c) { return c.clean; });
  changes_.clear();
  first_stage_ = num_stages_;
}

}  // namespace ares::inject
