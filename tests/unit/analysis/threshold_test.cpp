#include "ares/analysis/threshold.h"

#include <gtest/gtest.h>

#include <vector>

#include "ares/common/error.h"

namespace ares::analysis {
namespace {

using Status = Threshold::Status;

const std::vector<double> kBers = {1e-6, 1e-5, 1e-4, 1e-3};

TEST(ThresholdTest, MonotoneCurveStopsAtTheLastPointWithinTheBound) {
  // Baseline 0.10: +10% is 0.11. 0.105 is within, 0.12 is not.
  Threshold t = tolerable_ber(kBers, {0.10, 0.105, 0.12, 0.5}, 0.10, 10);
  EXPECT_EQ(t.status, Status::kWithin);
  EXPECT_EQ(t.ber, 1e-5);
  // +1% (0.101): the second point already exceeds it.
  t = tolerable_ber(kBers, {0.10, 0.105, 0.12, 0.5}, 0.10, 1);
  EXPECT_EQ(t.ber, 1e-6);
  EXPECT_EQ(t.status, Status::kWithin);
}

TEST(ThresholdTest, PointsEqualToTheBoundAreWithin) {
  Threshold t = tolerable_ber(kBers, {0.10, 0.11, 0.11, 0.2}, 0.10, 10);
  EXPECT_EQ(t.ber, 1e-4);
}

TEST(ThresholdTest, ReCrossingCurveKeepsTheFirstCrossing) {
  // Crosses at 1e-5, dips back under at 1e-4, crosses again: the threshold is 1e-6.
  Threshold t = tolerable_ber(kBers, {0.10, 0.13, 0.10, 0.5}, 0.10, 10);
  EXPECT_EQ(t.status, Status::kWithin);
  EXPECT_EQ(t.ber, 1e-6);
  // Dips back under and stays under: still the first crossing, not above the grid.
  t = tolerable_ber(kBers, {0.10, 0.13, 0.10, 0.10}, 0.10, 10);
  EXPECT_EQ(t.status, Status::kWithin);
  EXPECT_EQ(t.ber, 1e-6);
}

TEST(ThresholdTest, FlatCurveIsAboveTheGrid) {
  Threshold t = tolerable_ber(kBers, {0.10, 0.10, 0.10, 0.10}, 0.10, 0.5);
  EXPECT_EQ(t.status, Status::kAboveGrid);
  EXPECT_EQ(t.ber, 1e-3);
  EXPECT_EQ(t.to_string(), ">=1.0e-03");
  // A perfect model stays perfect: bound 0, errors 0.
  t = tolerable_ber(kBers, {0, 0, 0, 0}, 0.0, 10);
  EXPECT_EQ(t.status, Status::kAboveGrid);
}

TEST(ThresholdTest, CurveThatNeverCrossesIsAboveTheGrid) {
  Threshold t = tolerable_ber(kBers, {0.10, 0.101, 0.104, 0.109}, 0.10, 10);
  EXPECT_EQ(t.status, Status::kAboveGrid);
  EXPECT_EQ(t.ber, 1e-3);
}

TEST(ThresholdTest, CurveAboveTheBoundFromTheStartIsBelowTheGrid) {
  Threshold t = tolerable_ber(kBers, {0.2, 0.3, 0.4, 0.5}, 0.10, 10);
  EXPECT_EQ(t.status, Status::kBelowGrid);
  EXPECT_EQ(t.ber, 1e-6);
  EXPECT_EQ(t.to_string(), "<1.0e-06");
  // A perfect baseline: any error at all exceeds +X% of 0.
  t = tolerable_ber(kBers, {0.01, 0.3, 0.4, 0.5}, 0.0, 10);
  EXPECT_EQ(t.status, Status::kBelowGrid);
}

TEST(ThresholdTest, AbsoluteBaselineGivesMoreRoomToBetterInstances) {
  // Own baseline 0.10 (relative bound 0.11); worst instance 0.12 (absolute bound 0.132).
  std::vector<double> e = {0.10, 0.115, 0.13, 0.5};
  EXPECT_EQ(tolerable_ber(kBers, e, 0.10, 10).ber, 1e-6);
  EXPECT_EQ(tolerable_ber(kBers, e, 0.12, 10).ber, 1e-4);
}

TEST(ThresholdTest, SeveralLevelsInOrder) {
  auto ts = tolerable_bers(kBers, {0.10, 0.1008, 0.104, 0.2}, 0.10, {0.5, 1, 5, 10});
  ASSERT_EQ(ts.size(), 4u);
  EXPECT_EQ(ts[0].ber, 1e-6);
  EXPECT_EQ(ts[1].ber, 1e-5);
  EXPECT_EQ(ts[2].ber, 1e-4);
  EXPECT_EQ(ts[3].ber, 1e-4);
  EXPECT_EQ(default_levels(), (std::vector<double>{0.5, 1, 5, 10}));
}

TEST(ThresholdTest, SinglePointGrid) {
  EXPECT_EQ(tolerable_ber({1e-3}, {0.1}, 0.1, 1).status, Status::kAboveGrid);
  EXPECT_EQ(tolerable_ber({1e-3}, {0.2}, 0.1, 1).status, Status::kBelowGrid);
}

TEST(ThresholdTest, BadInputThrows) {
  EXPECT_THROW(tolerable_ber({}, {}, 0.1, 1), InputError);
  EXPECT_THROW(tolerable_ber({1e-6, 1e-5}, {0.1}, 0.1, 1), InputError);
  EXPECT_THROW(tolerable_ber({1e-5, 1e-6}, {0.1, 0.1}, 0.1, 1), InputError);
  EXPECT_THROW(tolerable_ber({1e-5, 1e-5}, {0.1, 0.1}, 0.1, 1), InputError);
}

TEST(ThresholdTest, StatusNamesRoundTrip) {
  for (Status s : {Status::kWithin, Status::kBelowGrid, Status::kAboveGrid}) {
    EXPECT_EQ(parse_status(to_string(s)), s);
  }
  EXPECT_STREQ(to_string(Status::kBelowGrid), "below_grid");
  EXPECT_THROW(parse_status("nope"), InputError);
}

}  // namespace
}  // namespace ares::analysis
