#pragma once
/// Fault models: what happens to a stored value that a fault hits.
///
/// | spec | level | a hit ... |
/// |---|---|---|
/// | `flip` (default) | bit | flips the bit |
/// | `stuck0`, `stuck1` | bit | forces the bit to 0 or 1 (no change if it already was) |
/// | `signflip` | value | negates the value (re-encoded; -min of a 2c format saturates) |
/// | `zero` | value | sets the value to 0 |
/// | `uniform` | value | replaces the stored word by a uniformly random word (fixed point: a
/// uniform value over the representable range; floats: any bit pattern, Inf and NaN included) | |
/// `gaussian:S` | value | adds Gaussian noise of standard deviation S (value units; default 0.1),
/// re-encoded with rounding and saturation |
///
/// Bit-level models apply the rate to every faultable bit (BER); value-level models apply it
/// to every value. Protected bits never change under any model: a value-level fault keeps
/// the protected bits of the old code (so `signflip` under `sign` protection does nothing).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ares/fault/rng.h"
#include "ares/fault/sampler.h"
#include "ares/format/format.h"

namespace ares::fault {

class FaultModel {
 public:
  enum class Kind { kFlip, kStuck0, kStuck1, kSignFlip, kZero, kUniform, kGaussian };
  /// Parses a spec from the table above. Throws ares::InputError naming the spec otherwise.
  static FaultModel parse(std::string_view spec);
  Kind kind() const { return kind_; }
  /// True for flip, stuck0 and stuck1: the rate is per bit.
  bool bit_level() const {
    return kind_ == Kind::kFlip || kind_ == Kind::kStuck0 || kind_ == Kind::kStuck1;
  }
  double sigma() const { return sigma_; }
  /// Canonical spec ("flip", "gaussian:0.1").
  std::string spec() const;

 private:
  FaultModel(Kind kind, double sigma) : kind_(kind), sigma_(sigma) {}
  Kind kind_;
  double sigma_;
};

/// A value a fault changed: its index and its new code.
struct CodeChange {
  uint64_t index;
  uint32_t code;
};

/// Samples one trial's faults over `n` values whose clean codes are `codes` (format `fmt`,
/// faultable bits `faultable_mask`) at `rate` under `semantics`, and returns the values whose
/// code changes, sorted by index, one entry per value. `hits` receives the number of bits
/// (bit-level) or values (value-level) the faults hit, changed or not. Everything random
/// comes from `rng`. For `flip` the plan equals sample_flips(rng, ...) grouped by value.
std::vector<CodeChange> sample_faults(Rng& rng, const uint32_t* codes, uint64_t n,
                                      const format::Format& fmt, uint32_t faultable_mask,
                                      double rate, Semantics semantics, const FaultModel& model,
                                      uint64_t* hits);

/// The code a value-level model gives a hit value (exposed for tests). Protected bits (those
/// outside `faultable_mask`) keep their old state.
uint32_t value_fault(Rng& rng, uint32_t code, const format::Format& fmt, uint32_t faultable_mask,
                     const FaultModel& model);

}  // namespace ares::fault
