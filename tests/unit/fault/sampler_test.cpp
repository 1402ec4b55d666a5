#include "ares/fault/sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <vector>

#include "ares/common/error.h"
#include "ares/fault/protection.h"
#include "ares/format/format.h"
#include "stats.h"

namespace ares::fault {
namespace {

using testing::binomial_mu4;
using testing::binomial_var;
using testing::chi2_critical;
using testing::chi2_statistic;
using testing::z_scores;

constexpr uint64_t kSeeds[] = {7, 8, 9};

// Checks the documented invariants of a plan: sorted by (index, bit), distinct, in range, and
// only on faultable bits.
void expect_valid_plan(const std::vector<Flip>& flips, uint64_t n_values, uint32_t mask) {
  for (std::size_t i = 0; i < flips.size(); ++i) {
    ASSERT_LT(flips[i].index, n_values);
    ASSERT_LT(flips[i].bit, 32u);
    ASSERT_TRUE(mask & (1u << flips[i].bit)) << "bit " << flips[i].bit << " is not faultable";
    if (i > 0) {
      ASSERT_TRUE(flips[i - 1] < flips[i]) << "not strictly increasing at " << i;
    }
  }
}

TEST(SamplerTest, SemanticsNames) {
  EXPECT_EQ(parse_semantics("bernoulli"), Semantics::kBernoulli);
  EXPECT_EQ(parse_semantics("exact"), Semantics::kExact);
  EXPECT_STREQ(to_string(Semantics::kBernoulli), "bernoulli");
  EXPECT_STREQ(to_string(Semantics::kExact), "exact");
  EXPECT_THROW(parse_semantics("poisson"), InputError);
  EXPECT_THROW(parse_semantics(""), InputError);
}

TEST(SamplerTest, FlipsAreDistinctSortedAndFaultable) {
  // Masks of several shapes, BERs in both sampling regimes (sparse and selection).
  for (uint32_t mask : {0xFFu, 0x7Fu, 0xA5u, 0x8001u, 0xFFFFFFFFu, 0x80000000u}) {
    for (double ber : {1e-3, 0.05, 0.3, 0.9}) {
      for (uint64_t seed : kSeeds) {
        SCOPED_TRACE(::testing::Message() << "mask " << mask << " ber " << ber << " seed " << seed);
        Rng rng(stream_key(seed, {mask}));
        const auto flips = sample_flips(rng, 3000, mask, ber, Semantics::kBernoulli);
        expect_valid_plan(flips, 3000, mask);
      }
    }
  }
}

TEST(SamplerTest, SameKeySamePlanDifferentKeysDiffer) {
  const auto plan = [](uint64_t trial) {
    Rng rng(stream_key(1, {0, 3, trial}));
    return sample_flips(rng, 266610, 0xFF, 1e-4, Semantics::kBernoulli);
  };
  const auto a = plan(0);
  EXPECT_GT(a.size(), 100u);
  EXPECT_EQ(a, plan(0));
  EXPECT_NE(a, plan(1));
  EXPECT_NE(plan(1), plan(2));
}

struct CountCase {
  uint64_t n_values;
  int width;
  double ber;
};

TEST(SamplerTest, BernoulliCountIsBinomial) {
  // Plan sizes of 2000 plans per seed against Binomial(n_values * width, ber): |z| < 5 on the
  // mean and the variance. (10, 8, 0.5) takes the selection-sampling path.
  const CountCase cases[] = {{266610, 8, 1e-5}, {1000, 16, 1e-2}, {10, 8, 0.5}};
  for (const CountCase& c : cases) {
    const uint32_t mask = c.width == 32 ? 0xFFFFFFFFu : (1u << c.width) - 1;
    const double bits = static_cast<double>(c.n_values) * c.width;
    for (uint64_t seed : kSeeds) {
      SCOPED_TRACE(::testing::Message() << "n " << c.n_values << " width " << c.width << " ber "
                                        << c.ber << " seed " << seed);
      std::vector<double> counts;
      for (uint64_t trial = 0; trial < 2000; ++trial) {
        Rng rng(stream_key(seed, {c.n_values, trial}));
        counts.push_back(static_cast<double>(
            sample_flips(rng, c.n_values, mask, c.ber, Semantics::kBernoulli).size()));
      }
      const auto z =
          z_scores(counts, bits * c.ber, binomial_var(bits, c.ber), binomial_mu4(bits, c.ber));
      EXPECT_LT(std::fabs(z.mean), 5.0);
      EXPECT_LT(std::fabs(z.var), 5.0);
    }
  }
}

TEST(SamplerTest, PositionsAreUniformOverValues) {
  // 1000 values in 20 buckets of 50; 500 plans of ~80 flips each: ~2000 flips per bucket.
  for (uint64_t seed : kSeeds) {
    SCOPED_TRACE(seed);
    std::vector<double> observed(20, 0.0);
    double total = 0;
    for (uint64_t trial = 0; trial < 500; ++trial) {
      Rng rng(stream_key(seed, {trial}));
      for (const Flip& f : sample_flips(rng, 1000, 0xFF, 0.01, Semantics::kBernoulli)) {
        observed[f.index / 50] += 1;
        total += 1;
      }
    }
    const std::vector<double> expected(20, total / 20);
    EXPECT_LT(chi2_statistic(observed, expected), chi2_critical(19));
  }
}

TEST(SamplerTest, PositionsAreUniformOverFaultableBits) {
  // fp16 with the sign and the top exponent bit protected (msb:2): 14 faultable bits, and the
  // sparse 0x8421 mask: 4 faultable bits. Every faultable bit equally likely.
  for (uint32_t mask : {0x3FFFu, 0x8421u}) {
    const int k = __builtin_popcount(mask);
    for (uint64_t seed : kSeeds) {
      SCOPED_TRACE(::testing::Message() << "mask " << mask << " seed " << seed);
      std::vector<double> per_bit(32, 0.0);
      double total = 0;
      for (uint64_t trial = 0; trial < 300; ++trial) {
        Rng rng(stream_key(seed, {mask, trial}));
        for (const Flip& f : sample_flips(rng, 2000, mask, 0.005, Semantics::kBernoulli)) {
          per_bit[f.bit] += 1;
          total += 1;
        }
      }
      std::vector<double> observed;
      for (int b = 0; b < 32; ++b) {
        if (mask & (1u << b)) {
          observed.push_back(per_bit[b]);
        } else {
          EXPECT_EQ(per_bit[b], 0.0) << "protected bit " << b << " flipped";
        }
      }
      const std::vector<double> expected(k, total / k);
      EXPECT_LT(chi2_statistic(observed, expected), chi2_critical(k - 1));
    }
  }
}

TEST(SamplerTest, ProtectedBitsNeverFlip) {
  const format::Format q = format::Format::parse("q2.6-sm");
  const format::Format h = format::Format::parse("fp16");
  for (const char* spec : {"sign", "msb:2", "mask:0x81", "bits:0,3,6"}) {
    const Protection p = Protection::parse(spec);
    for (const format::Format& fmt : {q, h}) {
      const uint32_t faultable = p.faultable_mask(fmt);
      const uint32_t protected_bits = p.protected_mask(fmt);
      for (double ber : {0.01, 0.5, 1.0}) {
        SCOPED_TRACE(::testing::Message() << spec << " " << fmt.spec() << " ber " << ber);
        Rng rng(stream_key(3, {faultable}));
        const auto flips = sample_flips(rng, 500, faultable, ber, Semantics::kBernoulli);
        expect_valid_plan(flips, 500, faultable);
        for (const Flip& f : flips) ASSERT_FALSE(protected_bits & (1u << f.bit));
        if (ber == 1.0) {
          EXPECT_EQ(flips.size(), 500u * static_cast<uint64_t>(__builtin_popcount(faultable)));
        }
      }
    }
  }
}

TEST(SamplerTest, ExactGivesRoundedCount) {
  struct Exact {
    uint64_t n_values;
    uint32_t mask;
    double ber;
    uint64_t expected;
  };
  const Exact cases[] = {
      {266610, 0xFF, 1e-5, 21},   // 21.3288 flips
      {266610, 0xFF, 1e-7, 0},    // 0.213
      {266610, 0x7F, 1e-4, 187},  // 186.627
      {10, 0xFF, 0.5, 40},        // selection path
      {4, 0x1, 0.125, 1},         // 0.5 rounds away from zero
      {4, 0x1, 0.375, 2},         // 1.5 rounds away from zero
      {1000, 0xFFFF, 1.0, 16000},
  };
  for (const Exact& c : cases) {
    for (uint64_t seed : kSeeds) {
      SCOPED_TRACE(::testing::Message()
                   << "n " << c.n_values << " ber " << c.ber << " seed " << seed);
      Rng rng(stream_key(seed, {}));
      const auto flips = sample_flips(rng, c.n_values, c.mask, c.ber, Semantics::kExact);
      EXPECT_EQ(flips.size(), c.expected);
      expect_valid_plan(flips, c.n_values, c.mask);
    }
  }
}

TEST(SamplerTest, EmptyPlans) {
  Rng rng(1);
  EXPECT_TRUE(sample_flips(rng, 1000, 0xFF, 0.0, Semantics::kBernoulli).empty());
  EXPECT_TRUE(sample_flips(rng, 1000, 0xFF, 0.0, Semantics::kExact).empty());
  EXPECT_TRUE(sample_flips(rng, 1000, 0x0, 0.5, Semantics::kBernoulli).empty());
  EXPECT_TRUE(sample_flips(rng, 1000, 0x0, 1.0, Semantics::kExact).empty());
  EXPECT_TRUE(sample_flips(rng, 0, 0xFF, 0.5, Semantics::kBernoulli).empty());
}

TEST(SamplerTest, BerOneFlipsEveryFaultableBit) {
  for (Semantics s : {Semantics::kBernoulli, Semantics::kExact}) {
    SCOPED_TRACE(to_string(s));
    Rng rng(1);
    const auto flips = sample_flips(rng, 100, 0xA5, 1.0, s);
    ASSERT_EQ(flips.size(), 400u);
    std::size_t i = 0;
    for (uint64_t v = 0; v < 100; ++v) {
      for (uint32_t b : {0u, 2u, 5u, 7u}) {
        EXPECT_EQ(flips[i], (Flip{v, b}));
        ++i;
      }
    }
  }
}

TEST(SamplerTest, InvalidInputThrows) {
  Rng rng(1);
  for (double ber : {-0.1, 1.5, std::numeric_limits<double>::quiet_NaN(),
                     std::numeric_limits<double>::infinity()}) {
    SCOPED_TRACE(ber);
    EXPECT_THROW(sample_flips(rng, 100, 0xFF, ber, Semantics::kBernoulli), InputError);
    EXPECT_THROW(sample_flips(rng, 100, 0xFF, ber, Semantics::kExact), InputError);
  }
  // More than 1e12 bits, including a product that overflows 64 bits.
  EXPECT_THROW(sample_flips(rng, 200000000000ull, 0xFF, 1e-9, Semantics::kBernoulli), InputError);
  EXPECT_THROW(sample_flips(rng, std::numeric_limits<uint64_t>::max(), 0xFFFFFFFF, 1e-9,
                            Semantics::kBernoulli),
               InputError);
  // Exactly 1e12 bits is allowed.
  EXPECT_NO_THROW(sample_flips(rng, 125000000000ull, 0xFF, 1e-12, Semantics::kBernoulli));
  try {
    sample_flips(rng, 100, 0xFF, 1.5, Semantics::kBernoulli);
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("1.5"), std::string::npos) << e.what();
  }
}

TEST(SamplerTest, LargeTargetCostFollowsFlips) {
  // 1e12 bits at BER 1e-9: ~1000 flips, drawn without touching the other bits.
  Rng rng(stream_key(4, {}));
  const auto flips = sample_flips(rng, 125000000000ull, 0xFF, 1e-9, Semantics::kBernoulli);
  EXPECT_GT(flips.size(), 800u);
  EXPECT_LT(flips.size(), 1200u);
  expect_valid_plan(flips, 125000000000ull, 0xFF);
}

TEST(SampleDistinctTest, DistinctSortedRightCountBothRegimes) {
  struct Case {
    uint64_t population;
    uint64_t count;
  };
  const Case cases[] = {{1000, 50},
                        {1000, 125},
                        {1000, 126},
                        {1000, 500},
                        {1000, 999},
                        {100, 100},
                        {1, 1},
                        {1, 0},
                        {100, 12},
                        {16, 2},
                        {1000000000000ull, 1000}};
  for (const Case& c : cases) {
    for (uint64_t seed : kSeeds) {
      SCOPED_TRACE(::testing::Message()
                   << "population " << c.population << " count " << c.count << " seed " << seed);
      Rng rng(stream_key(seed, {c.population, c.count}));
      const auto xs = sample_distinct(rng, c.population, c.count);
      ASSERT_EQ(xs.size(), c.count);
      for (std::size_t i = 0; i < xs.size(); ++i) {
        ASSERT_LT(xs[i], c.population);
        if (i > 0) {
          ASSERT_LT(xs[i - 1], xs[i]);
        }
      }
    }
  }
}

TEST(SampleDistinctTest, SparseRegimeIsTheFirstDistinctValuesOfTheStream) {
  // Reference: walk the iid stream uniform(population) and keep the first `count` distinct
  // values. Population 100, count 12 repeats often, so the top-up rounds are exercised.
  for (uint64_t seed = 0; seed < 200; ++seed) {
    SCOPED_TRACE(seed);
    Rng rng(stream_key(seed, {}));
    Rng reference = rng;
    const auto xs = sample_distinct(rng, 100, 12);
    std::set<uint64_t> first;
    while (first.size() < 12) first.insert(reference.uniform(100));
    EXPECT_EQ(xs, std::vector<uint64_t>(first.begin(), first.end()));
  }
}

TEST(SampleDistinctTest, ElementsAreEquallyLikely) {
  // Population 64: count 5 (sparse regime) and 20 (selection sampling), 20000 subsets each;
  // every element is chosen with probability count / 64. Chi-square, 63 df.
  for (uint64_t count : {5u, 20u}) {
    for (uint64_t seed : kSeeds) {
      SCOPED_TRACE(::testing::Message() << "count " << count << " seed " << seed);
      Rng rng(stream_key(seed, {count}));
      std::vector<double> observed(64, 0.0);
      const int subsets = 20000;
      for (int i = 0; i < subsets; ++i) {
        for (uint64_t x : sample_distinct(rng, 64, count)) observed[x] += 1;
      }
      const std::vector<double> expected(64, static_cast<double>(subsets) * count / 64);
      EXPECT_LT(chi2_statistic(observed, expected), chi2_critical(63));
    }
  }
}

TEST(SampleDistinctTest, PairsAreEquallyLikely) {
  // A uniform subset also has uniform pairs: population 6, count 2 (selection regime) and
  // population 40, count 2 (sparse regime, pairs bucketed by their gap). 30000 subsets each.
  for (uint64_t seed : kSeeds) {
    SCOPED_TRACE(seed);
    Rng rng(stream_key(seed, {}));
    std::vector<double> observed(36, 0.0);
    const int subsets = 30000;
    for (int i = 0; i < subsets; ++i) {
      const auto xs = sample_distinct(rng, 6, 2);
      observed[xs[0] * 6 + xs[1]] += 1;
    }
    std::vector<double> o, e;
    for (uint64_t a = 0; a < 6; ++a) {
      for (uint64_t b = a + 1; b < 6; ++b) {
        o.push_back(observed[a * 6 + b]);
        e.push_back(subsets / 15.0);
      }
    }
    EXPECT_LT(chi2_statistic(o, e), chi2_critical(14));

    // Gap g = b - a of a uniform pair from [0, 40) has probability (40 - g) / C(40, 2).
    std::vector<double> gaps(40, 0.0);
    for (int i = 0; i < subsets; ++i) {
      const auto xs = sample_distinct(rng, 40, 2);
      gaps[xs[1] - xs[0]] += 1;
    }
    o.clear();
    e.clear();
    for (int g = 1; g < 40; ++g) {
      o.push_back(gaps[g]);
      e.push_back(subsets * (40.0 - g) / 780.0);  // >= 38 per bin
    }
    EXPECT_LT(chi2_statistic(o, e), chi2_critical(static_cast<int>(o.size()) - 1));
  }
}

TEST(SampleDistinctTest, CountAbovePopulationThrows) {
  Rng rng(1);
  EXPECT_THROW(sample_distinct(rng, 10, 11), InputError);
  EXPECT_TRUE(sample_distinct(rng, 0, 0).empty());
}

}  // namespace
}  // namespace ares::fault

