#pragma once
/// How sure a threshold is: a 95% interval for each tolerable BER, and whether the test set can
/// resolve a level at all.
///
/// The threshold (analysis/threshold.h) is the last grid BER before the mean error first
/// exceeds the bound. Its interval comes from a bootstrap over the trials at each BER:
///   1. resample the T trials at each BER with replacement (each BER on its own: trials at
///      different BERs are independent draws);
///   2. fit the resampled mean-error curve monotone in BER (isotonic regression, weighted by
///      trial count: pool adjacent violators);
///   3. take the threshold of the fitted curve under the same rule;
///   4. the interval is [the alpha/2, the 1 - alpha/2] quantile of those thresholds, as grid
///      BERs (default: 1000 resamples, 2.5% and 97.5%).
/// Why the monotone fit: the first crossing of a raw resampled curve is decided by whichever
/// BER happens to be noisiest, so a plain bootstrap of it is too narrow (it undercovers when
/// several BERs lie near the bound). Error grows with BER in expectation; the fitted curve uses
/// that, and pools the evidence of neighbouring BERs. The test
/// (tests/unit/analysis/interval_test.cpp) measures the coverage on a model whose true curve
/// is known.
/// Assumptions: trials are independent (they are: one stream each); the grid is what it is
/// (the interval's ends are grid points, so it cannot be narrower than one grid step, and a
/// threshold between two grid points is covered by either); the baseline is exact (it is one
/// deterministic clean pass).
/// Resampling is seeded: the same seed gives the same interval on any machine.

#include <cstdint>
#include <vector>

#include "ares/analysis/threshold.h"

