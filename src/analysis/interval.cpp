#include "ares/analysis/interval.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "ares/common/error.h"

namespace ares::analysis {
namespace {

// splitmix64: a small counter-based generator, the same numbers on every platform.
struct Rng {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n): the high half of a 64x64-bit product (bias below 2^-32 for n < 2^32).
  size_t below(size_t n) { return size_t((static_cast<unsigned __int128>(next()) * n) >> 64); }
};

// The index of the threshold under the rule of analysis/threshold.h on a curve: -1 below the
// grid, B - 1 with above = true when no point exceeds the bound.
int threshold_index(const std::vector<double>& curve, double bound, bool* above) {
  *above = false;
  for (size_t k = 0; k < curve.size(); ++k) {
    if (curve[k] > bound) return int(k) - 1;
  }
  *above = true;
  return int(curve.size()) - 1;
}

// Where the (monotone) curve crosses the bound, in ln BER, interpolated linearly between the
// last grid point within the bound and the first above it; the grid's ends when it does not
// cross inside the grid. Continuous in the curve, unlike the grid threshold.
double log_crossing(const std::vector<double>& bers, const std::vector<double>& curve,
                    double bound) {
  for (size_t k = 0; k < curve.size(); ++k) {
    if (curve[k] > bound) {
      if (k == 0) return std::log(bers[0]);
      const double f = (bound - curve[k - 1]) / (curve[k] - curve[k - 1]);
      return std::log(bers[k - 1]) + f * (std::log(bers[k]) - std::log(bers[k - 1]));
    }
  }
  return std::log(bers.back());
}

Threshold at_index(const std::vector<double>& bers, int index, bool above) {
  Threshold t;
  if (index < 0) {
    t.status = Threshold::Status::kBelowGrid;
    t.ber = bers.front();
  } else {
    t.status = above ? Threshold::Status::kAboveGrid : Threshold::Status::kWithin;
    t.ber = bers[size_t(index)];
  }
  return t;
}

}  // namespace

std::vector<double> monotone_fit(const std::vector<double>& y, const std::vector<double>& w) {
  ARES_CHECK(y.size() == w.size(), "monotone fit: ", y.size(), " values but ", w.size(),
             " weights");
  // Blocks of pooled points: mean, weight, count.
  std::vector<double> mean, weight;
  std::vector<size_t> count;
  for (size_t i = 0; i < y.size(); ++i) {
    mean.push_back(y[i]);
    weight.push_back(w[i]);
    count.push_back(1);
    while (mean.size() > 1 && mean[mean.size() - 2] > mean.back()) {
      const size_t j = mean.size() - 2;
      const double wt = weight[j] + weight.back();
      mean[j] = (mean[j] * weight[j] + mean.back() * weight.back()) / wt;
      weight[j] = wt;
      count[j] += count.back();
      mean.pop_back();
      weight.pop_back();
      count.pop_back();
    }
  }
  std::vector<double> out;
  out.reserve(y.size());
  for (size_t b = 0; b < mean.size(); ++b) out.insert(out.end(), count[b], mean[b]);
  return out;
}

std::vector<ThresholdInterval> threshold_intervals(const std::vector<double>& bers,
                                                   const std::vector<std::vector<double>>& errors,
                                                   double baseline,
                                                   const std::vector<double>& levels,
                                                   const BootstrapOptions& options) {
  std::vector<double> bounds;
  bounds.reserve(levels.size());
  for (double level : levels) bounds.push_back(baseline * (1.0 + level / 100.0));
  return threshold_intervals_at(bers, errors, bounds, options);
}

