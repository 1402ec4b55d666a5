#include "ares/fault/rng.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <set>
#include <vector>

#include "ares/common/error.h"
#include "stats.h"

namespace ares::fault {
namespace {

using testing::chi2_critical;
using testing::chi2_statistic;

TEST(RngTest, Mix64IsTheSplitMix64Finaliser) {
  // SplitMix64 seeded with 0 outputs mix64(0x9E3779B97F4A7C15) first.
  EXPECT_EQ(mix64(0x9E3779B97F4A7C15ull), 0xE220A8397B1DCDAFull);
  EXPECT_EQ(mix64(0), 0u);
}

TEST(RngTest, StreamKeyIsDeterministicAndOrderSensitive) {
  EXPECT_EQ(stream_key(7, {1, 2, 3}), stream_key(7, {1, 2, 3}));
  EXPECT_NE(stream_key(7, {1, 2}), stream_key(7, {2, 1}));
  EXPECT_NE(stream_key(7, {1, 2, 3}), stream_key(7, {1, 3, 2}));
  EXPECT_NE(stream_key(7, {1, 2}), stream_key(8, {1, 2}));
  // Arity matters: trailing zeros are not ignored.
  EXPECT_NE(stream_key(7, {}), stream_key(7, {0}));
  EXPECT_NE(stream_key(7, {0}), stream_key(7, {0, 0}));
  EXPECT_NE(stream_key(0, {}), 0u);
}

TEST(RngTest, StreamKeysOfAGridAreDistinct) {
  // A campaign-sized grid of coordinates gives no key collisions.
  std::set<uint64_t> keys;
  for (uint64_t instance = 0; instance < 10; ++instance) {
    for (uint64_t ber = 0; ber < 50; ++ber) {
      for (uint64_t trial = 0; trial < 40; ++trial)
        keys.insert(stream_key(1, {instance, ber, trial}));
    }
  }
  EXPECT_EQ(keys.size(), 10u * 50u * 40u);
}

TEST(RngTest, OutputIsPinned) {
  // Golden values: the stream must never change between versions or platforms, otherwise
  // stored campaigns could not be replayed.
  Rng rng(stream_key(7, {1, 2, 3}));
  const uint64_t first = rng.next_u64();
  const uint64_t second = rng.next_u64();
  Rng again(stream_key(7, {1, 2, 3}));
  EXPECT_EQ(again.next_u64(), first);
  EXPECT_EQ(again.next_u64(), second);
  EXPECT_EQ(stream_key(7, {1, 2, 3}), 0xF915055376DB75CDull);
  EXPECT_EQ(first, 0x2A96967B7BF9CA40ull);
  EXPECT_EQ(second, 0xEEA45C9F7191B807ull);
}

TEST(RngTest, CopiesContinueIndependentlyFromTheSamePosition) {
  Rng a(42);
  for (int i = 0; i < 5; ++i) a.next_u64();
  EXPECT_EQ(a.position(), 5u);
  Rng b = a;
  const uint64_t from_a = a.next_u64();
  EXPECT_EQ(a.position(), 6u);
  EXPECT_EQ(b.position(), 5u);
  EXPECT_EQ(b.next_u64(), from_a);
}

TEST(RngTest, DifferentKeysGiveDifferentStreams) {
  Rng a(stream_key(1, {0})), b(stream_key(1, {1}));
  int equal = 0;
  for (int i = 0; i < 1000; ++i) equal += a.next_u64() == b.next_u64();
  EXPECT_EQ(equal, 0);
}

TEST(RngTest, BitsAreBalanced) {
  // Each of the 64 output bits is set about half the time: 20000 draws, sd = 70.7 per bit,
  // tolerance 5 sd.
  for (uint64_t seed : {1u, 2u, 3u}) {
    SCOPED_TRACE(seed);
    Rng rng(stream_key(seed, {}));
    std::vector<int> ones(64, 0);
    const int draws = 20000;
    for (int i = 0; i < draws; ++i) {
      const uint64_t x = rng.next_u64();
      for (int b = 0; b < 64; ++b) ones[b] += (x >> b) & 1;
    }
    for (int b = 0; b < 64; ++b) EXPECT_NEAR(ones[b], draws / 2.0, 5 * 70.7) << "bit " << b;
  }
}

TEST(RngTest, UniformStaysInRange) {
  Rng rng(3);
  const uint64_t max = std::numeric_limits<uint64_t>::max();
  for (uint64_t n : {uint64_t{1}, uint64_t{2}, uint64_t{3}, uint64_t{7}, uint64_t{1000000007},
                     (uint64_t{1} << 63) + 1, max}) {
    SCOPED_TRACE(n);
    for (int i = 0; i < 2000; ++i) EXPECT_LT(rng.uniform(n), n);
  }
  for (int i = 0; i < 100; ++i) EXPECT_EQ(rng.uniform(1), 0u);
}

TEST(RngTest, UniformZeroThrows) {
  Rng rng(3);
  EXPECT_THROW(rng.uniform(0), InputError);
}

TEST(RngTest, UniformIsUniformChiSquare) {
  // 10 and 37 bins, 50000 draws each; chi-square at tail probability ~1e-6.
  for (uint64_t seed : {11u, 12u, 13u}) {
    for (uint64_t n : {uint64_t{10}, uint64_t{37}}) {
      SCOPED_TRACE(::testing::Message() << "seed " << seed << " n " << n);
      Rng rng(stream_key(seed, {n}));
      const int draws = 50000;
      std::vector<double> observed(n, 0.0);
      for (int i = 0; i < draws; ++i) observed[rng.uniform(n)] += 1;
      const std::vector<double> expected(n, static_cast<double>(draws) / n);
      EXPECT_LT(chi2_statistic(observed, expected), chi2_critical(static_cast<int>(n) - 1));
    }
  }
}

TEST(RngTest, UniformIsUnbiasedForHugeN) {
  // n = 3 * 2^62: a plain (x mod n) would put 2/3 of the draws below n/2; Lemire's rejection
  // gives 1/2. 40000 draws, sd = 100, tolerance 5 sd.
  const uint64_t n = 3ull << 62;
  for (uint64_t seed : {21u, 22u, 23u}) {
    SCOPED_TRACE(seed);
    Rng rng(stream_key(seed, {}));
    const int draws = 40000;
    int below_half = 0;
    for (int i = 0; i < draws; ++i) below_half += rng.uniform(n) < n / 2;
    EXPECT_NEAR(below_half, draws / 2.0, 5 * 100.0);
  }
}

TEST(RngTest, DoublesAreInTheirIntervals) {
  for (uint64_t seed : {31u, 32u, 33u}) {
    SCOPED_TRACE(seed);
    Rng rng(stream_key(seed, {}));
    const int draws = 100000;
    double sum = 0, sum_open = 0;
    for (int i = 0; i < draws; ++i) {
      const double u = rng.next_double();
      ASSERT_GE(u, 0.0);
      ASSERT_LT(u, 1.0);
      sum += u;
      const double v = rng.next_double_open();
      ASSERT_GT(v, 0.0);
      ASSERT_LT(v, 1.0);
      sum_open += v;
    }
    // Mean 1/2, sd of the mean sqrt(1/12 / 1e5) = 9.1e-4; tolerance 5 sd.
    EXPECT_NEAR(sum / draws, 0.5, 5 * 9.1e-4);
    EXPECT_NEAR(sum_open / draws, 0.5, 5 * 9.1e-4);
  }
}

}  // namespace
}  // namespace ares::fault