namespace ares::analysis {

/// A threshold's interval: its lower and upper end, each a threshold in its own right (a grid
/// BER and a status: "<1e-09" below the grid, ">=1e-03" above it).
struct ThresholdInterval {
  Threshold lo, hi;
  /// The threshold of the monotone fit of the curve itself (not resampled): the point the
  /// interval is centred on, and the estimate the spread split below uses.
  Threshold fitted;
  /// Where the fitted curve crosses the bound, in ln BER, interpolated between its grid points
  /// (the grid's end when it does not cross inside): a continuous estimate of the threshold,
  /// which the spread split uses (a grid point is too coarse a statistic for variances).
  double log_crossing = 0;
  /// Variance of log_crossing over the resamples: its sampling variance.
  double log_var = 0;
};

struct BootstrapOptions {
  int resamples = 1000;
  double confidence = 0.95;
  uint64_t seed = 1;
};

/// Intervals of the thresholds at each of `levels` (percent over `baseline`). `errors[b]` holds
/// the error rate of every trial at BER `bers[b]` (ascending; at least one trial each).
/// Throws ares::InputError on inconsistent inputs.
std::vector<ThresholdInterval> threshold_intervals(const std::vector<double>& bers,
                                                   const std::vector<std::vector<double>>& errors,
                                                   double baseline,
                                                   const std::vector<double>& levels,
                                                   const BootstrapOptions& options = {});

/// The spread of one group's thresholds across instances, split into sampling noise and real
/// differences between instances (a random-effects model of the log-thresholds):
///   y_i = the interpolated ln crossing of instance i's fitted curve, v_i its bootstrap
///   variance;
///   observed = sample variance of y (n - 1); within = mean of v_i;
///   between = observed - within (the moment estimator: unbiased when the v_i are, so it
///   may come out negative when there is no spread);
///   corrected geometric SD = exp(sqrt(tau^2)) with the Paule-Mandel tau^2 (the generalised
///   Q equals its expectation n - 1; 0 when Q is below that already);
///   Q = sum (y_i - ybar_w)^2 / v_i with ybar_w weighted by 1 / v_i: chi-square with n - 1
///   degrees of freedom when the instances do not differ (Cochran's Q); p its upper tail;
///   the 95% interval of the between variance by the Q-profile method (Viechtbauer 2007):
///   the tau^2 at which the generalised Q equals the 97.5% and 2.5% chi-square quantiles.
struct SpreadSplit {
  int n = 0;
  double observed = 0, within = 0, between = 0;  ///< variances of ln(threshold)
  double observed_geo_std = 1;                   ///< exp(sqrt(observed))
  double corrected_geo_std = 1;  ///< exp(sqrt(tau^2)), Paule-Mandel: the instances' own spread
  double corrected_lo = 1, corrected_hi = 1;  ///< its 95% interval (Q-profile)
  double q = 0, p_value = 1;
  /// p < 0.05: the instances differ by more than their sampling noise.
  bool significant() const { return n >= 2 && p_value < 0.05; }
};

/// The split of the instances' crossings (ThresholdInterval::log_crossing) and their
/// bootstrap variances (log_var). Needs two or more instances; with one, n = 1 and the rest
/// stays at its defaults.
SpreadSplit split_spread(const std::vector<double>& log_crossings,
                         const std::vector<double>& log_vars);

/// Upper-tail probability of a chi-square variable with `df` degrees of freedom above `x`.
double chi_square_upper(double x, double df);
/// The chi-square quantile: x with P(X <= x) = p.
double chi_square_quantile(double p, double df);

/// The same for bounds given directly (an error rate each), all from one set of resamples:
/// threshold_intervals(..., baseline, levels, o) is threshold_intervals_at with the bounds
/// baseline * (1 + level / 100), so bounds of several baselines share their resampling.
std::vector<ThresholdInterval> threshold_intervals_at(
    const std::vector<double>& bers, const std::vector<std::vector<double>>& errors,
    const std::vector<double>& bounds, const BootstrapOptions& options = {});

/// The ratio of two configurations' thresholds (num / den, e.g. q2.6-sm over q2.6-2c) with a
/// 95% interval from the same bootstrap. One pair per instance present in both; the ratio is
/// the geometric mean over the pairs of exp(crossing(num) - crossing(den)), where crossing is
/// ThresholdInterval::log_crossing: the interpolated crossing of the monotone fit, continuous,
/// so a ratio is not quantized to grid steps. Per resample every pair's trials are redrawn at
/// each BER: for a paired pair (trial t of both configurations saw the same faulty cells, a
/// campaign run with --pairing paired) the same trial indices for both, else independently.
/// The interval is the 2.5% and 97.5% quantile of the resampled geometric means: sampling
/// noise given these instances (the spread split covers the instances themselves).
struct RatioPair {
  const std::vector<double>* bers = nullptr;              ///< the common grid, ascending
  const std::vector<std::vector<double>>* num = nullptr;  ///< per BER, every trial's error
  const std::vector<std::vector<double>>* den = nullptr;
  std::vector<double> num_bounds, den_bounds;  ///< per level: the error bound of each side
  bool paired = false;  ///< needs equally many trials at each BER on both sides
};

struct RatioInterval {
  int pairs = 0;
  double ratio = 1, lo = 1, hi = 1;
  /// Some pair's fitted crossing lies at a grid end (not crossed inside the grid): the ratio
  /// is then a bound, not an estimate.
  bool censored = false;
};

/// Per level, the ratio and its interval over `pairs` (all with the same level count).
/// Throws ares::InputError on inconsistent inputs; no pairs give pairs = 0 and ratio 1.
std::vector<RatioInterval> ratio_intervals(const std::vector<RatioPair>& pairs,
                                           const BootstrapOptions& options = {});

/// Isotonic (non-decreasing) fit of `y` with weights `w` by pool adjacent violators: the
/// non-decreasing curve nearest to `y` in weighted least squares.
std::vector<double> monotone_fit(const std::vector<double>& y, const std::vector<double>& w);

/// Wrong samples a level's bound must allow above the baseline before the test set resolves
/// it: the bound lies baseline * level/100 * samples wrong samples above the baseline.
constexpr double kResolutionSamples = 3.0;

/// True when `level` (percent) allows fewer than kResolutionSamples wrong samples above the
/// baseline on `samples` test samples: such a threshold measures the test set's granularity,
/// not the model (a baseline of 0 resolves no relative level).
bool below_resolution(double baseline, int64_t samples, double level);

/// The smallest level (percent) that `samples` test samples resolve at `baseline`; +Inf when
/// the baseline is 0.
double smallest_resolved_level(double baseline, int64_t samples);

}  // namespace ares::analysis
