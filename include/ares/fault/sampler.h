#pragma once
/// Sparse fault sampling: the number of flips first, then their positions. Cost O(flips).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ares/fault/rng.h"

namespace ares::fault {

/// How a BER turns into flips.
enum class Semantics {
  /// Every faultable bit flips independently with probability BER: the count is
  /// Binomial(bits, BER), the positions a uniform random subset of that size. (Default.)
  kBernoulli,
  /// Exactly round(BER * bits) distinct flips (half away from zero), uniform positions.
  kExact,
};

/// "bernoulli" or "exact"; throws ares::InputError otherwise.
Semantics parse_semantics(std::string_view name);
const char* to_string(Semantics s);

/// One flipped bit: value `index` in the target, bit `bit` of its code (0 = LSB).
struct Flip {
  uint64_t index;
  uint32_t bit;
  friend bool operator==(const Flip& a, const Flip& b) {
    return a.index == b.index && a.bit == b.bit;
  }
  friend bool operator<(const Flip& a, const Flip& b) {
    return a.index != b.index ? a.index < b.index : a.bit < b.bit;
  }
};

/// Samples the flips of one trial over a target of `n_values` codes whose faultable bits are
/// the bits set in `faultable_mask` (see Protection::faultable_mask). The returned flips are
/// distinct, sorted by (index, bit), and touch faultable bits only. Everything is drawn from
/// `rng`, so the same stream gives the same plan.
///
/// Preconditions (ares::InputError otherwise): 0 <= ber <= 1, n_values * popcount(mask)
/// <= 1e12. An empty mask or ber == 0 gives an empty plan.
///
/// Example:
///   Rng rng(stream_key(seed, {trial}));
///   auto flips = sample_flips(rng, 266610, fmt.code_mask(), 1e-5, Semantics::kBernoulli);
std::vector<Flip> sample_flips(Rng& rng, uint64_t n_values, uint32_t faultable_mask, double ber,
                               Semantics semantics);

/// The original Ares's way, kept as a yardstick for benchmarks and cross-checks: one uniform
/// draw per faultable bit, flipping it when the draw is below `ber`. Same distribution as
/// kBernoulli (but another plan for the same stream), at O(bits) cost instead of O(flips).
std::vector<Flip> sample_flips_dense(Rng& rng, uint64_t n_values, uint32_t faultable_mask,
                                     double ber);

/// Draws `count` distinct integers uniformly from [0, population), sorted ascending.
/// Cost O(count log count) when count is small relative to population, O(population) via
/// selection sampling when count > population / 8. Precondition: count <= population.
std::vector<uint64_t> sample_distinct(Rng& rng, uint64_t population, uint64_t count);

}  // namespace ares::fault
