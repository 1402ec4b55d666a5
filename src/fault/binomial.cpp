#include "ares/fault/binomial.h"

#include <cmath>

#include "ares/common/error.h"

namespace ares::fault {

namespace {

// Below this mean, inversion is cheaper than BTRS and BTRS' hat is not valid (Hormann
// requires n * p >= 10).
constexpr double kInversionMaxMean = 10.0;
// Largest n for which every integer in [0, n] is exact in a double.
constexpr uint64_t kMaxExactN = uint64_t{1} << 53;

// fc(k) = log(k!) - [(k + 1/2) log(k + 1) - (k + 1) + log(2 pi) / 2], the error of Stirling's
// approximation of log(k!) about k + 1. Table for k <= 9, series beyond (Hormann 1993,
// as in PyTorch's stirling_approx_tail).
double stirling_tail(double k) {
  static constexpr double kTail[] = {
      0.0810614667953272,  0.0413406959554092,  0.0276779256849983, 0.02079067210376509,
      0.0166446911898211,  0.0138761288230707,  0.0118967099458917, 0.0104112652619720,
      0.00925546218271273, 0.00833056343336287,
  };
  if (k <= 9) return kTail[static_cast<int>(k)];
  const double kp1 = k + 1;
  const double kp1sq = kp1 * kp1;
  return (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / kp1;
}

// Sequential-search inversion from P(0) = (1 - p)^n; expected O(1 + n p) steps.
// Precondition: 0 < p <= 1/2, n * p < kInversionMaxMean.
uint64_t binomial_inversion(Rng& rng, uint64_t n, double p) {
  const double nd = static_cast<double>(n);
  const double p0 = std::exp(nd * std::log1p(-p));  // > e^-14 here, no underflow
  const double r = p / (1 - p);
  for (;;) {
    double u = rng.next_double();
    double pk = p0;
    uint64_t k = 0;
    // Accumulated rounding can leave u above the total mass by ~1e-16, and the tail terms
    // eventually underflow; in that case (probability ~1e-16) draw again rather than walk
    // towards n.
    bool found = true;
    while (u > pk) {
      u -= pk;
      if (k == n) {
        found = false;
        break;
      }
      pk *= (nd - static_cast<double>(k)) / static_cast<double>(k + 1) * r;
      ++k;
      if (pk < 1e-300) {
        found = false;
        break;
      }
    }
    if (found) return k;
  }
}

// Hormann's BTRS (transformed rejection with squeeze), as in PyTorch's sample_binomial_btrs,
// with the acceptance bound rearranged so that it stays accurate for n up to 1e12 (below).
// Precondition: 0 < p <= 1/2, n * p >= kInversionMaxMean.
uint64_t binomial_btrs(Rng& rng, uint64_t n, double p) {
  const double nd = static_cast<double>(n);
  const double q = 1 - p;
  const double spq = std::sqrt(nd * p * q);
  const double b = 1.15 + 2.53 * spq;
  const double a = -0.0873 + 0.0248 * b + 0.01 * p;
  const double c = nd * p + 0.5;
  const double v_r = 0.92 - 4.2 / b;
  const double r = p / q;
  const double alpha = (2.83 + 5.1 / b) * spq;
  const double m = std::floor((nd + 1) * p);
  const double tail_m = stirling_tail(m) + stirling_tail(nd - m);

  for (;;) {
    const double u = rng.next_double_open() - 0.5;
    double v = rng.next_double_open();
    const double us = 0.5 - std::fabs(u);
    // Compare in double before converting: us near 0 sends kd far outside [0, n].
    const double kd = std::floor((2 * a / us + b) * u + c);
    if (kd < 0 || kd > nd) continue;
    // The squeeze: inside this box the hat lies under the density.
    if (us >= 0.07 && v <= v_r) return static_cast<uint64_t>(kd);

    v = std::log(v * alpha / (a / (us * us) + b));
    // log(f(k) / f(m)) for the binomial pmf f, with m the mode. Hormann and PyTorch write it
    //   (m + 1/2) log((m + 1) / (r (n - m + 1))) + (n + 1) log((n - m + 1) / (n - k + 1))
    //   + (k + 1/2) log(r (n - k + 1) / (k + 1)) + fc(m) + fc(n - m) - fc(k) - fc(n - k),
    // whose terms reach ~n and cancel: at n = 1e12 the rounding error (~1e-4) would exceed
    // the quantity compared. Regrouped around d = k - m, every term is O(|d| log n) and the
    // result is accurate to ~1e-12:
    //   d log(r (n - k + 1) / (m + 1)) + (n - m + 1/2) log1p(d / (n - k + 1))
    //   - (k + 1/2) log1p(d / (m + 1)) + fc(m) + fc(n - m) - fc(k) - fc(n - k).
    const double d = kd - m;
    const double bound =
        d * std::log(r * (nd - kd + 1) / (m + 1)) + (nd - m + 0.5) * std::log1p(d / (nd - kd + 1)) -
        (kd + 0.5) * std::log1p(d / (m + 1)) + tail_m - stirling_tail(kd) - stirling_tail(nd - kd);
    if (v <= bound) return static_cast<uint64_t>(kd);
  }
}

}  // namespace

uint64_t sample_binomial(Rng& rng, uint64_t n, double p) {
  ARES_CHECK(p >= 0 && p <= 1, "sample_binomial: p must be in [0, 1], got ", p);
  ARES_CHECK(n <= kMaxExactN, "sample_binomial: n must be <= 2^53, got ", n);
  if (n == 0 || p == 0) return 0;
  if (p == 1) return n;
  // Both samplers need p <= 1/2; 1 - p is exact for p >= 1/2 (Sterbenz).
  if (p > 0.5) return n - sample_binomial(rng, n, 1 - p);
  if (static_cast<double>(n) * p < kInversionMaxMean) return binomial_inversion(rng, n, p);
  return binomial_btrs(rng, n, p);
}

}  // namespace ares::fault
