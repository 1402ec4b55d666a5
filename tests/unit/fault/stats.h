#pragma once
// Small statistics helpers shared by the fault tests (header-only, test code only).

#include <cmath>
#include <cstdint>
#include <vector>

namespace ares::fault::testing {

// Upper critical value of the chi-square distribution with `df` degrees of freedom at tail
// probability ~1e-6 (Wilson-Hilferty; z = 4.75). Tests use fixed seeds, so a failure means a
// real defect, not bad luck, but the threshold still leaves room for the seeds to be changed.
inline double chi2_critical(int df) {
  const double z = 4.75;
  const double d = static_cast<double>(df);
  const double t = 1 - 2 / (9 * d) + z * std::sqrt(2 / (9 * d));
  return d * t * t * t;
}

// Pearson's statistic of observed counts against expected counts (same length).
inline double chi2_statistic(const std::vector<double>& observed,
                             const std::vector<double>& expected) {
  double chi2 = 0;
  for (std::size_t i = 0; i < observed.size(); ++i) {
    const double diff = observed[i] - expected[i];
    chi2 += diff * diff / expected[i];
  }
  return chi2;
}

// Mean and unbiased variance of a sample.
struct Moments {
  double mean = 0;
  double var = 0;
};
inline Moments moments(const std::vector<double>& xs) {
  Moments m;
  for (double x : xs) m.mean += x;
  m.mean /= static_cast<double>(xs.size());
  for (double x : xs) m.var += (x - m.mean) * (x - m.mean);
  m.var /= static_cast<double>(xs.size() - 1);
  return m;
}

// z-scores of a sample's mean and variance against a distribution with the given mean,
// variance and fourth central moment: Var(mean) = var / S, Var(s^2) ~= (mu4 - var^2) / S.
struct ZScores {
  double mean = 0;
  double var = 0;
};
inline ZScores z_scores(const std::vector<double>& xs, double mean, double var, double mu4) {
  const Moments m = moments(xs);
  const double s = static_cast<double>(xs.size());
  ZScores z;
  z.mean = (m.mean - mean) / std::sqrt(var / s);
  z.var = (m.var - var) / std::sqrt((mu4 - var * var) / s);
  return z;
}

// Binomial(n, p): variance and fourth central moment n p q (1 + 3 p q (n - 2)).
inline double binomial_var(double n, double p) { return n * p * (1 - p); }
inline double binomial_mu4(double n, double p) {
  const double pq = p * (1 - p);
  return n * pq * (1 + 3 * pq * (n - 2));
}

// Chi-square test of integer samples against a pmf. Values with expected count >= 5 get a
// bin each; the rest are pooled into one lower and one upper tail bin (by their side of the
// mode). Returns the statistic; `df` receives bins - 1.
template <typename Pmf>
double chi2_against_pmf(const std::vector<uint64_t>& samples, Pmf pmf, uint64_t lo, uint64_t hi,
                        int* df) {
  const double s = static_cast<double>(samples.size());
  std::vector<double> expected(hi - lo + 1);
  for (uint64_t k = lo; k <= hi; ++k) expected[k - lo] = s * pmf(k);
  // Central bins: the maximal run of values around the mode with expected count >= 5.
  std::size_t mode = 0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    if (expected[i] > expected[mode]) mode = i;
  }
  std::size_t first = mode, last = mode;
  while (first > 0 && expected[first - 1] >= 5) --first;
  while (last + 1 < expected.size() && expected[last + 1] >= 5) ++last;
  std::vector<double> obs_bins(last - first + 3, 0.0), exp_bins(last - first + 3, 0.0);
  // Expected mass of the tails is whatever the central bins do not hold.
  double central = 0;
  for (std::size_t i = first; i <= last; ++i) {
    exp_bins[i - first + 1] = expected[i];
    central += expected[i];
  }
  double low_tail = 0;
  for (uint64_t k = 0; k < lo + first; ++k) low_tail += s * pmf(k);
  exp_bins[0] = low_tail;
  exp_bins.back() = s - central - low_tail;
  for (uint64_t x : samples) {
    if (x < lo + first) {
      obs_bins[0] += 1;
    } else if (x > lo + last) {
      obs_bins.back() += 1;
    } else {
      obs_bins[x - lo - first + 1] += 1;
    }
  }
  // Drop tail bins too small for the chi-square approximation (folding them into the
  // neighbouring central bin).
  std::vector<double> o, e;
  for (std::size_t i = 0; i < obs_bins.size(); ++i) {
    if (exp_bins[i] < 5 && (i == 0 || i + 1 == obs_bins.size())) {
      const std::size_t into = i == 0 ? 1 : obs_bins.size() - 2;
      obs_bins[into] += obs_bins[i];
      exp_bins[into] += exp_bins[i];
      obs_bins[i] = exp_bins[i] = 0;
    }
  }
  for (std::size_t i = 0; i < obs_bins.size(); ++i) {
    if (exp_bins[i] > 0) {
      o.push_back(obs_bins[i]);
      e.push_back(exp_bins[i]);
    }
  }
  *df = static_cast<int>(o.size()) - 1;
  return chi2_statistic(o, e);
}

}  // namespace ares::fault::testing