std::vector<ThresholdInterval> threshold_intervals_at(
    const std::vector<double>& bers, const std::vector<std::vector<double>>& errors,
    const std::vector<double>& bounds, const BootstrapOptions& options) {
  const size_t B = bers.size();
  ARES_CHECK(B > 0 && errors.size() == B,
             "threshold interval: need equally many BERs and trial "
             "lists, got ",
             B, " and ", errors.size());
  for (size_t b = 0; b < B; ++b) {
    ARES_CHECK(!errors[b].empty(), "threshold interval: no trials at BER ", bers[b]);
    ARES_CHECK(b == 0 || bers[b] > bers[b - 1], "threshold interval: BERs must ascend");
  }
  ARES_CHECK(options.resamples >= 1, "threshold interval: resamples must be >= 1");
  ARES_CHECK(options.confidence > 0 && options.confidence < 1,
             "threshold interval: confidence must be in (0, 1), got ", options.confidence);
  std::vector<double> weights(B);
  for (size_t b = 0; b < B; ++b) weights[b] = double(errors[b].size());
  std::vector<double> observed(B);
  for (size_t b = 0; b < B; ++b) {
    double sum = 0;
    for (double e : errors[b]) sum += e;
    observed[b] = sum / double(errors[b].size());
  }
  const auto fit_all = monotone_fit(observed, weights);
  // index[l][r]: the fitted curve's threshold index at level l in resample r; above[l][r].
  const size_t L = bounds.size(), R = size_t(options.resamples);
  std::vector<std::vector<int>> index(L, std::vector<int>(R));
  std::vector<std::vector<char>> above(L, std::vector<char>(R));
  std::vector<std::vector<double>> crossing(L, std::vector<double>(R));
  Rng rng{options.seed};
  std::vector<double> means(B);
  for (size_t r = 0; r < R; ++r) {
    for (size_t b = 0; b < B; ++b) {
      const auto& e = errors[b];
      double sum = 0;
      for (size_t t = 0; t < e.size(); ++t) sum += e[rng.below(e.size())];
      means[b] = sum / double(e.size());
    }
    const auto fit = monotone_fit(means, weights);
    for (size_t l = 0; l < L; ++l) {
      bool a = false;
      index[l][r] = threshold_index(fit, bounds[l], &a);
      above[l][r] = a;
      crossing[l][r] = log_crossing(bers, fit, bounds[l]);
    }
  }
  // The quantiles of the resampled thresholds; "above the grid" ranks above the last point.
  const double alpha = 1.0 - options.confidence;
  std::vector<ThresholdInterval> out;
  for (size_t l = 0; l < L; ++l) {
    std::vector<int> rank(R);
    for (size_t r = 0; r < R; ++r) rank[r] = index[l][r] + (above[l][r] ? 1 : 0);
    std::sort(rank.begin(), rank.end());
    auto quantile = [&](double q) {
      const size_t i = std::min(R - 1, size_t(std::floor(q * double(R - 1) + 0.5)));
      const int k = rank[i];
      const bool is_above = k == int(B);
      return at_index(bers, is_above ? int(B) - 1 : k, is_above);
    };
    ThresholdInterval iv;
    iv.lo = quantile(alpha / 2);
    iv.hi = quantile(1 - alpha / 2);
    bool a = false;
    const int k = threshold_index(fit_all, bounds[l], &a);
    iv.fitted = at_index(bers, k, a);
    iv.log_crossing = log_crossing(bers, fit_all, bounds[l]);
    double mean = 0, var = 0;
    for (double y : crossing[l]) mean += y;
    mean /= double(R);
    for (double y : crossing[l]) var += (y - mean) * (y - mean);
    iv.log_var = var / double(R);
    out.push_back(iv);
  }
  return out;
}

