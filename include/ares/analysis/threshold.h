#pragma once
/// Tolerable BER: the highest BER whose mean error stays within a bound of a baseline.
///
/// The rule, applied everywhere in Ares: with BERs ascending b_0 < b_1 < ... and mean errors
/// e_k, the bound is baseline * (1 + pct / 100) ("+pct% relative"). The threshold is the
/// largest grid point b_k such that e_j <= bound for every j <= k: the last point before the
/// curve first crosses the bound. A curve that dips back under the bound at a higher BER does
/// not count (re-crossings are noise or luck, not tolerance). No interpolation: thresholds are
/// grid points, so their resolution is the grid's.
///   - kBelowGrid: e_0 already exceeds the bound; the threshold is below the grid.
///   - kAboveGrid: no point exceeds it; the threshold is at least the last grid point.
///
/// The baseline is either the instance's own clean (quantized) error ("relative") or the worst
/// clean error over all instances of the same configuration ("absolute"); see
/// ares/analysis/aggregate.h. A flat curve equal to its baseline never exceeds the bound
/// (kAboveGrid), also when the baseline is 0.

#include <string>
#include <vector>

namespace ares::analysis {

struct Threshold {
  enum class Status { kWithin, kBelowGrid, kAboveGrid };
  Status status = Status::kWithin;
  double ber =
      0;  ///< the threshold grid BER (the first BER when kBelowGrid, the last when kAboveGrid)
  /// "3.2e-06", "<1e-09" (below grid) or ">=1e-03" (above grid).
  std::string to_string() const;
};

/// "within", "below_grid" or "above_grid": the names used in summary.csv and every table.
const char* to_string(Threshold::Status status);

/// Parses the names of to_string(Threshold::Status). Throws ares::InputError otherwise.
Threshold::Status parse_status(const std::string& name);

/// Threshold under the rule above. `bers` ascending, same length as `mean_errors`.
/// Throws ares::InputError when the inputs are empty, unsorted or of different lengths.
Threshold tolerable_ber(const std::vector<double>& bers, const std::vector<double>& mean_errors,
                        double baseline, double pct);

/// tolerable_ber at each of `levels` (percent), in order.
std::vector<Threshold> tolerable_bers(const std::vector<double>& bers,
                                      const std::vector<double>& mean_errors, double baseline,
                                      const std::vector<double>& levels);

/// The default degradation levels, in percent: 0.5, 1, 5, 10.
const std::vector<double>& default_levels();

}  // namespace ares::analysis
