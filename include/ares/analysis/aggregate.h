#pragma once
/// From trials to findings: error curves per instance, thresholds under relative and absolute
/// baselines, their spread across instances, ratios between encodings, and per-target
/// (layer) and per-bit vulnerability.
///
/// Terms:
///   - a *group* is one configuration studied over a set of instances: a model on a dataset,
///     with a set of target parameters, a fault site, a format and a protection;
///   - a *curve* is one instance of a group: its errors per BER over the trials;
///   - the *relative* baseline of a curve is its own clean (quantized) error; the *absolute*
///     baseline of a group is the worst clean error over its instances. Thresholds follow
///     the rule of ares/analysis/threshold.h under either baseline;
///   - the *spread* of a group at a level is the geometric mean, geometric standard deviation
///     and max/min ratio of its instances' thresholds (geo_stats). A threshold outside the
///     grid enters at the grid edge (the first BER when below it, the last when above it), so
///     such statistics are bounds; below_grid / above_grid count those instances;
///   - the *reference* of a group is the two's-complement, unprotected group of the same
///     model, dataset, targets, site and width (q2.6-sm -> q2.6-2c, q2.6-2c+sign -> q2.6-2c,
///     fp16+sign -> fp16). Its *ratio* at a level is the geometric mean over instances
///     present in both of threshold(group) / threshold(reference) — equal to the ratio of the
///     two geometric means when both hold the same instances — with the min and max of the
///     per-instance ratios, and the ratio of the interpolated crossings with its bootstrap
///     interval (paired per trial where the campaign paired its encodings).

#include <cstdint>
#include <string>
#include <vector>

#include "ares/analysis/campaign_data.h"
#include "ares/analysis/interval.h"
#include "ares/analysis/stats.h"
#include "ares/analysis/threshold.h"

namespace ares::analysis {

/// Which baseline a threshold is measured against.
enum class BaselineKind { kRelative = 0, kAbsolute = 1 };
/// "relative" or "absolute".
const char* to_string(BaselineKind kind);

/// What a group studies.
struct GroupKey {
  std::string model, dataset, targets, site, format, protection;
  /// "q2.6-2c" or "q2.6-2c+sign".
  std::string config_label() const;
  /// "mnist_fc" plus " on DATASET", " [TARGETS]", " @SITE" where they are not the defaults.
  std::string subject() const;
  friend bool operator==(const GroupKey& a, const GroupKey& b);
};

/// One instance of one group.
struct Curve {
  size_t group = 0;  ///< index into Analysis::groups
  int campaign = 0;  ///< index of the campaign it came from
  int instance = 0;  ///< instance index within that campaign
  std::string checkpoint;
  double float_error = 0;
  double baseline_error = 0;  ///< its own clean quantized error (the relative baseline)
  uint64_t values = 0, bits = 0;
  std::vector<double> bers;                       ///< ascending
  std::vector<ErrorStats> errors;                 ///< per BER, over the trials
  std::vector<std::vector<double>> trial_errors;  ///< per BER, every trial's error, by trial
  /// Thresholds per level; [0] relative, [1] absolute (index with BaselineKind).
  std::vector<Threshold> thresholds[2];
  /// 95% intervals of those thresholds (interval.h), per level; [0] relative, [1] absolute.
  std::vector<ThresholdInterval> intervals[2];
  /// Per BER, the mean over trials of the outcome classes as shares of the samples: changed
  /// predictions (silent corruption) and non-finite logits. NaN where a trial lacks them.
  std::vector<double> changed_rate, nonfinite_rate;
  /// Per BER, the perplexity of the trials pooled: exp of the mean over trials of their mean
  /// NLL (as summary.json's "perplexity"). NaN where a trial lacks its NLL, +Inf where one
  /// had non-finite logits. And the median over trials of each trial's perplexity (as
  /// summary.json's "median_perplexity": finite while most trials' logits are).
  std::vector<double> perplexity, median_perplexity;
  /// Per-BER mean errors, the input of the thresholds.
  std::vector<double> mean_errors() const;
};

/// Spread of one group's thresholds at one level under one baseline.
struct Spread {
  GeoStats stats;
  int below_grid = 0;  ///< instances whose threshold is below the grid (entered as bers[0])
  int above_grid = 0;  ///< instances whose threshold is above it (entered as bers.back())
  /// The spread split into sampling noise and real differences between instances
  /// (interval.h); n < 2 for a single instance.
  SpreadSplit split;
};

/// Threshold ratio of a group to its reference at one level under one baseline.
struct Ratio {
  int pairs = 0;        ///< instances present in both groups
  double geo_mean = 0;  ///< geometric mean of the per-instance ratios
  double min = 0, max = 0;
  /// The ratio of the interpolated crossings with its 95% interval (interval.h,
  /// ratio_intervals): sampling noise given these instances, not quantized to grid steps.
  RatioInterval interval;
  /// Whether the pairs were resampled paired: both curves of every pair come from one campaign
  /// run with --pairing paired (trial t of both saw the same faulty cells).
  bool paired = false;
};

/// One configuration over its instances.
struct Group {
  GroupKey key;
  std::vector<size_t> curves;  ///< indices into Analysis::curves, by (campaign, instance)
  std::vector<double> bers;    ///< the common BER grid
  double worst_baseline = 0;   ///< the absolute baseline: max of the curves' baseline_error
  /// Across instances, per BER: mean, min and max of the instances' mean errors (n =
  /// instances; the CI is over instances, too).
  std::vector<ErrorStats> across;
  /// Per level; [0] relative, [1] absolute.
  std::vector<Spread> spread[2];
  int reference = -1;           ///< index of the reference group, -1 when none
  std::vector<Ratio> ratio[2];  ///< per level; empty without a reference
  /// When exactly one bit of each value may flip (a per-bit campaign): that bit, else -1.
  int single_bit = -1;
  std::string bit_role;  ///< "sign", "integer", ... for single_bit
};

/// Everything the report shows.
struct Analysis {
  std::vector<double> levels;  ///< percent
  std::vector<Group> groups;   ///< by subject, then configurations in campaign order
  std::vector<Curve> curves;
  /// Whether some (model, dataset, site, format, protection) was studied with several target
  /// sets (a per-layer study).
  bool per_target = false;
  /// Whether some group is a single-bit group (a per-bit study).
  bool per_bit = false;
};

/// Analyses one or more campaigns together. Curves of campaigns with the same targets and
/// configuration join one group (their instances are told apart by campaign). `levels`:
/// percent; empty means the first campaign's levels, or default_levels(). Throws
/// ares::InputError when a curve misses trials (every (instance, configuration) must have
/// the same trial count at every BER of its campaign's grid), when the instances of a group
/// do not share one BER grid, or when nothing is given.
Analysis analyze(const std::vector<CampaignData>& campaigns,
                 const std::vector<double>& levels = {});

}  // namespace ares::analysis
