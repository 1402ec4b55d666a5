#include "ares/analysis/plan.h"

#include <cmath>

#include "ares/common/error.h"

namespace ares::analysis {

double normal_quantile_two_sided(double confidence) {
  ARES_CHECK(confidence > 0 && confidence < 1, "plan: confidence must be in (0, 1), got ",
             confidence);
  // P(|Z| > t) = erfc(t / sqrt 2) = 1 - confidence, solved by bisection (erfc decreases).
  const double target = 1 - confidence;
  double lo = 0, hi = 40;
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    (std::erfc(mid / std::sqrt(2.0)) > target ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

int64_t fault_sample_size(double population, double margin, double confidence, double rate) {
  ARES_CHECK(population >= 1 && std::isfinite(population), "plan: population must be >= 1, got ",
             population);
  ARES_CHECK(margin > 0 && margin < 1, "plan: margin must be in (0, 1), got ", margin);
  ARES_CHECK(rate >= 0 && rate <= 1, "plan: rate must be in [0, 1], got ", rate);
  const double t = normal_quantile_two_sided(confidence);
  const double pq = rate * (1 - rate);
  if (pq == 0) return 1;
  const double n = population / (1 + margin * margin * (population - 1) / (t * t * pq));
  return int64_t(std::ceil(n - 1e-9));
}

int64_t trials_for_factor(int64_t trials, double lo, double hi, double factor) {
  ARES_CHECK(trials >= 1, "plan: the pilot's trials must be >= 1, got ", trials);
  ARES_CHECK(lo > 0 && hi >= lo && std::isfinite(hi), "plan: interval [", lo, ", ", hi,
             "] is not 0 < lo <= hi");
  ARES_CHECK(factor > 1, "plan: the target factor must be > 1, got ", factor);
  const double ratio = std::log(hi / lo) / std::log(factor);
  if (ratio <= 1) return trials;
  return int64_t(std::ceil(double(trials) * ratio * ratio - 1e-9));
}

}  // namespace ares::analysis
