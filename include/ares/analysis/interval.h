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
