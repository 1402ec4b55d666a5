// Planning (analysis/plan.h): Leveugle et al.'s sample size against values computed from the
// formula by hand, and the trials-for-a-factor rule.

#include "ares/analysis/plan.h"

#include <gtest/gtest.h>

#include "ares/common/error.h"

namespace ares::analysis {
namespace {

TEST(PlanTest, NormalQuantile) {
  EXPECT_NEAR(normal_quantile_two_sided(0.95), 1.959964, 1e-6);
  EXPECT_NEAR(normal_quantile_two_sided(0.99), 2.575829, 1e-6);
  EXPECT_NEAR(normal_quantile_two_sided(0.6826894921), 1.0, 1e-6);
  EXPECT_THROW(normal_quantile_two_sided(1.0), InputError);
}

TEST(PlanTest, FaultSampleSizeFollowsLeveugle) {
  // N = 2,132,880 bits (mnist_fc in q2.6), e = 1%, 95%, p = 0.5:
  // n = N / (1 + 1e-4 (N - 1) / (1.959964^2 * 0.25)) = 9560.6 -> 9561.
  EXPECT_EQ(fault_sample_size(2132880, 0.01, 0.95, 0.5), 9561);
  // An infinite-population limit: t^2 p (1 - p) / e^2 = 9603.6 for N -> large.
  EXPECT_EQ(fault_sample_size(1e15, 0.01, 0.95, 0.5), 9604);
  // A small population needs nearly all of it: N = 100, e = 1%: 99.0 -> 99.
  EXPECT_EQ(fault_sample_size(100, 0.01, 0.95, 0.5), 99);
  // A rarer failure needs fewer: p = 0.1 at N = 1e6, e = 1%: 3445.4 -> 3446.
  EXPECT_EQ(fault_sample_size(1e6, 0.01, 0.95, 0.1), 3446);
  EXPECT_THROW(fault_sample_size(0, 0.01), InputError);
  EXPECT_THROW(fault_sample_size(100, 0), InputError);
  EXPECT_THROW(fault_sample_size(100, 0.01, 0.95, 1.5), InputError);
}

TEST(PlanTest, TrialsForAFactor) {
  // A pilot of 20 trials with hi/lo = 4: to reach 2, (ln 4 / ln 2)^2 = 4 times the trials.
  EXPECT_EQ(trials_for_factor(20, 1e-5, 4e-5, 2.0), 80);
  EXPECT_EQ(trials_for_factor(20, 1e-5, 1.5e-5, 2.0), 20);  // already within
  EXPECT_EQ(trials_for_factor(10, 1e-5, 1e-5, 1.25), 10);
  EXPECT_THROW(trials_for_factor(20, 0, 1e-5, 2.0), InputError);
  EXPECT_THROW(trials_for_factor(20, 1e-5, 2e-5, 1.0), InputError);
}

}  // namespace
}  // namespace ares::analysis
