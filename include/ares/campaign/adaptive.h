#pragma once
/// Adaptive threshold search (`ares campaign --find-thresholds`): a coarse pass over the BER
/// range, then more BERs and more trials only where a level's curve crosses its bound, until
/// each threshold's 95% interval is within a factor (`precision`) or the trial budget is spent.
///
/// Each round is an ordinary campaign of one configuration with its own store, in
/// DIR/round-R/CONFIG/: a killed search resumes where it stopped, and rounds shard like any
/// campaign. Round R draws from seed stream_key(seed, {R}), so its trials are independent of
/// every other round's; trials at the same BER are pooled across rounds, and the thresholds
/// and intervals come from the pooled curve (analysis/interval.h: bootstrap over the trials at
/// each BER, monotone fit, weights by trial count). The next round's grid follows from the
/// rounds before it alone, so a rerun makes the same rounds.
///
/// Example:
///   campaign::SearchOptions search;
///   search.precision = 1.25;
///   auto found = campaign::find_thresholds(spec, search, "runs/search");

#include <cstdint>
#include <string>
#include <vector>

#include "ares/analysis/interval.h"
#include "ares/analysis/threshold.h"
#include "ares/campaign/in_memory.h"
#include "ares/campaign/spec.h"

namespace ares::campaign {

struct SearchOptions {
  double precision = 1.25;  ///< target: each crossing interval's hi / lo at most this (> 1)
  int coarse_points = 13;   ///< BERs of the first round, log-spaced over the spec's range
  int coarse_trials = 5;    ///< trials per BER in the first round
  int refine_points = 2;    ///< new BERs per unresolved interval and round
  int refine_trials = 5;    ///< trials per BER in later rounds
  int64_t budget = 250;     ///< trials per (instance, configuration), all rounds together
  int max_rounds = 10;
};

/// One threshold the search reached.
struct SearchThreshold {
  int instance = 0, config = 0;
  double level = 0;                      ///< percent over the configuration's baseline
  analysis::Threshold point;             ///< the threshold of the pooled curve's monotone fit
  analysis::ThresholdInterval interval;  ///< its ends are grid points (threshold values)
  /// Where the curve crosses the bound, at 95%: from the interval's lower end to the grid
  /// point after its upper end (a threshold is the last BER before the crossing).
  double crossing_lo = 0, crossing_hi = 0;
  /// Crossing interval within the searched range and crossing_hi / crossing_lo <= precision.
  bool converged = false;
};

struct SearchResult {
  std::vector<SearchThreshold> thresholds;  ///< by (instance, configuration, level)
  /// Trials run per (instance, configuration): [instance][config].
  std::vector<std::vector<int64_t>> trials;
  std::vector<double> baselines;  ///< clean error per (instance * configs + config)
  int rounds = 0;
  std::vector<std::string> campaigns;  ///< every round's campaign directory
};

/// Runs the search of `spec` (its configurations, instances, levels, site and fault model;
/// its BER range [bers.front(), bers.back()] bounds the search; its trials and grid are not
/// used) in `dir`. Throws ares::InputError for a bad spec or options.
SearchResult find_thresholds(const CampaignSpec& spec, const SearchOptions& options,
                             const std::string& dir);
/// The same on models and data in memory (campaign/in_memory.h).
SearchResult find_thresholds(const CampaignSpec& spec, const CampaignInputs& inputs,
                             const SearchOptions& options, const std::string& dir);

/// DIR/thresholds.csv: one line per threshold (instance, format, protection, level, ber,
/// status, ber_lo, status_lo, ber_hi, status_hi, crossing_lo, crossing_hi, ratio, converged,
/// trials).
std::string search_csv(const CampaignSpec& spec, const SearchResult& result);

/// The table printed on stdout.
std::string search_table(const CampaignSpec& spec, const SearchResult& result);

}  // namespace ares::campaign
