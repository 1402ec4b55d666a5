#pragma once
/// Planning a campaign: how many trials a result needs.
///   - For a failure rate (the share of injected faults that change the output), the classic
///     sample size of statistical fault injection (Leveugle et al., DATE 2009):
///       n = N / (1 + e^2 (N - 1) / (t^2 p (1 - p)))
///     for a population of N possible faults, margin of error e, the normal quantile t of the
///     confidence and the expected rate p (0.5 when unknown: the worst case).
///   - For a threshold, from a pilot run: the width of a threshold's 95% interval in ln BER
///     shrinks as 1 / sqrt(trials), so reaching an interval hi / lo <= F from a pilot's
///     hi / lo with T trials per BER needs about T * (ln(hi / lo) / ln F)^2 trials per BER.
///     The interval's ends are grid points: F below the grid's step cannot be reached by
///     trials alone.

#include <cstdint>

namespace ares::analysis {

/// Two-sided normal quantile for `confidence` (0.95 -> 1.959964).
double normal_quantile_two_sided(double confidence);

/// Leveugle's sample size (rounded up). Throws ares::InputError unless population >= 1,
/// 0 < margin < 1, 0 < confidence < 1 and 0 <= rate <= 1.
int64_t fault_sample_size(double population, double margin, double confidence = 0.95,
                          double rate = 0.5);

/// Trials per BER for a threshold interval hi / lo <= `factor`, from a pilot interval
/// [lo, hi] measured with `trials` trials per BER (rounded up, at least `trials` when the
/// pilot is wider, else the pilot's own count). Throws ares::InputError unless
/// 0 < lo <= hi, factor > 1, trials >= 1.
int64_t trials_for_factor(int64_t trials, double lo, double hi, double factor);

}  // namespace ares::analysis
