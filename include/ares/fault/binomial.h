#pragma once
/// Exact binomial sampling for fault counts.

#include <cstdint>

#include "ares/fault/rng.h"

namespace ares::fault {

/// Draws X ~ Binomial(n, p) exactly (no normal or Poisson approximation), valid for n up to
/// 1e12 and any p in [0, 1]. Mean below 10: inversion from P(0) = (1-p)^n computed in log
/// space; otherwise Hormann's BTRS transformed rejection; p > 1/2 uses n - Binomial(n, 1-p).
/// Cost is O(1 + mean) for small means and O(1) expected otherwise.
uint64_t sample_binomial(Rng& rng, uint64_t n, double p);

}  // namespace ares::fault
