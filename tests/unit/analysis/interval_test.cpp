// Threshold intervals (analysis/interval.h): the monotone fit is exact on small cases, the
// intervals are reproducible, and on a model whose true error curve is known they cover the
// true threshold at least at their stated 95% rate.

#include "ares/analysis/interval.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "ares/common/error.h"

namespace ares::analysis {
namespace {

TEST(MonotoneFitTest, PoolsAdjacentViolators) {
  EXPECT_EQ(monotone_fit({1, 2, 3}, {1, 1, 1}), (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(monotone_fit({3, 1}, {1, 1}), (std::vector<double>{2, 2}));
  EXPECT_EQ(monotone_fit({3, 1}, {1, 3}), (std::vector<double>{1.5, 1.5}));
  EXPECT_EQ(monotone_fit({1, 4, 2, 3, 5}, {1, 1, 1, 1, 1}), (std::vector<double>{1, 3, 3, 3, 5}));
  EXPECT_EQ(monotone_fit({5, 4, 3}, {1, 1, 1}), (std::vector<double>{4, 4, 4}));
  EXPECT_TRUE(monotone_fit({}, {}).empty());
}

// A curve far from its bound: every resample agrees, the interval is the threshold itself.
TEST(ThresholdIntervalTest, ClearCurvesGiveThePointAndAreReproducible) {
  const std::vector<double> bers = {1e-6, 1e-5, 1e-4, 1e-3};
  const std::vector<std::vector<double>> errors = {
      {0.10, 0.10, 0.10}, {0.10, 0.1001, 0.10}, {0.30, 0.40, 0.35}, {0.8, 0.9, 0.85}};
  const auto iv = threshold_intervals(bers, errors, 0.10, {1.0, 1000.0, -50.0});
  ASSERT_EQ(iv.size(), 3u);
  EXPECT_EQ(iv[0].lo.ber, 1e-5);
  EXPECT_EQ(iv[0].hi.ber, 1e-5);
  EXPECT_EQ(iv[0].lo.status, Threshold::Status::kWithin);
  EXPECT_EQ(iv[1].lo.status, Threshold::Status::kAboveGrid);  // +1000%: never crossed
  EXPECT_EQ(iv[2].hi.status, Threshold::Status::kBelowGrid);  // below the baseline at once
  const auto again = threshold_intervals(bers, errors, 0.10, {1.0});
  EXPECT_EQ(again[0].lo.ber, iv[0].lo.ber);
  EXPECT_THROW(threshold_intervals(bers, {{0.1}}, 0.1, {1.0}), InputError);
  EXPECT_THROW(threshold_intervals(bers, {{0.1}, {}, {0.1}, {0.1}}, 0.1, {1.0}), InputError);
}

// The synthetic model: at grid point b every trial's error is Binomial(N, p_b) / N with p_b
// known; the true threshold at +1% is the last b with p_b <= 1.01 * p_0. p_b approaches the
// bound slowly, so that several grid points are in doubt with T = 20 trials. Over 400 seeded
// repetitions the 95% intervals must cover the true threshold at least 92.8% of the time (the
// lower end of 95% +- 2.2%, the binomial tolerance of 400 repetitions).
TEST(ThresholdIntervalTest, CoversTheTrueThresholdAtTheStatedRate) {
  const int B = 12, T = 20, reps = 400;
  const int64_t N = 10000;
  const double p0 = 0.1, level = 1.0;
  std::vector<double> bers, p;
  for (int b = 0; b < B; ++b) {
    bers.push_back(std::pow(10.0, -9 + 0.5 * b));
    p.push_back(p0 + 2e-4 * std::pow(1.6, b));  // crosses 1.01 * p0 = p0 + 1e-3 after b = 3
  }
  const double bound = p0 * (1 + level / 100);
  int truth = -1;
  while (truth + 1 < B && p[size_t(truth + 1)] <= bound) ++truth;
  ASSERT_EQ(truth, 3);
  int covered = 0, point_right = 0;
  double width = 0;
  for (int rep = 0; rep < reps; ++rep) {
    std::mt19937_64 gen(1000 + uint64_t(rep));
    std::vector<std::vector<double>> errors(B);
    std::vector<double> mean(B);
    for (int b = 0; b < B; ++b) {
      std::binomial_distribution<int64_t> draw(N, p[size_t(b)]);
      for (int t = 0; t < T; ++t) errors[size_t(b)].push_back(double(draw(gen)) / double(N));
      double s = 0;
      for (double e : errors[size_t(b)]) s += e;
      mean[size_t(b)] = s / T;
    }
    BootstrapOptions opt;
    opt.seed = uint64_t(rep) + 1;
    const auto iv = threshold_intervals(bers, errors, p0, {level}, opt)[0];
    const auto point = tolerable_ber(bers, mean, p0, level);
    auto index = [&](const Threshold& t) {
      if (t.status == Threshold::Status::kBelowGrid) return -1;
      return int(std::lround(std::log10(t.ber) * 2 + 18));
    };
    const int lo = index(iv.lo), hi = index(iv.hi);
    covered += lo <= truth && truth <= hi;
    point_right += index(point) == truth;
    width += hi - lo;
  }
  const double coverage = double(covered) / reps;
  std::printf("coverage %.3f, mean width %.2f grid steps, point estimate right %.3f\n", coverage,
              width / reps, double(point_right) / reps);
  EXPECT_GE(coverage, 0.928);
  // Not the whole grid either: the interval says something.
  EXPECT_LT(width / reps, 4.0);
}

}  // namespace
}  // namespace ares::analysis

namespace ares::analysis {
namespace {

// The synthetic curves of the coverage test above, shifted by `shift` grid points: p_b of the
// unshifted curve is p0 + 2e-4 * 1.6^b. Every trial's error is Binomial(N, p_b) / N.
std::vector<std::vector<double>> binomial_trials(std::mt19937_64& gen, int B, int T, double shift) {
  std::vector<std::vector<double>> errors(static_cast<size_t>(B));
  for (int b = 0; b < B; ++b) {
    std::binomial_distribution<int64_t> draw(10000, 0.1 + 2e-4 * std::pow(1.6, b - shift));
    for (int t = 0; t < T; ++t) errors[size_t(b)].push_back(double(draw(gen)) / 10000.0);
  }
  return errors;
}

RatioPair ratio_pair(const std::vector<double>& bers, const std::vector<std::vector<double>>& num,
                     const std::vector<std::vector<double>>& den, bool paired) {
  RatioPair p;
  p.bers = &bers;
  p.num = &num;
  p.den = &den;
  p.num_bounds = {0.101};
  p.den_bounds = {0.101};
  p.paired = paired;
  return p;
}

// A configuration paired with itself (the same trials on both sides) has ratio 1 in every
// resample; unpaired, the same data give an interval around 1. Bad inputs are named.
TEST(RatioIntervalTest, PairingCancelsSharedNoise) {
  std::vector<double> bers;
  for (int b = 0; b < 12; ++b) bers.push_back(std::pow(10.0, -9 + 0.5 * b));
  std::mt19937_64 gen(7);
  const auto errors = binomial_trials(gen, 12, 20, 0);
  const auto same = ratio_intervals({ratio_pair(bers, errors, errors, true)})[0];
  EXPECT_EQ(same.pairs, 1);
  EXPECT_DOUBLE_EQ(same.ratio, 1.0);
  EXPECT_DOUBLE_EQ(same.lo, 1.0);
  EXPECT_DOUBLE_EQ(same.hi, 1.0);
  EXPECT_FALSE(same.censored);
  const auto apart = ratio_intervals({ratio_pair(bers, errors, errors, false)})[0];
  EXPECT_DOUBLE_EQ(apart.ratio, 1.0);
  EXPECT_LT(apart.lo, 0.95);
  EXPECT_GT(apart.hi, 1.05);
  // Reproducible: the same seed, the same interval.
  EXPECT_EQ(ratio_intervals({ratio_pair(bers, errors, errors, false)})[0].lo, apart.lo);
  // A bound never crossed inside the grid: censored.
  auto never = ratio_pair(bers, errors, errors, false);
  never.num_bounds = {0.9};
  EXPECT_TRUE(ratio_intervals({never})[0].censored);
  auto short_side = errors;
  short_side[3].pop_back();
  EXPECT_THROW(ratio_intervals({ratio_pair(bers, short_side, errors, true)}), InputError);
  EXPECT_THROW(ratio_intervals({ratio_pair(bers, {{0.1}}, errors, false)}), InputError);
  EXPECT_TRUE(ratio_intervals({}).empty());
}

// Coverage on curves whose true ratio is known. (a) Independent draws, the numerator's curve
// the denominator's shifted by two grid points (a factor 10 in BER): the true ratio of the
// interpolated crossings is exactly 10. (b) Paired draws with a shared per-trial effect (the
// same chip), both sides of the same curve: the true ratio is 1, and pairing must narrow the
// interval against the same data resampled independently. Over 300 repetitions each interval
// must cover at least 92.4% of the time (the lower end of 95% +- 2.6%, the binomial tolerance
// of 300 repetitions).
TEST(RatioIntervalTest, CoversTheTrueRatioAndPairingNarrowsIt) {
  const int B = 12, T = 20, reps = 300;
  std::vector<double> bers;
  for (int b = 0; b < B; ++b) bers.push_back(std::pow(10.0, -9 + 0.5 * b));
  int covered_shift = 0, covered_paired = 0;
  double width_paired = 0, width_unpaired = 0;
  for (int rep = 0; rep < reps; ++rep) {
    std::mt19937_64 gen(5000 + uint64_t(rep));
    const auto den = binomial_trials(gen, B, T, 0);
    const auto num = binomial_trials(gen, B, T, 2);
    BootstrapOptions opt;
    opt.seed = uint64_t(rep) + 1;
    opt.resamples = 400;
    const auto shifted = ratio_intervals({ratio_pair(bers, num, den, false)}, opt)[0];
    covered_shift += shifted.lo <= 10.0 && 10.0 <= shifted.hi;
    // A chip effect shared by both configurations at trial t, plus each side's own noise.
    std::normal_distribution<double> z(0.0, 1.0);
    std::vector<std::vector<double>> a(static_cast<size_t>(B)), c(static_cast<size_t>(B));
    for (int b = 0; b < B; ++b) {
      const double p = 0.1 + 2e-4 * std::pow(1.6, b);
      for (int t = 0; t < T; ++t) {
        const double chip = 0.002 * z(gen);
        a[size_t(b)].push_back(p + chip + 0.0003 * z(gen));
        c[size_t(b)].push_back(p + chip + 0.0003 * z(gen));
      }
    }
    const auto paired = ratio_intervals({ratio_pair(bers, a, c, true)}, opt)[0];
    const auto unpaired = ratio_intervals({ratio_pair(bers, a, c, false)}, opt)[0];
    covered_paired += paired.lo <= 1.0 && 1.0 <= paired.hi;
    width_paired += std::log(paired.hi / paired.lo);
    width_unpaired += std::log(unpaired.hi / unpaired.lo);
  }
  std::printf(
      "ratio coverage: shifted %.3f, paired %.3f; mean ln(hi/lo) paired %.3f, "
      "unpaired %.3f\n",
      double(covered_shift) / reps, double(covered_paired) / reps, width_paired / reps,
      width_unpaired / reps);
  EXPECT_GE(double(covered_shift) / reps, 0.924);
  EXPECT_GE(double(covered_paired) / reps, 0.924);
  EXPECT_LT(width_paired, 0.5 * width_unpaired);
}

TEST(ChiSquareTest, KnownQuantilesAndTails) {
  EXPECT_NEAR(chi_square_upper(3.841459, 1), 0.05, 1e-6);
  EXPECT_NEAR(chi_square_upper(18.307038, 10), 0.05, 1e-6);
  EXPECT_NEAR(chi_square_upper(2.0, 2), std::exp(-1.0), 1e-12);  // df 2: exp(-x/2)
  EXPECT_NEAR(chi_square_quantile(0.975, 19), 32.852327, 1e-5);
  EXPECT_NEAR(chi_square_quantile(0.025, 19), 8.906516, 1e-5);
  EXPECT_NEAR(chi_square_upper(100.0, 3), 1.5e-21, 1e-22);
}

// Groups of 10 instances whose true curves are shifted along the BER axis by a normal offset
// of known standard deviation tau (in ln BER), with no spread (tau = 0) and with a geometric
// SD of 1.8 (tau = 0.6). Measured here: the bootstrap puts the sampling variance of a crossing
// 0.09-0.10 (ln units squared) above the spread of crossings over instances with equal true
// curves, so the moment estimate of the between-instance variance errs low by about that much:
// on the side of "no real spread". The test holds it to that: its mean over 60 groups within
// [tau^2 - 0.15, tau^2 + 0.03]; the test of "instances differ" rejects at most 15% of groups
// without spread (5% nominal; a loose Monte Carlo bound for 60 groups) and at least 60% with.
TEST(SpreadSplitTest, BetweenInstanceVarianceErrsLowByAStatedAmount) {
  const int B = 16, T = 20, n = 10, groups = 60;
  const int64_t N = 10000;
  const double step = std::log(10.0) / 4;  // four BERs a decade
  std::vector<double> bers;
  for (int b = 0; b < B; ++b) bers.push_back(1e-8 * std::exp(step * b));
  for (double tau : {0.0, 0.6}) {
    SCOPED_TRACE(tau);
    double sum_between = 0;
    int significant = 0;
    std::mt19937_64 gen(uint64_t(tau * 100) + 7);
    std::normal_distribution<double> offset(0.0, 1.0);
    for (int g = 0; g < groups; ++g) {
      std::vector<double> fitted, vars;
      for (int i = 0; i < n; ++i) {
        // The error excess grows as 1e-3 * BER / BER* around a threshold BER* near grid point 8.
        const double ln_star = std::log(bers[8]) + 0.37 * step + tau * offset(gen);
        std::vector<std::vector<double>> errors(B);
        for (int b = 0; b < B; ++b) {
          const double p = 0.1 + 1e-3 * std::exp(std::log(bers[size_t(b)]) - ln_star);
          std::binomial_distribution<int64_t> draw(N, std::min(p, 1.0));
          for (int t = 0; t < T; ++t) errors[size_t(b)].push_back(double(draw(gen)) / double(N));
        }
        BootstrapOptions opt;
        opt.resamples = 200;
        opt.seed = uint64_t(g * n + i) + 1;
        const auto iv = threshold_intervals(bers, errors, 0.1, {1.0}, opt)[0];
        fitted.push_back(iv.log_crossing);
        vars.push_back(iv.log_var);
      }
      const auto s = split_spread(fitted, vars);
      sum_between += s.between;
      significant += s.significant();
      EXPECT_LE(s.corrected_lo, s.corrected_geo_std * (1 + 1e-9));
      EXPECT_GE(s.corrected_hi, s.corrected_geo_std * (1 - 1e-9));
    }
    const double mean_between = sum_between / groups;
    std::printf("tau %.2f: mean between-variance %.4f (true %.4f), significant in %d of %d\n", tau,
                mean_between, tau * tau, significant, groups);
    EXPECT_GE(mean_between, tau * tau - 0.15);
    EXPECT_LE(mean_between, tau * tau + 0.03);
    if (tau == 0) {
      EXPECT_LE(significant, groups * 15 / 100);
    } else {
      EXPECT_GE(significant, groups * 60 / 100);
    }
  }
}

}  // namespace
}  // namespace ares::analysis
