#include "ares/fault/fault_model.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>

#include "ares/common/error.h"
#include "ares/common/text.h"

namespace ares::fault {

namespace {

const char* const kBuiltIn[] = {"flip",  "stuck0",   "stuck1", "asym",    "mbu",     "mlc",
                                "burst", "signflip", "zero",   "uniform", "gaussian"};

struct Registry {
  std::mutex mutex;
  std::map<std::string, std::shared_ptr<const CustomFaultModel>> models;
};

Registry& registry() {
  static Registry r;
  return r;
}

// A spec's number: finite, the whole string.
bool parse_number(const std::string& text, double* out) {
  char* end = nullptr;
  *out = std::strtod(text.c_str(), &end);
  return !text.empty() && end && *end == '\0' && std::isfinite(*out);
}

// mlc:B[-gray|-bin][:W0,...,W(2^B-1)] (fault_model.h).
std::shared_ptr<const MlcCell> parse_mlc(const std::string& spec) {
  const std::string grammar = "mlc:B[-gray|-bin][:W0,W1,...] with B = 2 or 3 bits per cell";
  ARES_CHECK(spec.size() >= 5 && spec[3] == ':' && (spec[4] == '2' || spec[4] == '3'),
             "fault model '", spec, "': expected ", grammar);
  MlcCell cell;
  cell.bits = spec[4] - '0';
  std::string rest = spec.substr(5);
  const std::string weights =
      rest.find(':') == std::string::npos ? "" : rest.substr(rest.find(':'));
  rest = rest.substr(0, rest.size() - weights.size());
  ARES_CHECK(rest.empty() || rest == "-gray" || rest == "-bin", "fault model '", spec,
             "': the mapping after the bits per cell is -gray or -bin, not '", rest, "' (", grammar,
             ")");
  cell.gray = rest != "-bin";
  const size_t levels = size_t(1) << cell.bits;
  if (weights.empty()) {
    cell.weights.assign(levels, 1.0);
  } else {
    // Split by hand: split_list would drop the empty items of "1,,2" and accept them.
    const std::string list = weights.substr(1) + ",";
    for (size_t begin = 0, comma; (comma = list.find(',', begin)) != std::string::npos;
         begin = comma + 1) {
      double w = -1;
      ARES_CHECK(parse_number(list.substr(begin, comma - begin), &w) && w >= 0, "fault model '",
                 spec, "': level weight '", list.substr(begin, comma - begin),
                 "' is not a finite number >= 0");
      cell.weights.push_back(w);
    }
    ARES_CHECK(cell.weights.size() == levels, "fault model '", spec, "': expected ", levels,
               " level weights (one per level of a ", cell.bits, "-bit cell), got ",
               cell.weights.size());
  }
  const double top = *std::max_element(cell.weights.begin(), cell.weights.end());
  ARES_CHECK(top > 0, "fault model '", spec, "': the level weights are all 0 (no cell would err)");
  for (double w : cell.weights) cell.error_probability.push_back(w / top);
  return std::make_shared<const MlcCell>(std::move(cell));
}

// A cell's level from its bits and back: Gray code (adjacent levels differ in one bit) or
// plain binary.
uint32_t level_of(uint32_t bits, bool gray) {
  if (!gray) return bits;
  uint32_t level = bits;
  for (uint32_t shift = bits >> 1; shift; shift >>= 1) level ^= shift;
  return level;
}
uint32_t bits_of(uint32_t level, bool gray) { return gray ? level ^ (level >> 1) : level; }

}  // namespace

void register_fault_model(CustomFaultModel model) {
  const std::string name = model.name;  // a copy: model is moved from below
  bool ok = !name.empty() && name[0] >= 'a' && name[0] <= 'z';
  for (char c : name) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
  ARES_CHECK(ok, "fault model name '", name,
             "': use lower-case letters, digits and '_', starting with a letter");
  for (const char* b : kBuiltIn)
    ARES_CHECK(name != b, "fault model '", name, "' is built in; choose another name");
  ARES_CHECK(static_cast<bool>(model.apply), "fault model '", name, "': no apply function");
  ARES_CHECK(std::isfinite(model.default_param), "fault model '", name,
             "': default parameter must be finite");
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  ARES_CHECK(r.models.count(name) == 0, "fault model '", name, "' is already registered");
  r.models.emplace(name, std::make_shared<const CustomFaultModel>(std::move(model)));
}

FaultModel FaultModel::parse(std::string_view spec_view) {
  std::string spec(spec_view);
  {
    const std::string name = spec.substr(0, spec.find(':'));
    auto& r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    auto it = r.models.find(name);
    if (it != r.models.end()) {
      double param = it->second->default_param;
      if (name.size() < spec.size())
        ARES_CHECK(parse_number(spec.substr(name.size() + 1), &param), "fault model '", spec,
                   "': the parameter after ':' must be a finite number");
      return {Kind::kCustom, param, it->second};
    }
  }
  if (spec == "flip") return {Kind::kFlip, 0};
  if (spec == "stuck0") return {Kind::kStuck0, 0};
  if (spec == "stuck1") return {Kind::kStuck1, 0};
  if (spec == "signflip") return {Kind::kSignFlip, 0};
  if (spec == "zero") return {Kind::kZero, 0};
  if (spec == "uniform") return {Kind::kUniform, 0};
  if (spec.rfind("asym", 0) == 0) {
    double ratio = -1;
    ARES_CHECK(
        spec.size() > 5 && spec[4] == ':' && parse_number(spec.substr(5), &ratio) && ratio >= 0,
        "fault model '", spec,
        "': asym needs the ratio of the 0-to-1 to the 1-to-0 rate, a number >= 0 "
        "(asym:0: only 1-to-0 flips)");
    return {Kind::kAsym, ratio};
  }
  if (spec.rfind("mbu", 0) == 0) {
    double length = 0;
    ARES_CHECK(spec.size() > 4 && spec[3] == ':' && parse_number(spec.substr(4), &length) &&
                   length >= 1 && length <= 32 && length == std::floor(length),
               "fault model '", spec, "': mbu needs the burst length in bits, an integer 1..32");
    return {Kind::kMbu, length};
  }
  if (spec.rfind("mlc", 0) == 0) {
    auto cell = parse_mlc(spec);
    const double bits = cell->bits;
    return {Kind::kMlc, bits, nullptr, std::move(cell)};
  }
  if (spec.rfind("burst", 0) == 0) {
    double mean = 0;
    ARES_CHECK(spec.size() > 6 && spec[5] == ':' && parse_number(spec.substr(6), &mean) &&
                   mean >= 1 && mean <= 64,
               "fault model '", spec,
               "': burst needs the mean burst length in bits, a number in 1..64 (burst:1 is flip)");
    return {Kind::kBurst, mean};
  }
  if (spec == "gaussian") return {Kind::kGaussian, 0.1};
  if (spec.rfind("gaussian:", 0) == 0) {
    double sigma = 0;
    ARES_CHECK(parse_number(spec.substr(9), &sigma) && sigma > 0, "fault model '", spec,
               "': gaussian needs a positive standard deviation");
    return {Kind::kGaussian, sigma};
  }
  std::string custom;
  {
    auto& r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    for (const auto& kv : r.models) custom += ", " + kv.first;
  }
  throw InputError("fault model '" + spec +
                   "': unknown (expected flip, stuck0, stuck1, asym:R, mbu:L, "
                   "mlc:B[-gray|-bin][:W0,...], burst:M, signflip, zero, uniform, gaussian:SIGMA" +
                   custom + ")");
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
    case Kind::kAsym: {
      char buf[48];
      std::snprintf(buf, sizeof buf, "asym:%.17g", sigma_);
      return buf;
    }
    case Kind::kMbu:
      return "mbu:" + std::to_string(int(sigma_));
    case Kind::kBurst:
      return "burst:" + shortest_number(sigma_);
    case Kind::kMlc: {
      std::string out = "mlc:" + std::to_string(mlc_->bits) + (mlc_->gray ? "-gray" : "-bin");
      const auto& w = mlc_->weights;
      if (std::equal(w.begin() + 1, w.end(), w.begin())) return out;  // the default
      for (size_t l = 0; l < w.size(); ++l) out += (l ? "," : ":") + shortest_number(w[l]);
      return out;
    }
    case Kind::kCustom: {
      if (sigma_ == custom_->default_param) return custom_->name;
      char buf[48];
      std::snprintf(buf, sizeof buf, ":%.17g", sigma_);
      return custom_->name + buf;
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
    case FaultModel::Kind::kCustom:
      fresh = model.custom()->apply(code, faultable_mask, fmt, model.sigma(), rng);
      break;
    default:
      ARES_ASSERT(false, "value_fault called with a bit-level model");
  }
  return (fresh & faultable_mask) | (code & ~faultable_mask & fmt.code_mask());
}

std::vector<Hit> sample_hits(Rng& rng, uint64_t n, uint32_t faultable_mask, double rate,
                             Semantics semantics, const FaultModel& model, uint64_t* hit_count,
                             int width) {
  std::vector<Hit> out;
  if (model.kind() == FaultModel::Kind::kBurst) {
    // Place the upsets, then draw each one's length and lay its bits out in memory order.
    const auto flips = sample_flips(rng, n, faultable_mask, rate, semantics);
    if (hit_count) *hit_count = flips.size();
    const double mean = model.sigma();
    const double log_q = mean > 1 ? std::log1p(-1.0 / mean) : 0.0;  // ln(1 - p)
    std::vector<Hit> bits;
    for (const Flip& f : flips) {
      uint64_t length = 1;
      if (mean > 1) {
        const double k = std::floor(std::log(rng.next_double_open()) / log_q);
        length = 1 + uint64_t(std::min(k, 63.0));
      }
      const uint64_t end =
          std::min(f.index * uint64_t(width) + f.bit + length, n * uint64_t(width));
      for (uint64_t g = f.index * uint64_t(width) + f.bit; g < end; ++g) {
        bits.push_back({g / uint64_t(width), 1u << (g % uint64_t(width))});
      }
    }
    std::sort(bits.begin(), bits.end(),
              [](const Hit& a, const Hit& b) { return a.index < b.index; });
    for (const Hit& b : bits) {
      if (!out.empty() && out.back().index == b.index) {
        out.back().mask |= b.mask;
      } else {
        out.push_back(b);
      }
    }
    return out;
  }
  if (model.bit_level()) {
    const auto flips = sample_flips(rng, n, faultable_mask, rate, semantics);
    if (hit_count) *hit_count = flips.size();
    for (size_t i = 0; i < flips.size();) {
      const uint64_t index = flips[i].index;
      uint32_t mask = 0;
      for (; i < flips.size() && flips[i].index == index; ++i) mask |= 1u << flips[i].bit;
      out.push_back({index, mask});
    }
    return out;
  }
  // Value level: the hit values are a "one bit per value" plan.
  const auto picks =
      faultable_mask ? sample_flips(rng, n, 1u, rate, semantics) : std::vector<Flip>{};
  if (hit_count) *hit_count = picks.size();
  out.reserve(picks.size());
  for (const auto& p : picks) out.push_back({p.index, faultable_mask});
  return out;
}

uint32_t apply_hit(Rng& rng, uint32_t code, const Hit& hit, const format::Format& fmt,
                   uint32_t faultable_mask, const FaultModel& model) {
  switch (model.kind()) {
    case FaultModel::Kind::kFlip:
      return code ^ hit.mask;
    case FaultModel::Kind::kStuck0:
      return code & ~hit.mask;
    case FaultModel::Kind::kStuck1:
      return code | hit.mask;
    case FaultModel::Kind::kAsym: {
      const double r = model.sigma();
      const double p0 = std::min(1.0, r);        // a stored 0 turns 1
      const double p1 = r >= 1 ? 1.0 / r : 1.0;  // a stored 1 turns 0
      uint32_t out = code;
      for (uint32_t m = hit.mask; m; m &= m - 1) {
        const uint32_t bit = m & (~m + 1u);  // lowest hit bit first
        const double u = rng.next_double();
        if (u < ((code & bit) ? p1 : p0)) out ^= bit;
      }
      return out;
    }
    case FaultModel::Kind::kMbu: {
      // Each hit bit starts a burst of L bits upwards; the union flips once.
      const int length = int(model.sigma());
      const uint64_t burst = (uint64_t(1) << length) - 1;
      uint64_t flips = 0;
      for (uint32_t m = hit.mask; m; m &= m - 1) flips |= burst << __builtin_ctz(m);
      return code ^ (uint32_t(flips) & faultable_mask & fmt.code_mask());
    }
    case FaultModel::Kind::kBurst:  // the burst's bits, laid out by sample_hits
      return code ^ (hit.mask & faultable_mask & fmt.code_mask());
    case FaultModel::Kind::kMlc: {
      // Cell c is bits c*B .. c*B+B-1 (the top cell may be shorter); each hit cell, lowest
      // first, takes two draws whatever its level: whether it errs, then up or down.
      const MlcCell& cell = *model.mlc();
      const int width = fmt.width();
      uint32_t out = code;
      for (int low = 0; low < width; low += cell.bits) {
        const int bits = std::min(cell.bits, width - low);
        const uint32_t mask = ((1u << bits) - 1u) << low;
        if (!(hit.mask & mask)) continue;
        const uint32_t level = level_of((code & mask) >> low, cell.gray);
        const uint32_t top = (1u << bits) - 1u;
        const bool errs = rng.next_double() < cell.error_probability[level];
        const bool up = rng.next_double() < 0.5;
        if (!errs) continue;
        const uint32_t now = level == 0 ? 1 : level == top ? top - 1 : up ? level + 1 : level - 1;
        out = (out & ~mask) | (bits_of(now, cell.gray) << low);
      }
      return (out & faultable_mask & fmt.code_mask()) |
             (code & ~(faultable_mask & fmt.code_mask()));
    }
    case FaultModel::Kind::kCustom:
      if (model.bit_level()) {
        // Only the hit bits may change: the others (protected ones included) keep their state.
        const uint32_t fresh = model.custom()->apply(code, hit.mask, fmt, model.sigma(), rng);
        return (fresh & hit.mask) | (code & ~hit.mask);
      }
      break;
    default:
      break;
  }
  return value_fault(rng, code, fmt, faultable_mask, model);
}

FaultPlan plan_of_flips(const std::vector<Flip>& flips, const uint32_t* codes) {
  FaultPlan plan;
  plan.hits = flips.size();
  for (size_t i = 0; i < flips.size();) {
    const uint64_t index = flips[i].index;
    uint32_t mask = 0;
    for (; i < flips.size() && flips[i].index == index; ++i) mask |= 1u << flips[i].bit;
    plan.changes.push_back({index, codes[index] ^ mask});
  }
  return plan;
}

std::vector<CodeChange> sample_faults(Rng& rng, const uint32_t* codes, uint64_t n,
                                      const format::Format& fmt, uint32_t faultable_mask,
                                      double rate, Semantics semantics, const FaultModel& model,
                                      uint64_t* hits) {
  std::vector<CodeChange> out;
  for (const Hit& h :
       sample_hits(rng, n, faultable_mask, rate, semantics, model, hits, fmt.width())) {
    const uint32_t old = codes[h.index];
    const uint32_t code = apply_hit(rng, old, h, fmt, faultable_mask, model);
    if (code != old) out.push_back({h.index, code});
  }
  return out;
}

std::vector<CodeChange> sample_paired_faults(Rng& rng, const uint32_t* codes, uint64_t n,
                                             const format::Format& fmt, uint32_t sample_mask,
                                             uint32_t faultable_mask, double rate,
                                             Semantics semantics, const FaultModel& model,
                                             uint64_t* hits) {
  ARES_CHECK((faultable_mask & ~sample_mask) == 0,
             "paired faults: the faultable bits must be among the sampled ones");
  std::vector<CodeChange> out;
  uint64_t drawn = 0, kept = 0;
  for (Hit h : sample_hits(rng, n, sample_mask, rate, semantics, model, &drawn, fmt.width())) {
    if (model.bit_level()) {
      h.mask &= faultable_mask;
      if (h.mask == 0) continue;
      kept += uint64_t(__builtin_popcount(h.mask));
    } else {
      if (faultable_mask == 0) continue;
      ++kept;
    }
    const uint32_t old = codes[h.index];
    const uint32_t code = apply_hit(rng, old, h, fmt, faultable_mask, model);
    if (code != old) out.push_back({h.index, code});
  }
  if (hits) *hits = kept;
  return out;
}

}  // namespace ares::fault
