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
  // index[l][r]: the fitted curve's threshold index at level l in resample r; above[l][r].
  const size_t L = levels.size(), R = size_t(options.resamples);
  std::vector<std::vector<int>> index(L, std::vector<int>(R));
  std::vector<std::vector<char>> above(L, std::vector<char>(R));
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
      index[l][r] = threshold_index(fit, baseline * (1.0 + levels[l] / 100.0), &a);
      above[l][r] = a;
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
    out.push_back({quantile(alpha / 2), quantile(1 - alpha / 2)});
  }
  return out;
}

bool below_resolution(double baseline, int64_t samples, double level) {
  return baseline * level / 100.0 * double(samples) < kResolutionSamples;
}

double smallest_resolved_level(double baseline, int64_t samples) {
  if (!(baseline > 0) || samples <= 0) return std::numeric_limits<double>::infinity();
  return 100.0 * kResolutionSamples / (baseline * double(samples));
}

}  // namespace ares::analysis
