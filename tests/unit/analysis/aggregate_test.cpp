#include "ares/analysis/aggregate.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "ares/common/error.h"
#include "fake_campaign.h"

namespace ares::analysis {
namespace {

using testing::FakeCampaign;
using testing::TempDir;
using testing::write_text;

// Two instances (clean errors 0.10 and 0.12), two encodings, mean errors per BER:
//   2c, instance 0: 0.10 0.108 0.20 0.90    sm, instance 0: 0.10 0.10 0.10  0.50
//   2c, instance 1: 0.12 0.13  0.50 0.90    sm, instance 1: 0.12 0.12 0.121 0.50
// Trials are mean -+ 0.002 except where the mean is the clean error.
FakeCampaign two_by_two() {
  FakeCampaign f;
  f.baseline = [](int i, int) { return i == 0 ? 0.10 : 0.12; };
  f.error = [](int i, int c, int b, int k) {
    static const double m[2][2][4] = {{{0.10, 0.108, 0.20, 0.90}, {0.10, 0.10, 0.10, 0.50}},
                                      {{0.12, 0.13, 0.50, 0.90}, {0.12, 0.12, 0.121, 0.50}}};
    double mean = m[i][c][b];
    bool clean = b == 0 || (c == 1 && b < 2) || (c == 1 && i == 0 && b == 2);
    return clean ? mean : mean + (k == 0 ? -0.002 : 0.002);
  };
  return f;
}

Analysis analyze_dir(const FakeCampaign& f, const std::string& dir) {
  f.write(dir);
  return analyze({load_campaign(dir)});
}

TEST(AggregateTest, CurvesHoldMeanMinMaxPerBer) {
  TempDir dir;
  Analysis a = analyze_dir(two_by_two(), dir.str());
  ASSERT_EQ(a.groups.size(), 2u);
  ASSERT_EQ(a.curves.size(), 4u);
  EXPECT_EQ(a.groups[0].key.config_label(), "q2.6-2c");
  EXPECT_EQ(a.groups[1].key.config_label(), "q2.6-sm");
  EXPECT_EQ(a.groups[0].key.subject(), "mnist_fc on fashion-mnist");
  const Curve& c = a.curves[a.groups[0].curves[1]];  // 2c, instance 1
  EXPECT_EQ(c.instance, 1);
  EXPECT_EQ(c.checkpoint, "ck,1.ckpt");
  EXPECT_EQ(c.baseline_error, 0.12);
  EXPECT_NEAR(c.errors[1].mean, 0.13, 1e-12);
  EXPECT_NEAR(c.errors[1].min, 0.128, 1e-12);
  EXPECT_NEAR(c.errors[1].max, 0.132, 1e-12);
  EXPECT_LT(c.errors[1].ci_low, 0.128);
  EXPECT_GT(c.errors[1].ci_high, 0.132);
  EXPECT_EQ(c.errors[0].ci_low, c.errors[0].ci_high);
  // Across instances at BER index 2 of 2c: instance means 0.20 and 0.50.
  EXPECT_NEAR(a.groups[0].across[2].mean, 0.35, 1e-12);
  EXPECT_NEAR(a.groups[0].across[2].min, 0.20, 1e-12);
  EXPECT_NEAR(a.groups[0].across[2].max, 0.50, 1e-12);
  EXPECT_EQ(a.levels, (std::vector<double>{0.5, 1, 5, 10}));
}

TEST(AggregateTest, RelativeAndAbsoluteThresholds) {
  TempDir dir;
  Analysis a = analyze_dir(two_by_two(), dir.str());
  const Group& g2c = a.groups[0];
  const Group& gsm = a.groups[1];
  EXPECT_EQ(g2c.worst_baseline, 0.12);
  EXPECT_EQ(gsm.worst_baseline, 0.12);
  const Curve& c0 = a.curves[g2c.curves[0]];
  const Curve& c1 = a.curves[g2c.curves[1]];
  const size_t k1 = 1, k10 = 3;  // +1%, +10%
  // Instance 0, 2c: +1% relative bound 0.101 (0.108 exceeds), absolute bound 0.1212.
  EXPECT_EQ(c0.thresholds[0][k1].ber, 1e-6);
  EXPECT_EQ(c0.thresholds[1][k1].ber, 1e-5);
  EXPECT_EQ(c0.thresholds[0][k10].ber, 1e-5);
  // Instance 1, 2c: its own baseline is the worst; both baselines agree.
  EXPECT_EQ(c1.thresholds[0][k1].ber, 1e-6);
  EXPECT_EQ(c1.thresholds[1][k1].ber, 1e-6);
  // Sign-magnitude: 1e-4 everywhere at +1%.
  for (size_t ci : gsm.curves) {
    EXPECT_EQ(a.curves[ci].thresholds[0][k1].ber, 1e-4);
    EXPECT_EQ(a.curves[ci].thresholds[1][k1].ber, 1e-4);
  }
}

TEST(AggregateTest, SpreadAndRatiosAcrossInstances) {
  TempDir dir;
  Analysis a = analyze_dir(two_by_two(), dir.str());
  const Group& g2c = a.groups[0];
  const Group& gsm = a.groups[1];
  const size_t k1 = 1;
  // Relative +1%: 2c {1e-6, 1e-6}, sm {1e-4, 1e-4}.
  EXPECT_NEAR(g2c.spread[0][k1].stats.geo_mean, 1e-6, 1e-18);
  EXPECT_NEAR(g2c.spread[0][k1].stats.geo_std, 1.0, 1e-12);
  // Absolute +1%: 2c {1e-5, 1e-6}: geometric mean sqrt(1e-11), max/min 10, gsd 10^(1/sqrt 2).
  const GeoStats& abs2c = g2c.spread[1][k1].stats;
  EXPECT_NEAR(abs2c.geo_mean, std::sqrt(1e-11), 1e-15);
  EXPECT_NEAR(abs2c.max_min_ratio, 10.0, 1e-9);
  EXPECT_NEAR(abs2c.geo_std, std::pow(10.0, 1 / std::sqrt(2.0)), 1e-9);
  // sm's reference is 2c; 2c has none.
  EXPECT_EQ(g2c.reference, -1);
  EXPECT_TRUE(g2c.ratio[0].empty());
  ASSERT_EQ(gsm.reference, 0);
  EXPECT_EQ(gsm.ratio[0][k1].pairs, 2);
  EXPECT_NEAR(gsm.ratio[0][k1].geo_mean, 100.0, 1e-9);
  // Absolute: per-instance ratios 10 and 100; geometric mean = ratio of geometric means.
  EXPECT_NEAR(gsm.ratio[1][k1].geo_mean, std::sqrt(1000.0), 1e-9);
  EXPECT_NEAR(gsm.ratio[1][k1].geo_mean,
              gsm.spread[1][k1].stats.geo_mean / g2c.spread[1][k1].stats.geo_mean, 1e-9);
  EXPECT_NEAR(gsm.ratio[1][k1].min, 10.0, 1e-9);
  EXPECT_NEAR(gsm.ratio[1][k1].max, 100.0, 1e-9);
  EXPECT_FALSE(a.per_bit);
  EXPECT_FALSE(a.per_target);
}

// Two encodings whose trials are equal trial by trial (the same chip, an encoding that does
// not matter): a campaign that paired its encodings resamples them together, so the ratio of
// the crossings is exactly 1 in every resample; an unpaired one draws them apart.
TEST(AggregateTest, RatioIntervalsArePairedWhenTheCampaignPairedItsEncodings) {
  FakeCampaign f;
  f.trials = 10;
  f.bers = {1e-6, 1e-5, 1e-4, 1e-3, 1e-2};
  f.error = [](int, int, int b, int k) {
    static const double mean[5] = {0.1, 0.1005, 0.1012, 0.103, 0.2};
    return b == 0 ? 0.1 : mean[b] + 0.001 * (k % 5 - 2);
  };
  for (const std::string pairing : {"paired", "independent"}) {
    f.pairing = pairing;
    TempDir dir;
    Analysis a = analyze_dir(f, dir.str());
    const Ratio& q = a.groups[1].ratio[0][1];  // relative baseline, +1%
    ASSERT_EQ(q.pairs, 2);
    EXPECT_EQ(q.paired, pairing == "paired");
    EXPECT_DOUBLE_EQ(q.interval.ratio, 1.0);
    if (q.paired) {
      EXPECT_DOUBLE_EQ(q.interval.lo, 1.0);
      EXPECT_DOUBLE_EQ(q.interval.hi, 1.0);
    } else {
      EXPECT_LT(q.interval.lo, 1.0);
      EXPECT_GT(q.interval.hi, 1.0);
    }
  }
}

TEST(AggregateTest, CensoredThresholdsAreCountedAndEnterAtTheGridEdge) {
  TempDir dir;
  FakeCampaign f;
  f.instances = 3;
  // Instance 0 never crosses, instance 1 crosses before the grid, instance 2 at 1e-5.
  f.error = [](int i, int, int b, int) {
    if (i == 0) return 0.1;
    if (i == 1) return 0.3;
    return b <= 1 ? 0.1 : 0.5;
  };
  Analysis a = analyze_dir(f, dir.str());
  const Spread& s = a.groups[0].spread[0][1];
  EXPECT_EQ(s.above_grid, 1);
  EXPECT_EQ(s.below_grid, 1);
  EXPECT_EQ(s.stats.max, 1e-3);
  EXPECT_EQ(s.stats.min, 1e-6);
  EXPECT_NEAR(s.stats.geo_mean, std::cbrt(1e-3 * 1e-6 * 1e-5), 1e-15);
}

TEST(AggregateTest, ExplicitLevelsOverrideTheCampaigns) {
  TempDir dir;
  two_by_two().write(dir.str());
  Analysis a = analyze({load_campaign(dir.str())}, {2.0});
  ASSERT_EQ(a.levels, std::vector<double>{2.0});
  EXPECT_EQ(a.curves[0].thresholds[0].size(), 1u);
  EXPECT_THROW(analyze({load_campaign(dir.str())}, {-1.0}), InputError);
  EXPECT_THROW(analyze({}), InputError);
}

TEST(AggregateTest, SingleBitConfigurationsAreFound) {
  TempDir dir;
  FakeCampaign f;
  f.configs = {{"q2.6-2c", "mask:0x7f"}, {"q2.6-2c", "mask:0xfe"}, {"q2.6-2c", "msb:1"}};
  Analysis a = analyze_dir(f, dir.str());
  ASSERT_EQ(a.groups.size(), 3u);
  EXPECT_TRUE(a.per_bit);
  EXPECT_EQ(a.groups[0].single_bit, 7);
  EXPECT_EQ(a.groups[0].bit_role, "sign");
  EXPECT_EQ(a.groups[1].single_bit, 0);
  EXPECT_EQ(a.groups[1].bit_role, "fraction");
  EXPECT_EQ(a.groups[2].single_bit, -1);
}

TEST(AggregateTest, CampaignsWithDifferentTargetsArePerTarget) {
  TempDir dir;
  FakeCampaign f;
  f.targets = {"fc1.*"};
  f.write(dir.sub("fc1"));
  f.targets = {"fc2.*"};
  f.error = [](int, int, int b, int) { return b >= 2 ? 0.5 : 0.1; };
  f.write(dir.sub("fc2"));
  Analysis a = analyze({load_campaign(dir.sub("fc1")), load_campaign(dir.sub("fc2"))});
  ASSERT_EQ(a.groups.size(), 4u);
  EXPECT_TRUE(a.per_target);
  EXPECT_EQ(a.groups[2].key.targets, "fc2.*");
  EXPECT_EQ(a.groups[2].key.subject(), "mnist_fc on fashion-mnist [fc2.*]");
  EXPECT_EQ(a.groups[0].spread[0][1].above_grid, 2);
  EXPECT_NEAR(a.groups[2].spread[0][1].stats.geo_mean, 1e-5, 1e-17);
  // References stay within a target set.
  EXPECT_EQ(a.groups[3].reference, 2);
}

TEST(AggregateTest, CampaignsWithTheSameTargetsPoolTheirInstances) {
  TempDir dir;
  FakeCampaign f;
  f.write(dir.sub("a"));
  f.write(dir.sub("b"));
  Analysis a = analyze({load_campaign(dir.sub("a")), load_campaign(dir.sub("b"))});
  ASSERT_EQ(a.groups.size(), 2u);
  EXPECT_EQ(a.groups[0].curves.size(), 4u);
  // Different BER grids cannot be pooled.
  f.bers = {1e-6, 1e-5, 1e-4};
  f.write(dir.sub("c"));
  EXPECT_THROW(analyze({load_campaign(dir.sub("a")), load_campaign(dir.sub("c"))}), InputError);
}

TEST(AggregateTest, IncompleteCampaignsAreRejected) {
  TempDir dir;
  two_by_two().write(dir.str());
  std::ifstream in(dir.str() + "/trials.csv");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  text.erase(text.rfind('\n', text.size() - 2) + 1);  // drop the last trial
  write_text(dir.str() + "/trials.csv", text);
  try {
    analyze({load_campaign(dir.str())});
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("incomplete campaign"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace ares::analysis
