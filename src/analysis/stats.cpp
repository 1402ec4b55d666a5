#include "ares/analysis/stats.h"

#include <algorithm>
#include <cmath>

#include "ares/common/error.h"

namespace ares::analysis {

double median(std::vector<double> values) {
  if (values.empty() ||
      std::any_of(values.begin(), values.end(), [](double x) { return std::isnan(x); }))
    return std::nan("");
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

Perplexities perplexities(const std::vector<double>& nlls) {
  double sum = 0;
  for (double v : nlls) sum += v;
  return {std::exp(nlls.empty() ? std::nan("") : sum / double(nlls.size())),
          std::exp(median(nlls))};
}

ErrorStats error_stats(const std::vector<double>& errors) {
  ARES_CHECK(!errors.empty(), "error statistics: no trials");
  ErrorStats s;
  s.n = int(errors.size());
  s.min = *std::min_element(errors.begin(), errors.end());
  s.max = *std::max_element(errors.begin(), errors.end());
  double sum = 0;
  for (double e : errors) sum += e;
  s.mean = sum / double(s.n);
  // All trials equal (typical at low BER, where no fault lands): an exact, degenerate interval
  // rather than rounding noise.
  if (s.n == 1 || s.min == s.max) {
    s.mean = s.n == 1 ? errors[0] : s.min;
    s.ci_low = s.ci_high = s.mean;
    return s;
  }
  double ss = 0;
  for (double e : errors) ss += (e - s.mean) * (e - s.mean);
  s.stddev = std::sqrt(ss / double(s.n - 1));
  double half = student_t_975(s.n - 1) * s.stddev / std::sqrt(double(s.n));
  s.ci_low = std::max(0.0, s.mean - half);
  s.ci_high = std::min(1.0, s.mean + half);
  return s;
}

double student_t_975(int df) {
  ARES_CHECK(df >= 1, "student_t_975: degrees of freedom must be >= 1, got ", df);
  static const double kTable[30] = {12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060,
                                    2.2622,  2.2281, 2.2010, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199,
                                    2.1098,  2.1009, 2.0930, 2.0860, 2.0796, 2.0739, 2.0687, 2.0639,
                                    2.0595,  2.0555, 2.0518, 2.0484, 2.0452, 2.0423};
  if (df <= 30) return kTable[df - 1];
  const double z = 1.959963984540054, n = df;
  const double z3 = z * z * z, z5 = z3 * z * z, z7 = z5 * z * z;
  return z + (z3 + z) / (4 * n) + (5 * z5 + 16 * z3 + 3 * z) / (96 * n * n) +
         (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * n * n * n);
}

GeoStats geo_stats(const std::vector<double>& values) {
  ARES_CHECK(!values.empty(), "geometric statistics: no values");
  GeoStats g;
  g.n = int(values.size());
  double sum = 0;
  for (double v : values) {
    ARES_CHECK(v > 0 && std::isfinite(v), "geometric statistics: values must be positive, got ", v);
    sum += std::log(v);
  }
  double mean = sum / double(g.n);
  g.geo_mean = std::exp(mean);
  g.min = *std::min_element(values.begin(), values.end());
  g.max = *std::max_element(values.begin(), values.end());
  g.max_min_ratio = g.max / g.min;
  if (g.n > 1) {
    double ss = 0;
    for (double v : values) ss += (std::log(v) - mean) * (std::log(v) - mean);
    g.geo_std = std::exp(std::sqrt(ss / double(g.n - 1)));
  }
  return g;
}

}  // namespace ares::analysis
