#include "ares/analysis/stats.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "ares/common/error.h"

namespace ares::analysis {
namespace {

TEST(ErrorStatsTest, MeanMinMaxAndStudentInterval) {
  ErrorStats s = error_stats({0.1, 0.2, 0.3});
  EXPECT_EQ(s.n, 3);
  EXPECT_NEAR(s.mean, 0.2, 1e-15);
  EXPECT_EQ(s.min, 0.1);
  EXPECT_EQ(s.max, 0.3);
  EXPECT_NEAR(s.stddev, 0.1, 1e-15);
  // t(0.975, 2) = 4.3027; half width 4.3027 * 0.1 / sqrt(3) = 0.24842; the low end clips at 0.
  EXPECT_NEAR(s.ci_high, 0.2 + 4.3027 * 0.1 / std::sqrt(3.0), 1e-12);
  EXPECT_EQ(s.ci_low, 0.0);
}

TEST(ErrorStatsTest, IntervalClipsAtOneAndNarrowsWithTrials) {
  ErrorStats s = error_stats({0.8, 1.0});
  EXPECT_EQ(s.ci_high, 1.0);
  std::vector<double> many;
  for (int i = 0; i < 20; ++i) many.push_back(i % 2 ? 0.30 : 0.32);
  ErrorStats m = error_stats(many);
  EXPECT_NEAR(m.mean, 0.31, 1e-12);
  EXPECT_LT(m.ci_high - m.ci_low, 0.01);
  EXPECT_GT(m.ci_low, 0.30);
}

TEST(ErrorStatsTest, EqualTrialsGiveADegenerateInterval) {
  ErrorStats s = error_stats({0.1095, 0.1095, 0.1095});
  EXPECT_EQ(s.mean, 0.1095);  // exactly, not a rounded sum
  EXPECT_EQ(s.stddev, 0);
  EXPECT_EQ(s.ci_low, 0.1095);
  EXPECT_EQ(s.ci_high, 0.1095);
  ErrorStats one = error_stats({0.4});
  EXPECT_EQ(one.ci_low, 0.4);
  EXPECT_EQ(one.ci_high, 0.4);
  EXPECT_THROW(error_stats({}), InputError);
}

TEST(ErrorStatsTest, StudentQuantilesMatchTables) {
  EXPECT_NEAR(student_t_975(1), 12.7062, 1e-4);
  EXPECT_NEAR(student_t_975(19), 2.0930, 1e-4);
  EXPECT_NEAR(student_t_975(30), 2.0423, 1e-4);
  EXPECT_NEAR(student_t_975(40), 2.0211, 1e-4);
  EXPECT_NEAR(student_t_975(60), 2.0003, 1e-4);
  EXPECT_NEAR(student_t_975(120), 1.9799, 1e-4);
  EXPECT_NEAR(student_t_975(100000), 1.95996, 1e-4);
  // Decreasing in df.
  for (int df = 1; df < 200; ++df) EXPECT_GT(student_t_975(df), student_t_975(df + 1)) << df;
  EXPECT_THROW(student_t_975(0), InputError);
}

// The median of every order of small lists against the definition: the middle value of the
// sorted list, the mean of the middle two for an even count; NaN anywhere, or none, is NaN.
TEST(MedianTest, EveryOrderOfSmallLists) {
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<std::pair<std::vector<double>, double>> cases = {
      {{3.0}, 3.0},
      {{2.0, 1.0}, 1.5},
      {{5.0, 1.0, 3.0}, 3.0},
      {{4.0, 1.0, 3.0, 2.0}, 2.5},
      {{1.0, inf, 2.0}, 2.0},
      {{1.0, inf, inf}, inf},
      {{0.25, -1.0, 8.0, 0.5, 7.0}, 0.5}};
  for (const auto& [values, want] : cases) {
    std::vector<double> v = values;
    std::sort(v.begin(), v.end());
    do {
      EXPECT_EQ(median(v), want);
    } while (std::next_permutation(v.begin(), v.end()));
  }
  EXPECT_TRUE(std::isnan(median({})));
  EXPECT_TRUE(std::isnan(median({1.0, std::nan(""), 2.0})));
}

// Pooled: exp of the mean NLL; median: exp of the median NLL. An infinite NLL makes the
// pooled one infinite but not the median of three; a NaN (not recorded), or none, makes both
// NaN.
TEST(PerplexitiesTest, PooledAndMedianFromTheTrialsNlls) {
  const double inf = std::numeric_limits<double>::infinity();
  const auto p = perplexities({0.5, 2.0, 1.25});
  EXPECT_EQ(p.pooled, std::exp((0.5 + 2.0 + 1.25) / 3));
  EXPECT_EQ(p.median, std::exp(1.25));
  const auto q = perplexities({0.5, inf, 1.0});
  EXPECT_EQ(q.pooled, inf);
  EXPECT_EQ(q.median, std::exp(1.0));
  for (const auto& nan : {perplexities({1.0, std::nan("")}), perplexities({})}) {
    EXPECT_TRUE(std::isnan(nan.pooled));
    EXPECT_TRUE(std::isnan(nan.median));
  }
}

TEST(GeoStatsTest, KnownAnswers) {
  GeoStats g = geo_stats({1e-6, 4e-6});
  EXPECT_EQ(g.n, 2);
  EXPECT_NEAR(g.geo_mean, 2e-6, 1e-18);
  EXPECT_NEAR(g.max_min_ratio, 4.0, 1e-12);
  // ln values differ by ln 4; sample std = ln4 / sqrt(2); gsd = 4^(1/sqrt 2).
  EXPECT_NEAR(g.geo_std, std::pow(4.0, 1 / std::sqrt(2.0)), 1e-12);
  EXPECT_EQ(g.min, 1e-6);
  EXPECT_EQ(g.max, 4e-6);

  GeoStats h = geo_stats({1e-5, 1e-4, 1e-3});
  EXPECT_NEAR(h.geo_mean, 1e-4, 1e-16);
  EXPECT_NEAR(h.geo_std, 10.0, 1e-12);  // ln-spaced by ln 10, sample std exactly ln 10
  EXPECT_NEAR(h.max_min_ratio, 100.0, 1e-9);
}

TEST(GeoStatsTest, IdenticalValuesHaveNoSpread) {
  GeoStats g = geo_stats({3e-5, 3e-5, 3e-5, 3e-5});
  EXPECT_NEAR(g.geo_mean, 3e-5, 1e-18);
  EXPECT_NEAR(g.geo_std, 1.0, 1e-12);
  EXPECT_EQ(g.max_min_ratio, 1.0);
  GeoStats one = geo_stats({7e-4});
  EXPECT_EQ(one.geo_std, 1.0);
  EXPECT_NEAR(one.geo_mean, 7e-4, 1e-18);
}

TEST(GeoStatsTest, ScaleInvariant) {
  GeoStats a = geo_stats({1e-6, 3e-6, 2e-5});
  GeoStats b = geo_stats({1e-3, 3e-3, 2e-2});
  EXPECT_NEAR(a.geo_std, b.geo_std, 1e-12);
  EXPECT_NEAR(b.geo_mean / a.geo_mean, 1000.0, 1e-9);
}

TEST(GeoStatsTest, BadInputThrows) {
  EXPECT_THROW(geo_stats({}), InputError);
  EXPECT_THROW(geo_stats({1e-5, 0.0}), InputError);
  EXPECT_THROW(geo_stats({-1e-5}), InputError);
  EXPECT_THROW(geo_stats({std::nan("")}), InputError);
}

}  // namespace
}  // namespace ares::analysis
