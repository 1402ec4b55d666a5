#include "ares/fault/binomial.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "ares/common/error.h"
#include "stats.h"

namespace ares::fault {
namespace {

using testing::binomial_mu4;
using testing::binomial_var;
using testing::chi2_against_pmf;
using testing::chi2_critical;
using testing::z_scores;

constexpr uint64_t kSeeds[] = {101, 202, 303};

std::vector<uint64_t> draw(uint64_t seed, uint64_t n, double p, int samples) {
  Rng rng(stream_key(seed, {n, static_cast<uint64_t>(std::llround(-std::log10(p) * 100))}));
  std::vector<uint64_t> xs(samples);
  for (uint64_t& x : xs) x = sample_binomial(rng, n, p);
  return xs;
}

double binomial_pmf(double n, double p, double k) {
  return std::exp(std::lgamma(n + 1) - std::lgamma(k + 1) - std::lgamma(n - k + 1) +
                  k * std::log(p) + (n - k) * std::log1p(-p));
}

double poisson_pmf(double lambda, double k) {
  return std::exp(-lambda + k * std::log(lambda) - std::lgamma(k + 1));
}

struct Case {
  double n;
  double p;
};

TEST(BinomialTest, MeanAndVarianceMatch) {
  // Sample mean and variance of 20000 draws against n p and n p q; |z| < 5 for each seed.
  // The cases cover inversion (mean < 10), BTRS, the p > 1/2 reflection and n up to 1e12.
  const Case cases[] = {{2e6, 1e-9},  {2e6, 1e-5},   {2.1e6, 1e-3}, {1e8, 1e-3},
                        {1e11, 1e-9}, {1e12, 1e-12}, {100, 0.7},    {1000, 0.5},
                        {20, 0.3},    {1e12, 1e-6},  {1e12, 0.5},   {1e12, 0.999}};
  for (const Case& c : cases) {
    for (uint64_t seed : kSeeds) {
      SCOPED_TRACE(::testing::Message() << "n " << c.n << " p " << c.p << " seed " << seed);
      const std::vector<uint64_t> xs = draw(seed, static_cast<uint64_t>(c.n), c.p, 20000);
      // Centre on n p before converting to double: at n = 1e12 the raw counts are ~5e11.
      const double mean = c.n * c.p;
      std::vector<double> centred;
      centred.reserve(xs.size());
      for (uint64_t x : xs) {
        ASSERT_LE(x, static_cast<uint64_t>(c.n));
        centred.push_back(static_cast<double>(x) - mean);
      }
      const auto z = z_scores(centred, 0.0, binomial_var(c.n, c.p), binomial_mu4(c.n, c.p));
      EXPECT_LT(std::fabs(z.mean), 5.0);
      EXPECT_LT(std::fabs(z.var), 5.0);
    }
  }
}

TEST(BinomialTest, DegenerateProbabilities) {
  Rng rng(stream_key(1, {}));
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(sample_binomial(rng, 50, 1.0), 50u);
    EXPECT_EQ(sample_binomial(rng, 50, 0.0), 0u);
    EXPECT_EQ(sample_binomial(rng, 0, 0.3), 0u);
  }
  // p == 0 and p == 1 consume no randomness.
  EXPECT_EQ(rng.position(), 0u);
}

TEST(BinomialTest, InvalidProbabilityThrows) {
  Rng rng(1);
  EXPECT_THROW(sample_binomial(rng, 10, -0.1), InputError);
  EXPECT_THROW(sample_binomial(rng, 10, 1.5), InputError);
  EXPECT_THROW(sample_binomial(rng, 10, std::numeric_limits<double>::quiet_NaN()), InputError);
}

TEST(BinomialTest, SameStreamSameSamples) {
  EXPECT_EQ(draw(5, 1000000, 1e-4, 100), draw(5, 1000000, 1e-4, 100));
  EXPECT_EQ(draw(5, 1000000, 1e-7, 100), draw(5, 1000000, 1e-7, 100));
}

TEST(BinomialTest, ExactPmfSmallMeanInversion) {
  // Binomial(20, 0.3), mean 6: inversion. 100000 draws, chi-square at tail prob ~1e-6.
  for (uint64_t seed : kSeeds) {
    SCOPED_TRACE(seed);
    const auto xs = draw(seed, 20, 0.3, 100000);
    int df = 0;
    const double chi2 = chi2_against_pmf(
        xs, [](uint64_t k) { return binomial_pmf(20, 0.3, k); }, 0, 20, &df);
    EXPECT_LT(chi2, chi2_critical(df)) << "df " << df;
    EXPECT_GE(df, 8);
  }
}

TEST(BinomialTest, ExactPmfBtrs) {
  // BTRS (mean >= 10), directly and through the p > 1/2 reflection, and both sides of the
  // inversion/BTRS switch at mean 10. 100000 draws each, chi-square at tail prob ~1e-6.
  const Case cases[] = {{100, 0.3}, {100, 0.7}, {1000, 0.5}, {25, 0.4}, {1000, 0.0099}};
  for (const Case& c : cases) {
    for (uint64_t seed : kSeeds) {
      SCOPED_TRACE(::testing::Message() << "n " << c.n << " p " << c.p << " seed " << seed);
      const auto xs = draw(seed, static_cast<uint64_t>(c.n), c.p, 100000);
      int df = 0;
      const double chi2 = chi2_against_pmf(
          xs, [&](uint64_t k) { return binomial_pmf(c.n, c.p, static_cast<double>(k)); }, 0,
          static_cast<uint64_t>(c.n), &df);
      EXPECT_LT(chi2, chi2_critical(df)) << "df " << df;
    }
  }
}

TEST(BinomialTest, PoissonLimitAtHugeN) {
  // Binomial(1e12, 1e-12) and Binomial(1e11, 1e-9) are within total variation p of
  // Poisson(n p) (Le Cam), far below what 100000 draws can see.
  const Case cases[] = {{1e12, 1e-12}, {1e11, 1e-9}};
  for (const Case& c : cases) {
    const double lambda = c.n * c.p;
    for (uint64_t seed : kSeeds) {
      SCOPED_TRACE(::testing::Message() << "n " << c.n << " p " << c.p << " seed " << seed);
      const auto xs = draw(seed, static_cast<uint64_t>(c.n), c.p, 100000);
      int df = 0;
      const double chi2 = chi2_against_pmf(
          xs, [&](uint64_t k) { return poisson_pmf(lambda, static_cast<double>(k)); }, 0,
          static_cast<uint64_t>(lambda * 3 + 20), &df);
      EXPECT_LT(chi2, chi2_critical(df)) << "df " << df;
      EXPECT_GE(df, 4);
    }
  }
}

}  // namespace
}  // namespace ares::fault
