#include "ares/train/injection.h"

#include <torch/torch.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "ares/common/error.h"
#include "ares/common/text.h"
#include "ares/fault/rng.h"
#include "ares/inject/sparse.h"

namespace ares::train {
namespace {

constexpr uint64_t kInjectTag = 0x696e6a74;  // "injt": training-time fault streams

std::vector<std::string> split_fields(std::string_view s) {
  std::vector<std::string> out(1);
  for (char c : s) {
    if (c == ':') {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

bool parse_number(const std::string& text, double* out) {
  if (text.empty()) return false;
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (errno != 0 || end == nullptr || *end != '\0') return false;
  *out = v;
  return true;
}

// Backward passes the gradient to `x` unchanged; forward returns the faulty values exactly.
struct StraightThrough : torch::autograd::Function<StraightThrough> {
  static torch::Tensor forward(torch::autograd::AutogradContext*, const torch::Tensor& x,
                               const torch::Tensor& faulty) {
    (void)x;
    return faulty;
  }
  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext*,
                                               torch::autograd::tensor_list grad) {
    return {grad[0], torch::Tensor()};
  }
};

}  // namespace

Injection Injection::parse(std::string_view spec_view) {
  const std::string spec(spec_view);
  const std::string where = "--inject '" + spec + "': ";
  auto fields = split_fields(spec);
  Injection inj;
  size_t i = 1;
  const std::string& site = fields[0];
  if (site == "weights") {
    inj.site = Site::kWeights;
  } else if (site == "grad") {
    inj.site = Site::kGradient;
  } else if (site == "act") {
    inj.site = Site::kActivation;
    ARES_CHECK(fields.size() > 1 && !fields[1].empty(), where,
               "'act' needs a stage: act:STAGE:[FORMAT:]BER");
    inj.stage = fields[i++];
  } else {
    throw InputError(where + "site '" + site + "' is not weights, grad or act:STAGE");
  }
  ARES_CHECK(i < fields.size() && !fields[i].empty(), where, "expected ", site,
             inj.stage.empty() ? "" : ":" + inj.stage, ":[FORMAT:]BER");
  // The format is optional: a field that reads as a number is the BER.
  if (!parse_number(fields[i], &inj.rate)) {
    try {
      inj.format = format::Format::parse(fields[i]);
    } catch (const InputError& e) {
      throw InputError(where + e.what());
    }
    ARES_CHECK(!inj.format.is_scaled(), where, "format '", inj.format.spec(),
               "' is scaled (scales per tensor or block); training faults take unscaled formats");
    ++i;
    ARES_CHECK(i < fields.size() && !fields[i].empty(), where, "expected a BER after format '",
               fields[i - 1], "'");
    ARES_CHECK(parse_number(fields[i], &inj.rate), where, "BER '", fields[i], "' is not a number");
  }
  ++i;
  ARES_CHECK(std::isfinite(inj.rate) && inj.rate >= 0 && inj.rate <= 1, where, "BER ",
             fields[i - 1], " is outside [0, 1]");
  // Options: key=value; a field without '=' continues the previous value (gaussian:0.1,
  // msb:2, bits:0,7).
  std::vector<std::pair<std::string, std::string>> options;
  for (; i < fields.size(); ++i) {
    auto eq = fields[i].find('=');
    if (eq == std::string::npos) {
      ARES_CHECK(!options.empty(), where, "unexpected '", fields[i],
                 "' (options: every=K, model=M, protect=P, semantics=S)");
      options.back().second += ":" + fields[i];
    } else {
      options.emplace_back(fields[i].substr(0, eq), fields[i].substr(eq + 1));
    }
  }
  std::vector<std::string> seen;
  for (const auto& [key, value] : options) {
    ARES_CHECK(std::find(seen.begin(), seen.end(), key) == seen.end(), where, "option '", key,
               "' given twice");
    seen.push_back(key);
    try {
      if (key == "every") {
        ARES_CHECK(inj.site == Site::kWeights, "every= applies to the weights site only");
        double k = 0;
        ARES_CHECK(parse_number(value, &k) && k >= 1 && k <= 1e12 && k == std::floor(k),
                   "every= expects an integer >= 1, got '", value, "'");
        inj.every = int64_t(k);
      } else if (key == "model") {
        inj.model = fault::FaultModel::parse(value);
      } else if (key == "protect") {
        inj.protection = fault::Protection::parse(value);
        ARES_CHECK(!inj.protection.is_code(), "protect=", inj.protection.spec(),
                   ": codes (secded, parity) protect campaigns' stored weights, not training");
      } else if (key == "semantics") {
        inj.semantics = fault::parse_semantics(value);
      } else {
        throw InputError("unknown option '" + key +
                         "' (options: every=K, model=M, protect=P, semantics=S)");
      }
    } catch (const InputError& e) {
      throw InputError(where + e.what());
    }
  }
  try {
    inj.protection.faultable_mask(inj.format);  // throws when it does not fit
  } catch (const InputError& e) {
    throw InputError(where + e.what());
  }
  return inj;
}

std::string Injection::spec() const {
  std::string s = site == Site::kWeights ? "weights" : site == Site::kGradient ? "grad" : "act";
  if (site == Site::kActivation) s += ":" + stage;
  s += ":" + format.spec() + ":" + shortest_number(rate);
  if (site == Site::kWeights) s += ":every=" + std::to_string(every);
  if (model.kind() != fault::FaultModel::Kind::kFlip) s += ":model=" + model.spec();
  if (protection.spec() != "none") s += ":protect=" + protection.spec();
  if (semantics != fault::Semantics::kBernoulli)
    s += ":semantics=" + std::string(to_string(semantics));
  return s;
}

void check_injection(const Injection& inj, const models::StagedModel& model) {
  if (inj.site != Injection::Site::kActivation || model.find_stage(inj.stage) >= 0) return;
  throw InputError("--inject '" + inj.spec() + "': model " + model.name() + " has no stage '" +
                   inj.stage + "' (stages: " + model.stage_list() + ")");
}

Injector::Injector(std::vector<Injection> injections, models::StagedModel& model, uint64_t seed)
    : injections_(std::move(injections)), model_(model), seed_(seed) {
  for (const auto& inj : injections_) {
    check_injection(inj, model);
    act_stage_.push_back(inj.site == Injection::Site::kActivation ? model.find_stage(inj.stage)
                                                                  : -1);
    faultable_.push_back(inj.protection.faultable_mask(inj.format));
    stats_.push_back({inj.spec(), 0, 0, 0, 0});
  }
  for (const auto& p : model.parameters()) {
    ARES_CHECK(p.scalar_type() == torch::kFloat32,
               "training with faults: parameters must be float32, got ", p.scalar_type());
  }
}

std::vector<fault::Hit> Injector::sample(fault::Rng& rng, size_t site, uint64_t n) {
  const Injection& inj = injections_[site];
  ++stats_[site].rounds;
  uint64_t hits = 0;
  auto plan = fault::sample_hits(rng, n, faultable_[site], inj.rate, inj.semantics, inj.model,
                                 &hits, inj.format.width());
  stats_[site].hits += hits;
  return plan;
}

uint64_t Injector::apply(fault::Rng& rng, size_t site, const std::vector<fault::Hit>& plan,
                         const std::vector<torch::Tensor>& tensors) {
  const Injection& inj = injections_[site];
  const auto count = inject::faults_at(rng, plan, tensors, inj.format, faultable_[site], inj.model);
  stats_[site].faults += count.changed;
  stats_[site].nonfinite += count.nonfinite;
  return count.changed;
}

fault::Rng Injector::stream(size_t site, int64_t step) const {
  return fault::Rng(fault::stream_key(seed_, {kInjectTag, uint64_t(site), uint64_t(step)}));
}

void Injector::fault_tensors(size_t site, const std::vector<torch::Tensor>& tensors, int64_t step) {
  uint64_t n = 0;
  for (const auto& t : tensors) n += uint64_t(t.numel());
  fault::Rng rng = stream(site, step);
  const auto plan = sample(rng, site, n);
  if (!plan.empty()) apply(rng, site, plan, tensors);
}

torch::Tensor Injector::fault_activation(size_t site, const torch::Tensor& x, int64_t step) {
  fault::Rng rng = stream(site, step);
  const auto plan = sample(rng, site, uint64_t(x.numel()));
  if (plan.empty()) return x;
  auto faulty = x.detach().contiguous().clone();
  if (apply(rng, site, plan, {faulty}) == 0) return x;
  return StraightThrough::apply(x, faulty);
}

torch::Tensor Injector::forward(torch::Tensor x, int64_t step) {
  bool any = false;
  for (int64_t s : act_stage_) any = any || s >= 0;
  if (!any) return model_.forward(std::move(x));
  for (size_t s = 0; s < model_.num_stages(); ++s) {
    x = model_.stage(s)->forward(x);
    for (size_t i = 0; i < injections_.size(); ++i) {
      if (act_stage_[i] == int64_t(s)) x = fault_activation(i, x, step);
    }
  }
  return x;
}

void Injector::after_backward(int64_t step) {
  for (size_t i = 0; i < injections_.size(); ++i) {
    if (injections_[i].site != Injection::Site::kGradient) continue;
    std::vector<torch::Tensor> grads;
    for (const auto& p : model_.parameters()) {
      if (p.grad().defined()) grads.push_back(p.grad());
    }
    fault_tensors(i, grads, step);
  }
}

void Injector::after_step(int64_t step) {
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < injections_.size(); ++i) {
    const Injection& inj = injections_[i];
    if (inj.site != Injection::Site::kWeights || (step + 1) % inj.every != 0) continue;
    std::vector<torch::Tensor> params;
    for (const auto& p : model_.parameters()) params.push_back(p.detach());
    fault_tensors(i, params, step);
  }
}

}  // namespace ares::train
