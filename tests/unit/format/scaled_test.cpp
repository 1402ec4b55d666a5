// The MX element formats (fp6-e2m3, fp6-e3m2, fp4-e2m1), the e8m0 scale, and the scaled
// formats (intN..., mx...) against references written here from the specifications (OCP MX
// v1.0 and PyTorch's observer and fake_quantize formulas, scaled.h): every code of every small
// format decoded from its fields, every encode against a brute-force nearest-value search, and
// the scales of both families computed here without the code under test.

#include "ares/format/scaled.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "ares/common/error.h"
#include "ares/fault/rng.h"
#include "ares/format/format.h"
#include "float_bits.h"

namespace ares::format {
namespace {

using testing::bits_of;
using testing::kInf;
using testing::kNaN;

struct Mx {
  const char* spec;
  int exp_bits, mant_bits, bias;
  double max;  // from the specification's table, not derived
  int emax;    // exponent of the largest normal value (OCP MX v1.0, table 1)
};
const Mx kSmall[] = {
    {"fp6-e2m3", 2, 3, 1, 7.5, 2}, {"fp6-e3m2", 3, 2, 3, 28.0, 4}, {"fp4-e2m1", 2, 1, 1, 6.0, 2}};

// Value of a code from its sign, exponent and mantissa fields (no specials in these formats).
double reference_value(const Mx& f, uint32_t code) {
  const int w = 1 + f.exp_bits + f.mant_bits;
  const double sign = (code >> (w - 1)) & 1u ? -1.0 : 1.0;
  const uint32_t e = (code >> f.mant_bits) & ((1u << f.exp_bits) - 1u);
  const uint32_t m = code & ((1u << f.mant_bits) - 1u);
  const double frac = double(m) / double(1u << f.mant_bits);
  return sign *
         (e == 0 ? std::pow(2.0, 1 - f.bias) * frac : std::pow(2.0, int(e) - f.bias) * (1 + frac));
}

// Nearest code by brute force: the smallest distance, ties to the even code, beyond max the
// max (saturation), the sign of x kept.
uint32_t reference_encode(const Mx& f, float x) {
  const int w = 1 + f.exp_bits + f.mant_bits;
  const uint32_t half = 1u << (w - 1);
  if (std::isnan(x)) return 0;
  const double a = std::min(std::fabs(double(x)), f.max);
  uint32_t best = 0;
  double dist = kInf;
  for (uint32_t c = 0; c < half; ++c) {
    const double d = std::fabs(reference_value(f, c) - a);
    if (d < dist || (d == dist && (c & 1u) == 0)) {
      best = c;
      dist = d;
    }
  }
  return (std::signbit(x) ? half : 0u) | best;
}

TEST(SmallFloatTest, EveryCodeDecodesToItsFieldsAndRoundTrips) {
  for (const Mx& f : kSmall) {
    SCOPED_TRACE(f.spec);
    const Format fmt = Format::parse(f.spec);
    const int w = 1 + f.exp_bits + f.mant_bits;
    ASSERT_EQ(fmt.width(), w);
    EXPECT_EQ(fmt.spec(), f.spec);
    EXPECT_EQ(fmt.max_value(), f.max);
    EXPECT_FALSE(fmt.is_scaled());
    for (uint32_t c = 0; c < (1u << w); ++c) {
      const float v = fmt.decode(c);
      EXPECT_EQ(double(v), reference_value(f, c)) << "code " << c;
      EXPECT_EQ(std::signbit(v), ((c >> (w - 1)) & 1u) != 0) << "code " << c;
      EXPECT_EQ(fmt.encode(v), c) << "code " << c;  // every code is finite: the round trip holds
    }
  }
}

TEST(SmallFloatTest, EveryFlipOfEveryCodeIsTheFlippedCodesValue) {
  for (const Mx& f : kSmall) {
    const Format fmt = Format::parse(f.spec);
    for (uint32_t c = 0; c < (1u << fmt.width()); ++c) {
      for (int b = 0; b < fmt.width(); ++b) {
        EXPECT_EQ(double(fmt.decode(c ^ (1u << b))), reference_value(f, c ^ (1u << b)));
      }
    }
  }
}

TEST(SmallFloatTest, EncodeIsTheNearestCodeTiesToEvenSaturating) {
  fault::Rng rng(7);
  for (const Mx& f : kSmall) {
    SCOPED_TRACE(f.spec);
    const Format fmt = Format::parse(f.spec);
    std::vector<float> xs = {0.0f, -0.0f, kInf, -kInf, 1e30f, -1e30f, 1e-30f, -1e-30f};
    // Every midpoint between neighbours (the ties) and its two float neighbours.
    for (uint32_t c = 0; c + 1 < (1u << (fmt.width() - 1)); ++c) {
      const float mid = float((reference_value(f, c) + reference_value(f, c + 1)) / 2);
      for (float m : {mid, std::nextafter(mid, 0.0f), std::nextafter(mid, kInf)}) {
        xs.push_back(m);
        xs.push_back(-m);
      }
    }
    for (int i = 0; i < 20000; ++i) xs.push_back(float((rng.next_double() * 2 - 1) * f.max * 1.2));
    for (float x : xs) EXPECT_EQ(fmt.encode(x), reference_encode(f, x)) << "x " << x;
    EXPECT_EQ(fmt.encode(kNaN), 0u);
  }
}

TEST(E8m0Test, EveryCodeIsAPowerOfTwoAndFFIsNaN) {
  const Format fmt = Format::e8m0();
  EXPECT_EQ(Format::parse("e8m0"), fmt);
  for (uint32_t c = 0; c < 255; ++c) {
    EXPECT_EQ(double(fmt.decode(c)), std::pow(2.0, int(c) - 127)) << c;
    EXPECT_EQ(fmt.encode(fmt.decode(c)), c);
    for (int b = 0; b < 8; ++b) EXPECT_EQ(fmt.role(b), BitRole::kExponent);
  }
  EXPECT_TRUE(std::isnan(fmt.decode(0xFF)));
  EXPECT_EQ(fmt.encode(3.9f), 128u);  // floor(log2 3.9) = 1
  EXPECT_EQ(fmt.encode(0.0f), 0u);
  EXPECT_EQ(fmt.encode(kNaN), 0xFFu);
}

TEST(ScaledFormatTest, SpecsParseAndPrintBack) {
  for (const char* s :
       {"int8", "int8-ch", "int4-asym", "int16-ch-asym-s16", "int2-s16", "mxfp8-e4m3", "mxfp8-e5m2",
        "mxfp6-e2m3", "mxfp6-e3m2", "mxfp4", "mxint8"}) {
    const Format f = Format::parse(s);
    EXPECT_TRUE(f.is_scaled()) << s;
    EXPECT_EQ(f.spec(), s);
    EXPECT_EQ(Format::parse(f.spec()), f);
    EXPECT_NE(f, f.element());
  }
  EXPECT_EQ(Format::parse("INT8-CH").spec(), "int8-ch");
  EXPECT_EQ(Format::parse("mxfp4-e2m1").spec(), "mxfp4");
  EXPECT_EQ(Format::parse("int8").element(), Format::parse("q8.0-2c"));
  EXPECT_EQ(Format::parse("mxint8").element(), Format::parse("q2.6-2c"));
  EXPECT_EQ(Format::parse("mxfp8-e4m3").scale_format(), Format::e8m0());
  EXPECT_EQ(Format::parse("int8-s16").scale_format(), Format::fp16());
  EXPECT_EQ(Format::parse("mxfp8-e4m3").metadata_bits(), 8);      // one e8m0 scale per block
  EXPECT_EQ(Format::parse("int8-ch-asym").metadata_bits(), 40);   // fp32 scale, int8 zero point
  EXPECT_EQ(Format::parse("int4-asym-s16").metadata_bits(), 20);  // fp16 scale, int4 zero point
  EXPECT_EQ(Format::parse("q2.6-2c").metadata_bits(), 0);
  for (const char* bad : {"int1", "int17", "int", "int8-foo", "int8-asym-ch", "int8-ch-ch", "mxfp7",
                          "mxint4", "mx"}) {
    EXPECT_THROW(Format::parse(bad), InputError) << bad;
  }
}

// The PyTorch rules of scaled.h, written out again: MinMaxObserver, then fake_quantize.
std::vector<float> reference_int(const std::vector<float>& x, int bits, bool asym, bool half) {
  const float qmin = -std::pow(2.0f, float(bits - 1)), qmax = std::pow(2.0f, float(bits - 1)) - 1;
  const float lo = std::min(0.0f, *std::min_element(x.begin(), x.end()));
  const float hi = std::max(0.0f, *std::max_element(x.begin(), x.end()));
  float scale = asym ? (hi - lo) / (qmax - qmin) : std::max(-lo, hi) / ((qmax - qmin) / 2);
  scale = std::max(scale, 1.1920928955078125e-07f);
  if (half) scale = Format::fp16().quantize(scale);
  const float zp = asym ? std::min(qmax, std::max(qmin, qmin - std::nearbyint(lo / scale))) : 0;
  std::vector<float> out;
  for (float v : x) {
    const float q = std::min(qmax, std::max(qmin, zp + std::nearbyint(v * (1.0f / scale))));
    out.push_back((q - zp) * scale);
  }
  return out;
}

std::vector<float> decode_all(const Format& fmt, const GroupLayout& l,
                              const std::vector<uint32_t>& codes,
                              const std::vector<uint32_t>& scales,
                              const std::vector<uint32_t>& zeros) {
  std::vector<float> out(codes.size());
  for (uint64_t i = 0; i < codes.size(); ++i) {
    const uint64_t g = l.group_of(i);
    out[i] = scaled_value(fmt, codes[i], group_scale(fmt, scales[g], zeros[g]));
  }
  return out;
}

TEST(ScaledFormatTest, ScaledIntegersFollowPyTorchsObserverAndFakeQuantize) {
  fault::Rng rng(11);
  for (int bits : {2, 4, 8, 12, 16}) {
    for (bool asym : {false, true}) {
      for (bool half : {false, true}) {
        for (bool channel : {false, true}) {
          const Format fmt = Format::scaled_int(
              bits, channel ? Granularity::kChannel : Granularity::kTensor, asym, half);
          SCOPED_TRACE(fmt.spec());
          const uint64_t rows = 6, cols = 37;
          std::vector<float> x(rows * cols);
          for (uint64_t r = 0; r < rows; ++r) {
            // rows of different ranges and signs: all positive, all negative, mixed
            const double shift = r % 3 == 0 ? 0.5 : r % 3 == 1 ? -0.5 : 0.0;
            for (uint64_t c = 0; c < cols; ++c) {
              x[r * cols + c] =
                  float((rng.next_double() - 0.5 + shift) * std::pow(10.0, -double(r)));
            }
          }
          const GroupLayout l = group_layout(fmt, x.size(), rows);
          ASSERT_EQ(l.groups(), channel ? rows : 1u);
          std::vector<uint32_t> codes(x.size()), scales(l.groups()), zeros(l.groups());
          quantize_scaled(fmt, l, x.data(), codes.data(), scales.data(), zeros.data());
          const auto got = decode_all(fmt, l, codes, scales, zeros);
          std::vector<float> want;
          if (channel) {
            for (uint64_t r = 0; r < rows; ++r) {
              auto w = reference_int({x.begin() + r * cols, x.begin() + (r + 1) * cols}, bits, asym,
                                     half);
              want.insert(want.end(), w.begin(), w.end());
            }
          } else {
            want = reference_int(x, bits, asym, half);
          }
          for (size_t i = 0; i < x.size(); ++i) {
            ASSERT_EQ(bits_of(got[i]), bits_of(want[i])) << "value " << i << " x " << x[i];
          }
        }
      }
    }
  }
}

TEST(ScaledFormatTest, MxBlocksTakeThePowerOfTwoOfTheirMaxAndSaturate) {
  const Mx elements[] = {{"fp8-e4m3", 4, 3, 7, 448.0, 8},
                         {"fp8-e5m2", 5, 2, 15, 57344.0, 15},
                         kSmall[0],
                         kSmall[1],
                         kSmall[2],
                         {"q2.6-2c", 0, 0, 0, 127.0 / 64, 0}};
  fault::Rng rng(13);
  for (const Mx& e : elements) {
    const Format element = Format::parse(e.spec);
    const Format fmt = Format::mx(element);
    SCOPED_TRACE(fmt.spec());
    const uint64_t rows = 3, cols = 70;  // blocks of 32, 32 and 6 per row
    std::vector<float> x(rows * cols);
    for (size_t i = 0; i < x.size(); ++i) x[i] = float((rng.next_double() - 0.5) * 3.0);
    for (uint64_t c = 32; c < 64; ++c) x[cols + c] = 0;  // one block of zeros
    x[5] = 1000.0f;                                      // one block with an outlier
    const GroupLayout l = group_layout(fmt, x.size(), rows);
    ASSERT_EQ(l.groups(), 9u);
    std::vector<uint32_t> codes(x.size()), scales(l.groups()), zeros(l.groups());
    quantize_scaled(fmt, l, x.data(), codes.data(), scales.data(), zeros.data());
    for (uint64_t g = 0; g < l.groups(); ++g) {
      double amax = 0;
      for (uint64_t i = l.begin(g); i < l.end(g); ++i)
        amax = std::max(amax, std::fabs(double(x[i])));
      const int shared = amax == 0 ? -127 : int(std::floor(std::log2(amax))) - e.emax;
      ASSERT_EQ(int(scales[g]) - 127, shared) << "block " << g;
      for (uint64_t i = l.begin(g); i < l.end(g); ++i) {
        // the element is x / 2^shared stored in the element format (saturating)
        const float want = element.quantize(float(std::ldexp(double(x[i]), -shared)));
        const float got = scaled_value(fmt, codes[i], group_scale(fmt, scales[g], 0));
        ASSERT_EQ(double(got), std::ldexp(double(want), shared)) << "value " << i;
        ASSERT_LE(std::fabs(double(want)), e.max);
      }
    }
    // A flipped shared scale changes exactly its block: every nonzero value of it, nothing else.
    const auto clean = decode_all(fmt, l, codes, scales, zeros);
    for (uint64_t g = 0; g < l.groups(); ++g) {
      for (int b = 0; b < 8; ++b) {
        auto faulty = scales;
        faulty[g] ^= 1u << b;
        const auto v = decode_all(fmt, l, codes, faulty, zeros);
        for (uint64_t i = 0; i < x.size(); ++i) {
          const bool inside = i >= l.begin(g) && i < l.end(g);
          const bool changes = faulty[g] == 0xFFu || clean[i] != 0.0f;
          if (inside && changes) {
            EXPECT_FALSE(bits_of(v[i]) == bits_of(clean[i])) << "block " << g << " value " << i;
          } else {
            EXPECT_EQ(bits_of(v[i]), bits_of(clean[i])) << "block " << g << " value " << i;
          }
        }
      }
    }
  }
}

// AdaptivFloat, as its reference implementation states it (T. Tambe's adaptivfloat.py for
// arXiv:1909.13271), written out here in double: the bias from the max, zero below half the
// smallest magnitude, that magnitude below it, the largest above it, else the mantissa rounded
// to nearest even. The exact half of the smallest magnitude, which the reference leaves
// unconverted, goes to zero (format.h).
double reference_af(double x, int n, int e, int bias) {
  const int m = n - 1 - e;
  const double sign = x < 0 ? -1.0 : 1.0;
  double a = std::fabs(x);
  const double min = std::pow(2.0, bias) * (1 + std::pow(2.0, -m));
  const double max = std::pow(2.0, (1 << e) - 1 + bias) * (2 - std::pow(2.0, -m));
  if (a <= 0.5 * min) return sign * 0.0;
  if (a < min) return sign * min;
  if (a > max) a = max;
  int ex = 0;
  const double mant = 2 * std::frexp(a, &ex);  // in [1, 2)
  const double q = std::nearbyint(mant * std::pow(2.0, m)) / std::pow(2.0, m);
  return sign * q * std::pow(2.0, ex - 1);
}

TEST(AdaptivFloatTest, EveryElementCodeDecodesToItsFieldsAndEncodesBack) {
  for (auto [n, e] : {std::pair{8, 4}, {8, 3}, {6, 3}, {4, 2}, {5, 4}, {12, 5}}) {
    const Format f = Format::adaptivfloat(n, e, /*scaled=*/false);
    SCOPED_TRACE(f.spec());
    EXPECT_EQ(Format::parse(f.spec()), f);
    EXPECT_FALSE(f.is_scaled());
    const int m = n - 1 - e;
    for (uint32_t c = 0; c < (1u << n); ++c) {
      const uint32_t ef = (c >> m) & ((1u << e) - 1u), mf = c & ((1u << m) - 1u);
      const double mag =
          (ef == 0 && mf == 0) ? 0.0 : std::pow(2.0, ef) * (1 + mf / std::pow(2.0, m));
      const double want = ((c >> (n - 1)) & 1u) ? -mag : mag;
      ASSERT_EQ(double(f.decode(c)), want) << c;
      EXPECT_EQ(f.encode(f.decode(c)), c) << c;
    }
    // Encode against the reference at bias 0, over the grid's midpoints and random values.
    fault::Rng rng(uint64_t(n * 16 + e));
    std::vector<double> xs = {0.0, 1e-9, 0.5, 0.75, 1.0, 1.2, 1e9};
    for (uint32_t c = 1; c + 1 < (1u << (n - 1)); ++c) {
      const double mid = (double(f.decode(c)) + double(f.decode(c + 1))) / 2;
      for (double x : {mid, std::nextafter(mid, 0.0), std::nextafter(mid, 1e300)}) xs.push_back(x);
    }
    for (int i = 0; i < 5000; ++i) xs.push_back((rng.next_double() - 0.5) * 2.5 * f.max_value());
    for (double x : xs) {
      for (double v : {x, -x}) {
        const float xf = float(v);
        ASSERT_EQ(double(f.decode(f.encode(xf))), reference_af(double(xf), n, e, 0)) << xf;
      }
    }
  }
}

TEST(AdaptivFloatTest, TheTensorsBiasPutsItsMaxInTheTopExponent) {
  fault::Rng rng(21);
  for (auto [n, e] : {std::pair{8, 4}, {6, 3}, {4, 2}}) {
    const Format f = Format::parse("af" + std::to_string(n) + "-e" + std::to_string(e));
    SCOPED_TRACE(f.spec());
    EXPECT_TRUE(f.is_scaled());
    EXPECT_EQ(f.scale_format(), Format::e8m0());
    for (double range : {1e-3, 0.3, 7.0}) {
      std::vector<float> x(4 * 50);
      for (auto& v : x) v = float((rng.next_double() - 0.5) * range);
      const GroupLayout l = group_layout(f, x.size(), 4);
      ASSERT_EQ(l.groups(), 1u);
      std::vector<uint32_t> codes(x.size()), scales(1), zeros(1);
      quantize_scaled(f, l, x.data(), codes.data(), scales.data(), zeros.data());
      double amax = 0;
      for (float v : x) amax = std::max(amax, std::fabs(double(v)));
      const int bias = int(std::floor(std::log2(amax))) - ((1 << e) - 1);
      ASSERT_EQ(int(scales[0]) - 127, bias);
      for (size_t i = 0; i < x.size(); ++i) {
        const float got = scaled_value(f, codes[i], group_scale(f, scales[0], 0));
        ASSERT_EQ(double(got), reference_af(double(x[i]), n, e, bias)) << x[i];
      }
    }
  }
  EXPECT_THROW(Format::parse("af8-e7"), InputError);
  EXPECT_THROW(Format::parse("af3-e3"), InputError);
  EXPECT_THROW(Format::parse("af8"), InputError);
  EXPECT_THROW(Format::parse("af8-e4-bias1"), InputError);
}

}  // namespace
}  // namespace ares::format