namespace ares::fault {
namespace {

// The dense yardstick flips each faultable bit with probability BER: its count has the
// binomial's mean and variance (|z| < 5 over 400 plans), and it never touches protected bits.
TEST(SamplerDenseTest, CountMatchesBinomialAndRespectsMask) {
  const uint64_t n = 5000;
  const uint32_t mask = 0x7F;  // sign bit of an 8-bit code protected
  const double ber = 2e-3, bits = double(n) * 7;
  std::vector<double> counts;
  for (uint64_t t = 0; t < 400; ++t) {
    Rng rng(stream_key(11, {t}));
    auto flips = sample_flips_dense(rng, n, mask, ber);
    for (const auto& f : flips) ASSERT_NE(mask & (1u << f.bit), 0u);
    ASSERT_TRUE(std::is_sorted(flips.begin(), flips.end()));
    counts.push_back(double(flips.size()));
  }
  double mean = 0, var = 0;
  for (double c : counts) mean += c;
  mean /= counts.size();
  for (double c : counts) var += (c - mean) * (c - mean);
  var /= counts.size() - 1;
  const double mu = bits * ber, sigma2 = bits * ber * (1 - ber);
  EXPECT_LT(std::fabs(mean - mu) / std::sqrt(sigma2 / counts.size()), 5.0);
  EXPECT_NEAR(var / sigma2, 1.0, 0.35);
}

}  // namespace
}  // namespace ares::fault
