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