std::vector<RatioInterval> ratio_intervals(const std::vector<RatioPair>& pairs,
                                           const BootstrapOptions& options) {
  if (pairs.empty()) return {};
  const size_t L = pairs[0].num_bounds.size();
  for (const RatioPair& p : pairs) {
    ARES_CHECK(p.bers && p.num && p.den, "ratio interval: a pair without its curves");
    const size_t B = p.bers->size();
    ARES_CHECK(B > 0 && p.num->size() == B && p.den->size() == B,
               "ratio interval: need equally many BERs and trial lists on both sides");
    ARES_CHECK(p.num_bounds.size() == L && p.den_bounds.size() == L,
               "ratio interval: every pair needs the same levels on both sides");
    for (size_t b = 0; b < B; ++b) {
      ARES_CHECK(!(*p.num)[b].empty() && !(*p.den)[b].empty(), "ratio interval: no trials at BER ",
                 (*p.bers)[b]);
      ARES_CHECK(!p.paired || (*p.num)[b].size() == (*p.den)[b].size(),
                 "ratio interval: paired curves need equally many trials at BER ", (*p.bers)[b]);
    }
  }
  ARES_CHECK(options.resamples >= 1, "ratio interval: resamples must be >= 1");
  ARES_CHECK(options.confidence > 0 && options.confidence < 1,
             "ratio interval: confidence must be in (0, 1), got ", options.confidence);
  // Each side's mean curve over trial indices `pick` (identity when empty), fitted monotone.
  auto fitted = [](const std::vector<std::vector<double>>& errors,
                   const std::vector<std::vector<size_t>>& pick) {
    std::vector<double> mean(errors.size()), weight(errors.size());
    for (size_t b = 0; b < errors.size(); ++b) {
      const auto& e = errors[b];
      double sum = 0;
      for (size_t t = 0; t < e.size(); ++t) sum += e[pick.empty() ? t : pick[b][t]];
      mean[b] = sum / double(e.size());
      weight[b] = double(e.size());
    }
    return monotone_fit(mean, weight);
  };
  auto draw = [](Rng& rng, const std::vector<std::vector<double>>& errors) {
    std::vector<std::vector<size_t>> pick(errors.size());
    for (size_t b = 0; b < errors.size(); ++b) {
      pick[b].resize(errors[b].size());
      for (auto& i : pick[b]) i = rng.below(errors[b].size());
    }
    return pick;
  };
  // Mean over pairs of crossing(num) - crossing(den), per level.
  auto mean_log_ratio = [&](const std::vector<std::vector<double>>& fit_num,
                            const std::vector<std::vector<double>>& fit_den) {
    std::vector<double> m(L, 0.0);
    for (size_t i = 0; i < pairs.size(); ++i) {
      for (size_t l = 0; l < L; ++l) {
        m[l] += log_crossing(*pairs[i].bers, fit_num[i], pairs[i].num_bounds[l]) -
                log_crossing(*pairs[i].bers, fit_den[i], pairs[i].den_bounds[l]);
      }
    }
    for (double& v : m) v /= double(pairs.size());
    return m;
  };
  std::vector<RatioInterval> out(L);
  std::vector<std::vector<double>> fit_num, fit_den;
  for (const RatioPair& p : pairs) {
    fit_num.push_back(fitted(*p.num, {}));
    fit_den.push_back(fitted(*p.den, {}));
  }
  const auto point = mean_log_ratio(fit_num, fit_den);
  for (size_t l = 0; l < L; ++l) {
    out[l].pairs = int(pairs.size());
    out[l].ratio = std::exp(point[l]);
    for (size_t i = 0; i < pairs.size(); ++i) {
      const auto& bers = *pairs[i].bers;
      for (double c : {log_crossing(bers, fit_num[i], pairs[i].num_bounds[l]),
                       log_crossing(bers, fit_den[i], pairs[i].den_bounds[l])}) {
        out[l].censored =
            out[l].censored || c == std::log(bers.front()) || c == std::log(bers.back());
      }
    }
  }
  const size_t R = size_t(options.resamples);
  std::vector<std::vector<double>> resampled(L, std::vector<double>(R));
  Rng rng{options.seed};
  for (size_t r = 0; r < R; ++r) {
    for (size_t i = 0; i < pairs.size(); ++i) {
      const auto pick_num = draw(rng, *pairs[i].num);
      fit_num[i] = fitted(*pairs[i].num, pick_num);
      fit_den[i] = fitted(*pairs[i].den, pairs[i].paired ? pick_num : draw(rng, *pairs[i].den));
    }
    const auto m = mean_log_ratio(fit_num, fit_den);
    for (size_t l = 0; l < L; ++l) resampled[l][r] = m[l];
  }
  const double alpha = 1.0 - options.confidence;
  for (size_t l = 0; l < L; ++l) {
    auto& v = resampled[l];
    std::sort(v.begin(), v.end());
    auto quantile = [&](double q) {
      return v[std::min(R - 1, size_t(std::floor(q * double(R - 1) + 0.5)))];
    };
    out[l].lo = std::exp(quantile(alpha / 2));
    out[l].hi = std::exp(quantile(1 - alpha / 2));
  }
  return out;
}

