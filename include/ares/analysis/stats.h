#pragma once
/// Descriptive statistics used by the analysis: per-BER error summaries with a Student-t
/// confidence interval, and geometric statistics of thresholds across instances.

#include <vector>

namespace ares::analysis {

/// Summary of the errors of the trials at one BER.
struct ErrorStats {
  int n = 0;          ///< trials
  double mean = 0;    ///< arithmetic mean
  double min = 0;     ///< smallest error
  double max = 0;     ///< largest error
  double stddev = 0;  ///< sample standard deviation (n - 1 in the denominator; 0 when n = 1)
  /// 95% confidence interval of the mean: mean -+ t(0.975, n-1) * stddev / sqrt(n), clipped to
  /// [0, 1] (errors are rates). Degenerate ([mean, mean]) when n = 1 or all errors are equal.
  double ci_low = 0;
  double ci_high = 0;
};

/// Statistics of `errors` (each a rate in [0, 1]). Throws ares::InputError when empty.
/// Example: error_stats({0.1, 0.2, 0.3}) has mean 0.2, stddev 0.1, ci [0, 0.448].
ErrorStats error_stats(const std::vector<double>& errors);

/// The median of `values`: the middle one, the mean of the middle two for an even count; NaN
/// when one of them is NaN or there are none. Infinities sort as such.
double median(std::vector<double> values);

/// The perplexity of a set of trials from their mean NLLs (nats), as the summaries report it:
/// `pooled`, exp of the mean NLL (the NLLs summed in the order given; +Inf once one is
/// infinite), and `median`, exp of the median NLL (the median trial's perplexity). Both NaN
/// when an NLL is NaN (not recorded) or there are none.
struct Perplexities {
  double pooled = 0, median = 0;
};
Perplexities perplexities(const std::vector<double>& nlls);

/// The 0.975 quantile of Student's t distribution with `df` >= 1 degrees of freedom (the
/// half-width factor of a two-sided 95% interval): tabulated to 4 decimals up to df = 30, a
/// Cornish-Fisher expansion beyond (error < 1e-4). Throws ares::InputError when df < 1.
double student_t_975(int df);

/// Geometric statistics of positive values (thresholds across instances).
struct GeoStats {
  int n = 0;
  double geo_mean = 0;  ///< exp(mean(ln x))
  /// exp(sample standard deviation of ln x), n - 1 in the denominator; 1 when n = 1. A
  /// geometric standard deviation of s means a typical instance is within a factor s of the
  /// geometric mean.
  double geo_std = 1;
  double min = 0;
  double max = 0;
  double max_min_ratio = 1;  ///< max / min
};

/// Geometric statistics of `values`. Throws ares::InputError when empty or when a value is
/// not positive and finite.
/// Example: geo_stats({1e-6, 4e-6}) has geo_mean 2e-6, max_min_ratio 4, geo_std 2^sqrt(2).
GeoStats geo_stats(const std::vector<double>& values);

}  // namespace ares::analysis
