#include "ares/fault/fault_model.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "ares/common/error.h"

namespace ares::fault {

FaultModel FaultModel::parse(std::string_view spec_view) {
  std::string spec(spec_view);
  if (spec == "flip") return {Kind::kFlip, 0};
  if (spec == "stuck0") return {Kind::kStuck0, 0};
  if (spec == "stuck1") return {Kind::kStuck1, 0};
  if (spec == "signflip") return {Kind::kSignFlip, 0};
  if (spec == "zero") return {Kind::kZero, 0};
  if (spec == "uniform") return {Kind::kUniform, 0};
  if (spec == "gaussian") return {Kind::kGaussian, 0.1};
  if (spec.rfind("gaussian:", 0) == 0) {
    std::string arg = spec.substr(9);
    char* end = nullptr;
    double sigma = std::strtod(arg.c_str(), &end);
    ARES_CHECK(!arg.empty() && end && *end == '\0' && std::isfinite(sigma) && sigma > 0,
               "fault model '", spec, "': gaussian needs a positive standard deviation");
    return {Kind::kGaussian, sigma};
  }
  throw InputError("fault model '" + spec +
                   "': unknown (expected flip, stuck0, stuck1, signflip, zero, uniform or "
                   "gaussian:SIGMA)");
}

std::string FaultModel::spec() const {
  switch (kind_) {
    case Kind::kFlip:
      return "flip";
    case Kind::kStuck0:
      return "stuck0";
    case Kind::kStuck1:
      return "stuck1";
    case Kind::kSignFlip:
      return "signflip";
    case Kind::kZero:
      return "zero";
    case Kind::kUniform:
      return "uniform";
    case Kind::kGaussian: {
      char buf[48];
      std::snprintf(buf, sizeof buf, "gaussian:%.17g", sigma_);
      return buf;
    }
  }
  return "?";
}

uint32_t value_fault(Rng& rng, uint32_t code, const format::Format& fmt, uint32_t faultable_mask,
                     const FaultModel& model) {
  uint32_t fresh = code;
  switch (model.kind()) {
    case FaultModel::Kind::kSignFlip:
      fresh = fmt.encode(-fmt.decode(code));
      break;
    case FaultModel::Kind::kZero:
      fresh = fmt.encode(0.0f);
      break;
    case FaultModel::Kind::kUniform:
      fresh = static_cast<uint32_t>(rng.next_u64()) & fmt.code_mask();
      break;
    case FaultModel::Kind::kGaussian: {
      // Box-Muller from the trial's own stream (no std::normal_distribution).
      double u1 = rng.next_double_open(), u2 = rng.next_double();
      double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
      fresh = fmt.encode(static_cast<float>(double(fmt.decode(code)) + model.sigma() * z));
      break;
    }
    default:
      ARES_ASSERT(false, "value_fault called with a bit-level model");
  }
  return (fresh & faultable_mask) | (code & ~faultable_mask & fmt.code_mask());
}

std::vector<CodeChange> sample_faults(Rng& rng, const uint32_t* codes, uint64_t n,
                                      const format::Format& fmt, uint32_t faultable_mask,
                                      double rate, Semantics semantics, const FaultModel& model,
                                      uint64_t* hits) {
  std::vector<CodeChange> out;
  if (model.bit_level()) {
    auto flips = sample_flips(rng, n, faultable_mask, rate, semantics);
    if (hits) *hits = flips.size();
    for (size_t i = 0; i < flips.size();) {
      uint64_t index = flips[i].index;
      uint32_t mask = 0;
      for (; i < flips.size() && flips[i].index == index; ++i) mask |= 1u << flips[i].bit;
      uint32_t old = codes[index], code = old;
      if (model.kind() == FaultModel::Kind::kFlip) code = old ^ mask;
      if (model.kind() == FaultModel::Kind::kStuck0) code = old & ~mask;
      if (model.kind() == FaultModel::Kind::kStuck1) code = old | mask;
      if (code != old) out.push_back({index, code});
    }
    return out;
  }
  // Value level: the hit values are a "one bit per value" plan.
  auto picks = faultable_mask ? sample_flips(rng, n, 1u, rate, semantics) : std::vector<Flip>{};
  if (hits) *hits = picks.size();
  for (const auto& p : picks) {
    uint32_t old = codes[p.index];
    uint32_t code = value_fault(rng, old, fmt, faultable_mask, model);
    if (code != old) out.push_back({p.index, code});
  }
  return out;
}

}  // namespace ares::fault