namespace {

// ln Gamma by Lanczos (g = 7, n = 9): 15 digits for x > 0.
double log_gamma(double x) {
  static const double c[] = {0.99999999999980993,  676.5203681218851,     -1259.1392167224028,
                             771.32342877765313,   -176.61502916214059,   12.507343278686905,
                             -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7};
  if (x < 0.5) return std::log(M_PI / std::sin(M_PI * x)) - log_gamma(1 - x);
  x -= 1;
  double a = c[0];
  const double t = x + 7.5;
  for (int i = 1; i < 9; ++i) a += c[i] / (x + i);
  return 0.5 * std::log(2 * M_PI) + (x + 0.5) * std::log(t) - t + std::log(a);
}

// Regularised upper incomplete gamma Q(s, x): the series below s + 1, Lentz's continued
// fraction above (Numerical Recipes' gammq).
double gamma_q(double s, double x) {
  if (x <= 0) return 1.0;
  const double lg = log_gamma(s);
  if (x < s + 1) {
    double sum = 1.0 / s, term = sum;
    for (int n = 1; n < 1000 && std::abs(term) > std::abs(sum) * 1e-16; ++n) {
      term *= x / (s + n);
      sum += term;
    }
    return 1.0 - sum * std::exp(-x + s * std::log(x) - lg);
  }
  const double tiny = 1e-300;
  double b = x + 1 - s, c = 1 / tiny, d = 1 / b, h = d;
  for (int i = 1; i < 1000; ++i) {
    const double an = -i * (i - s);
    b += 2;
    d = an * d + b;
    if (std::abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (std::abs(c) < tiny) c = tiny;
    d = 1 / d;
    const double del = d * c;
    h *= del;
    if (std::abs(del - 1) < 1e-16) break;
  }
  return std::exp(-x + s * std::log(x) - lg) * h;
}

// The generalised Q of the random-effects model at between-variance tau2.
double q_at(const std::vector<double>& y, const std::vector<double>& v, double tau2) {
  double sw = 0, swy = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    sw += 1 / (v[i] + tau2);
    swy += y[i] / (v[i] + tau2);
  }
  const double mean = swy / sw;
  double q = 0;
  for (size_t i = 0; i < y.size(); ++i) q += (y[i] - mean) * (y[i] - mean) / (v[i] + tau2);
  return q;
}

// The tau2 >= 0 at which q_at falls to `target` (q_at decreases in tau2); 0 when it is below
// the target already at 0.
double tau2_for_q(const std::vector<double>& y, const std::vector<double>& v, double target) {
  if (q_at(y, v, 0) <= target) return 0;
  double lo = 0, hi = 1;
  while (q_at(y, v, hi) > target && hi < 1e6) hi *= 2;
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    (q_at(y, v, mid) > target ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

}  // namespace

double chi_square_upper(double x, double df) { return gamma_q(df / 2, x / 2); }

double chi_square_quantile(double p, double df) {
  double lo = 0, hi = std::max(1.0, df);
  while (1 - chi_square_upper(hi, df) < p) hi *= 2;
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    (1 - chi_square_upper(mid, df) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

SpreadSplit split_spread(const std::vector<double>& log_crossings,
                         const std::vector<double>& log_vars) {
  ARES_CHECK(log_crossings.size() == log_vars.size(), "spread split: ", log_crossings.size(),
             " thresholds but ", log_vars.size(), " variances");
  SpreadSplit s;
  s.n = int(log_crossings.size());
  if (s.n < 2) return s;
  std::vector<double> y, v;
  for (size_t i = 0; i < log_crossings.size(); ++i) {
    ARES_CHECK(std::isfinite(log_crossings[i]) && std::isfinite(log_vars[i]),
               "spread split: threshold or variance is not finite");
    y.push_back(log_crossings[i]);
    // A curve every resample crosses at the same place has no sampling variance; a tiny floor
    // keeps Cochran's weights finite.
    v.push_back(std::max(log_vars[i], 1e-12));
  }
  double mean = 0;
  for (double x : y) mean += x;
  mean /= double(s.n);
  for (double x : y) s.observed += (x - mean) * (x - mean);
  s.observed /= double(s.n - 1);
  for (double x : v) s.within += x;
  s.within /= double(s.n);
  s.between = s.observed - s.within;
  s.observed_geo_std = std::exp(std::sqrt(s.observed));
  // Paule-Mandel: the tau^2 at which the generalised Q equals its expectation, df; it lies
  // inside the Q-profile interval below by construction.
  s.corrected_geo_std = std::exp(std::sqrt(tau2_for_q(y, v, double(s.n - 1))));
  const double df = double(s.n - 1);
  s.q = q_at(y, v, 0);
  s.p_value = chi_square_upper(s.q, df);
  s.corrected_lo = std::exp(std::sqrt(tau2_for_q(y, v, chi_square_quantile(0.975, df))));
  s.corrected_hi = std::exp(std::sqrt(tau2_for_q(y, v, chi_square_quantile(0.025, df))));
  return s;
}

bool below_resolution(double baseline, int64_t samples, double level) {
  return baseline * level / 100.0 * double(samples) < kResolutionSamples;
}

double smallest_resolved_level(double baseline, int64_t samples) {
  if (!(baseline > 0) || samples <= 0) return std::numeric_limits<double>::infinity();
  return 100.0 * kResolutionSamples / (baseline * double(samples));
}

}  // namespace ares::analysis
