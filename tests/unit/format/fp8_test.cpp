// The OCP 8-bit floats fp8-e4m3 and fp8-e5m2 (OFP8 v1.0) against a reference written here from
// the specification: every code decoded by the formula, every encode against a brute-force
// nearest-value search over the 256-code table. Nothing below calls the code under test to
// build an expected value.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "ares/common/error.h"
#include "ares/format/format.h"
#include "float_bits.h"

namespace ares::format {
namespace {

using testing::bits_of;
using testing::float_of;
using testing::kInf;
using testing::kNaN;

// ---- the reference, from the specification ---------------------------------------------------

// What the OFP8 specification says about one of its two formats.
struct Ofp8 {
  const char* name;
  int exp_bits;
  int mant_bits;
  int bias;
  bool ieee_specials;  // E5M2: exponent all ones is Inf (mantissa 0) or NaN; E4M3: only S.1111.111
  double max_finite;   // from the specification's table, not derived
  double min_subnormal;
};

const Ofp8 kE4M3{"e4m3", 4, 3, 7, false, 448.0, 0x1p-9};
const Ofp8 kE5M2{"e5m2", 5, 2, 15, true, 57344.0, 0x1p-16};

// The value of one code: NaN, +-Inf or (-1)^s * 2^(e - bias) * (1 + m / 2^M) for normals and
// (-1)^s * 2^(1 - bias) * (m / 2^M) for subnormals, in double with std::pow.
struct RefValue {
  bool nan = false;
  double value = 0.0;  // +-Inf for the infinities; signed zero for 0x00 and 0x80
};

RefValue ref_decode(const Ofp8& f, uint32_t code) {
  const int s = static_cast<int>(code >> 7) & 1;
  const int e = static_cast<int>(code >> f.mant_bits) & ((1 << f.exp_bits) - 1);
  const int m = static_cast<int>(code) & ((1 << f.mant_bits) - 1);
  const int e_max = (1 << f.exp_bits) - 1;
  const int m_max = (1 << f.mant_bits) - 1;
  const double sign = s ? -1.0 : 1.0;
  RefValue r;
  if (f.ieee_specials && e == e_max) {
    if (m == 0) {
      r.value = sign * std::numeric_limits<double>::infinity();
    } else {
      r.nan = true;
    }
    return r;
  }
  if (!f.ieee_specials && e == e_max && m == m_max) {
    r.nan = true;
    return r;
  }
  const double frac = m / std::pow(2.0, f.mant_bits);
  const double magnitude =
      e == 0 ? std::pow(2.0, 1 - f.bias) * frac : std::pow(2.0, e - f.bias) * (1.0 + frac);
  r.value = s ? -magnitude : magnitude;  // -0.0 for code 0x80
  return r;
}

// The smallest code above the largest finite one, with the exponent range unbounded: 480 at
// "0x7F" in E4M3 (odd mantissa 111), 2^16 at 0x7C in E5M2 (even mantissa 00). Only the
// overflow rule uses it: a value rounding there (ties to even) overflows.
struct Beyond {
  uint32_t code;
  double value;
};

Beyond beyond_max(const Ofp8& f) {
  if (f.ieee_specials) return {0x7Cu, std::pow(2.0, 16)};
  return {0x7Fu, std::pow(2.0, 8) * (1.0 + 7.0 / 8.0)};
}

// Codes of the non-negative finite values (0x00 .. max) and their values, by scanning all
// codes with the sign bit clear and keeping those that are neither NaN nor Inf.
struct Table {
  std::vector<uint32_t> code;
  std::vector<double> value;
};

Table finite_table(const Ofp8& f) {
  Table t;
  for (uint32_t c = 0; c < 0x80u; ++c) {
    const RefValue r = ref_decode(f, c);
    if (r.nan || std::isinf(r.value)) continue;
    t.code.push_back(c);
    t.value.push_back(r.value);
  }
  return t;
}

// The code the specification stores for x, found by brute force: the nearest value of the
// table (ties to the code with the even mantissa, i.e. the even code), the beyond-max value
// included so that overflow follows the same round-to-nearest-even rule; then the saturation
// or overflow rule and the sign. NaN: 0x7F in E4M3 (its only NaN), the quiet NaN 0x7E in
// E5M2, with the input's sign; -0 and negative values that round to 0 are 0x80.
uint32_t ref_encode(const Ofp8& f, const Table& t, bool saturating, float x) {
  const uint32_t sign = std::signbit(x) ? 0x80u : 0x00u;
  if (std::isnan(x)) return sign | (f.ieee_specials ? 0x7Eu : 0x7Fu);
  const uint32_t max_code = t.code.back();
  const uint32_t overflow_code = saturating ? max_code : (f.ieee_specials ? 0x7Cu : 0x7Fu);
  if (std::isinf(x)) return sign | overflow_code;
  const double a = std::fabs(static_cast<double>(x));
  const Beyond beyond = beyond_max(f);
  const std::size_t n = t.value.size() + 1;
  auto code_at = [&](std::size_t k) { return k + 1 < n ? t.code[k] : beyond.code; };
  auto value_at = [&](std::size_t k) { return k + 1 < n ? t.value[k] : beyond.value; };
  // |a - u| vs |a - v| for u < v is 2a vs u + v; both sides are exact in double (the fp8
  // values have at most 4 significant bits and exponents within [-16, 17]).
  std::size_t best = 0;
  for (std::size_t k = 1; k < n; ++k) {
    const double u = std::fmin(value_at(k), value_at(best));
    const double v = std::fmax(value_at(k), value_at(best));
    const double closer = 2 * a < u + v ? u : v;
    if (2 * a == u + v) {
      if ((code_at(k) & 1u) == 0) best = k;  // a tie: the even code
    } else if (closer == value_at(k)) {
      best = k;
    }
  }
  if (code_at(best) == beyond.code) return sign | overflow_code;
  return sign | code_at(best);
}

// The Format under test for each reference format and saturation mode, built from its spec.
Format make(const Ofp8& f, bool saturating) {
  return Format::parse(std::string("fp8-") + f.name + (saturating ? "" : "-nosat"));
}

// ---- parsing and layout ----------------------------------------------------------------------

TEST(Fp8Parse, SpecsRoundTripAndCompare) {
  for (const char* spec : {"fp8-e4m3", "fp8-e5m2", "fp8-e4m3-nosat", "fp8-e5m2-nosat"}) {
    SCOPED_TRACE(spec);
    const Format f = Format::parse(spec);
    EXPECT_EQ(f.spec(), spec);
    EXPECT_EQ(Format::parse(f.spec()), f);
    EXPECT_EQ(f.width(), 8);
    EXPECT_EQ(f.code_mask(), 0xFFu);
    EXPECT_EQ(f.sign_bit(), 7);
    EXPECT_FALSE(f.is_fixed());
    EXPECT_EQ(f.int_bits(), 0);
    EXPECT_EQ(f.frac_bits(), 0);
  }
  EXPECT_EQ(Format::parse("FP8-E4M3"), Format::fp8_e4m3());
  EXPECT_EQ(Format::parse("Fp8-E5m2-NoSat"), Format::fp8_e5m2(false));
  EXPECT_EQ(Format::parse("fp8-e4m3").kind(), Kind::kFloat8E4M3);
  EXPECT_EQ(Format::parse("fp8-e5m2-nosat").kind(), Kind::kFloat8E5M2);
  EXPECT_TRUE(Format::fp8_e4m3().saturates());
  EXPECT_FALSE(Format::fp8_e4m3(false).saturates());
  EXPECT_NE(Format::fp8_e4m3(), Format::fp8_e4m3(false));
  EXPECT_NE(Format::fp8_e5m2(), Format::fp8_e5m2(false));
  EXPECT_NE(Format::fp8_e4m3(), Format::fp8_e5m2());
  EXPECT_NE(Format::fp8_e4m3(), Format::parse("q4.4-2c"));
  // The other formats' saturation, as documented.
  EXPECT_TRUE(Format::parse("q2.6-2c").saturates());
  EXPECT_FALSE(Format::fp16().saturates());
  EXPECT_FALSE(Format::bf16().saturates());
}

std::string parse_error(const std::string& spec) {
  try {
    Format::parse(spec);
  } catch (const InputError& e) {
    return e.what();
  } catch (...) {
    ADD_FAILURE() << "'" << spec << "' threw something other than ares::InputError";
    return "";
  }
  ADD_FAILURE() << "'" << spec << "' parsed but should not";
  return "";
}

TEST(Fp8Parse, MalformedSpecsThrowOneLineNamingTheSpec) {
  for (const std::string spec :
       {"fp8", "fp8-", "fp8e4m3", "fp8-e3m4", "fp8-e4m3-", "fp8-e4m3-sat", "fp8-e5m2-nosat-x",
        "fp8-e4m3 ", "fp8--e4m3", "fp80", "fp8-e4m3nosat", "fp8-E6M1"}) {
    SCOPED_TRACE(spec);
    const std::string msg = parse_error(spec);
    EXPECT_EQ(msg.rfind("format '" + spec + "': ", 0), 0u) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
  EXPECT_EQ(parse_error("fp8"),
            "format 'fp8': expected fp8-e4m3 or fp8-e5m2, optionally with -nosat");
  EXPECT_EQ(parse_error("fp8-E6M1"),
            "format 'fp8-E6M1': unknown fp8 variant 'E6M1' (expected e4m3 or e5m2)");
  EXPECT_EQ(parse_error("fp8-e4m3-sat"),
            "format 'fp8-e4m3-sat': unknown fp8 option 'sat' (expected fp8-e4m3 or "
            "fp8-e4m3-nosat)");
  EXPECT_EQ(parse_error("fp8-e5m2-nosat-x"),
            "format 'fp8-e5m2-nosat-x': unknown fp8 option 'nosat-x' (expected fp8-e5m2 or "
            "fp8-e5m2-nosat)");
  EXPECT_EQ(parse_error("bf8"),
            "format 'bf8': unknown format (expected qI.F-2c, qI.F-sm, fp32, fp16, bf16, fp8-e4m3, "
            "fp8-e5m2, fp6-e2m3, fp6-e3m2, fp4-e2m1, e8m0, intN[-ch][-asym][-s16], mxfp8-e4m3, "
            "mxfp8-e5m2, mxfp6-e2m3, mxfp6-e3m2, mxfp4, mxint8 or afN-eE)");
}

TEST(Fp8Layout, RolesRangeAndLsb) {
  for (bool sat : {true, false}) {
    const Format e4 = Format::fp8_e4m3(sat);
    const Format e5 = Format::fp8_e5m2(sat);
    for (int b = 0; b < 8; ++b) {
      SCOPED_TRACE(b);
      const BitRole r4 = b == 7 ? BitRole::kSign : b >= 3 ? BitRole::kExponent : BitRole::kMantissa;
      const BitRole r5 = b == 7 ? BitRole::kSign : b >= 2 ? BitRole::kExponent : BitRole::kMantissa;
      EXPECT_EQ(e4.role(b), r4);
      EXPECT_EQ(e5.role(b), r5);
    }
    EXPECT_THROW(e4.role(8), InputError);
    EXPECT_THROW(e5.role(-1), InputError);
    EXPECT_EQ(e4.max_value(), 448.0);
    EXPECT_EQ(e4.min_value(), -448.0);
    EXPECT_EQ(e5.max_value(), 57344.0);
    EXPECT_EQ(e5.min_value(), -57344.0);
    EXPECT_EQ(e4.lsb(), 0.125);  // 1.0 = 0x38; the next code 0x39 is 1.125
    EXPECT_EQ(e5.lsb(), 0.25);   // 1.0 = 0x3C; 0x3D is 1.25
    EXPECT_EQ(static_cast<double>(e4.decode(0x39u) - e4.decode(0x38u)), e4.lsb());
    EXPECT_EQ(static_cast<double>(e5.decode(0x3Du) - e5.decode(0x3Cu)), e5.lsb());
  }
}

// ---- every code -----------------------------------------------------------------------------

// decode is bit-identical to the reference (NaN as a NaN with the code's sign); every code but
// NaN re-encodes to itself (Inf only without saturation); every single-bit flip of every code
// decodes to the reference value of the flipped code.
void check_every_code(const Ofp8& ref, bool saturating) {
  const Format f = make(ref, saturating);
  SCOPED_TRACE(f.spec());
  std::vector<uint32_t> codes(256);
  for (uint32_t c = 0; c < 256; ++c) codes[c] = c;
  std::vector<float> span(256);
  f.decode(codes.data(), span.data(), 256);
  int nans = 0;
  int infs = 0;
  for (uint32_t c = 0; c < 256; ++c) {
    SCOPED_TRACE(c);
    const RefValue r = ref_decode(ref, c);
    const float v = f.decode(c);
    ASSERT_EQ(bits_of(span[c]), bits_of(v));
    if (r.nan) {
      ++nans;
      ASSERT_TRUE(std::isnan(v));
      ASSERT_EQ(std::signbit(v), (c & 0x80u) != 0);
      continue;
    }
    ASSERT_EQ(bits_of(v), bits_of(static_cast<float>(r.value))) << v << " vs " << r.value;
    if (std::isinf(r.value)) {
      ++infs;
      ASSERT_EQ(f.encode(v), saturating ? (c & 0x80u) | 0x7Bu : c);
    } else {
      ASSERT_EQ(f.encode(v), c);
    }
    for (int b = 0; b < 8; ++b) {
      const uint32_t flipped = c ^ (1u << b);
      const RefValue rf = ref_decode(ref, flipped);
      const float fv = f.decode(flipped);
      if (rf.nan) {
        ASSERT_TRUE(std::isnan(fv)) << "bit " << b;
      } else {
        ASSERT_EQ(bits_of(fv), bits_of(static_cast<float>(rf.value))) << "bit " << b;
      }
    }
  }
  // The specification's counts: E4M3 has 2 NaNs and no Inf, E5M2 6 NaNs and 2 Infs.
  EXPECT_EQ(nans, ref.ieee_specials ? 6 : 2);
  EXPECT_EQ(infs, ref.ieee_specials ? 2 : 0);
}

TEST(Fp8Codes, E4M3EveryCodeAndEveryFlip) {
  check_every_code(kE4M3, true);
  check_every_code(kE4M3, false);
}

TEST(Fp8Codes, E5M2EveryCodeAndEveryFlip) {
  check_every_code(kE5M2, true);
  check_every_code(kE5M2, false);
}

// decode ignores the bits above the width, one value at a time and in spans (format.h).
TEST(Fp8Codes, BitsAboveTheWidthAreIgnored) {
  for (const Format& f : {Format::fp8_e4m3(), Format::fp8_e5m2()}) {
    std::vector<uint32_t> high(256);
    std::vector<float> span(256);
    for (uint32_t c = 0; c < 256; ++c) high[c] = c | 0xABCD0100u;
    f.decode(high.data(), span.data(), high.size());
    for (uint32_t c = 0; c < 256; ++c) {
      SCOPED_TRACE(c);
      const float want = f.decode(c);
      const float one = f.decode(high[c]);
      EXPECT_TRUE(std::memcmp(&one, &want, sizeof want) == 0);
      EXPECT_TRUE(std::memcmp(&span[c], &want, sizeof want) == 0);
    }
  }
}

TEST(Fp8Codes, SpecificationValues) {
  const Format e4 = Format::fp8_e4m3();
  const Format e5 = Format::fp8_e5m2();
  // The reference table itself, against the specification's numbers.
  const Table t4 = finite_table(kE4M3);
  const Table t5 = finite_table(kE5M2);
  EXPECT_EQ(t4.value.back(), kE4M3.max_finite);
  EXPECT_EQ(t4.code.back(), 0x7Eu);
  EXPECT_EQ(t4.value[1], kE4M3.min_subnormal);
  EXPECT_EQ(t5.value.back(), kE5M2.max_finite);
  EXPECT_EQ(t5.code.back(), 0x7Bu);
  EXPECT_EQ(t5.value[1], kE5M2.min_subnormal);
  // And the code under test.
  EXPECT_EQ(e4.decode(0x7Eu), 448.0f);
  EXPECT_EQ(e4.decode(0xFEu), -448.0f);
  EXPECT_EQ(e4.decode(0x78u), 256.0f);  // S.1111.000 is a normal number in E4M3
  EXPECT_EQ(e4.decode(0x01u), 0x1p-9f);
  EXPECT_EQ(e4.decode(0x08u), 0x1p-6f);  // min normal
  EXPECT_EQ(e4.decode(0x07u), 7 * 0x1p-9f);
  EXPECT_TRUE(std::isnan(e4.decode(0x7Fu)));
  EXPECT_TRUE(std::isnan(e4.decode(0xFFu)));
  EXPECT_EQ(e5.decode(0x7Bu), 57344.0f);
  EXPECT_EQ(e5.decode(0x01u), 0x1p-16f);
  EXPECT_EQ(e5.decode(0x04u), 0x1p-14f);
  EXPECT_EQ(e5.decode(0x7Cu), kInf);
  EXPECT_EQ(e5.decode(0xFCu), -kInf);
  for (uint32_t c : {0x7Du, 0x7Eu, 0x7Fu, 0xFDu, 0xFEu, 0xFFu}) {
    EXPECT_TRUE(std::isnan(e5.decode(c))) << c;
  }
  for (const Format& f : {e4, e5}) {
    EXPECT_EQ(bits_of(f.decode(0x00u)), 0x00000000u);
    EXPECT_EQ(bits_of(f.decode(0x80u)), 0x80000000u);  // -0.0f
    EXPECT_EQ(f.encode(-0.0f), 0x80u);
    EXPECT_EQ(f.encode(0.0f), 0x00u);
    EXPECT_EQ(f.encode(-1e-30f), 0x80u);  // rounds to zero, keeps the sign (as fp16)
    EXPECT_EQ(f.encode(1.0f), f.kind() == Kind::kFloat8E4M3 ? 0x38u : 0x3Cu);
  }
  // Typical flips: the top exponent bit of 1.0.
  EXPECT_EQ(e4.decode(0x38u ^ 0x40u), 256.0f);
  EXPECT_EQ(e5.decode(0x3Cu ^ 0x40u), kInf);  // 0x7C
}

// ---- encoding against the brute-force reference ----------------------------------------------

// Dense inputs: every float whose high 16 bits take any value, with low halves on and next to
// the rounding points of both formats (their dropped bits end at bit 19 or 20, so every exact
// midpoint between two fp8 values has a zero low half); plus every midpoint between adjacent
// values of the table (the beyond-max value included) and its float neighbours, every table
// value and its neighbours, and the specials.
std::vector<float> dense_inputs(const Ofp8& ref) {
  std::vector<float> v;
  for (uint32_t hi = 0; hi < 0x10000u; ++hi) {
    for (uint32_t lo : {0x0000u, 0x0001u, 0xFFFFu, 0x8000u, 0x5A5Au}) {
      v.push_back(float_of(hi << 16 | lo));
    }
  }
  const Table t = finite_table(ref);
  std::vector<double> values = t.value;
  values.push_back(beyond_max(ref).value);
  for (std::size_t k = 0; k < values.size(); ++k) {
    std::vector<float> points = {static_cast<float>(values[k])};
    if (k + 1 < values.size())
      points.push_back(static_cast<float>((values[k] + values[k + 1]) / 2));
    for (float p : points) {
      for (float s : {1.0f, -1.0f}) {
        v.push_back(s * p);
        v.push_back(s * std::nextafter(p, kInf));
        v.push_back(s * std::nextafter(p, 0.0f));
      }
    }
  }
  for (float x : {0.0f, -0.0f, kInf, -kInf, kNaN, -kNaN, 1e-45f, -1e-45f, 3.4e38f, -3.4e38f, 464.0f,
                  480.0f, 61440.0f, 65536.0f}) {
    v.push_back(x);
  }
  return v;
}

void check_encode(const Ofp8& ref, bool saturating) {
  const Format f = make(ref, saturating);
  SCOPED_TRACE(f.spec());
  const Table t = finite_table(ref);
  const std::vector<float> in = dense_inputs(ref);
  std::vector<uint32_t> span(in.size());
  f.encode(in.data(), span.data(), in.size());
  std::vector<float> quantized(in.size());
  f.quantize(in.data(), quantized.data(), in.size());
  std::size_t wrong = 0;
  for (std::size_t k = 0; k < in.size(); ++k) {
    const uint32_t expect = ref_encode(ref, t, saturating, in[k]);
    const uint32_t got = f.encode(in[k]);
    const bool ok =
        got == expect && span[k] == expect && bits_of(quantized[k]) == bits_of(f.decode(expect));
    if (!ok && wrong++ < 5) {
      ADD_FAILURE() << std::hex << "input 0x" << bits_of(in[k]) << " (" << in[k] << "): got 0x"
                    << got << " (span 0x" << span[k] << "), expected 0x" << expect;
    }
  }
  EXPECT_EQ(wrong, 0u) << "of " << in.size();
}

TEST(Fp8Encode, E4M3MatchesTheBruteForceReference) { check_encode(kE4M3, true); }
TEST(Fp8Encode, E4M3NoSatMatchesTheBruteForceReference) { check_encode(kE4M3, false); }
TEST(Fp8Encode, E5M2MatchesTheBruteForceReference) { check_encode(kE5M2, true); }
TEST(Fp8Encode, E5M2NoSatMatchesTheBruteForceReference) { check_encode(kE5M2, false); }

// The reference must be able to tell a wrong rounding from a right one.
TEST(Fp8Encode, ReferenceRoundsTiesToEven) {
  const Table t = finite_table(kE4M3);
  EXPECT_EQ(ref_encode(kE4M3, t, true, 0x1p-10f), 0x00u);      // 2^-10: tie 0 / 2^-9 -> 0
  EXPECT_EQ(ref_encode(kE4M3, t, true, 3 * 0x1p-10f), 0x02u);  // tie 1 / 2 -> 2
  EXPECT_EQ(ref_encode(kE4M3, t, true, 1.0625f), 0x38u);       // tie 1.0 / 1.125 -> 1.0
  EXPECT_EQ(ref_encode(kE4M3, t, true, 1.1875f), 0x3Au);       // tie 1.125 / 1.25 -> 1.25
  EXPECT_EQ(ref_encode(kE4M3, t, true, 1.0626f), 0x39u);
}

// ---- saturation at the boundaries -------------------------------------------------------------

TEST(Fp8Saturation, E4M3Boundaries) {
  const Format sat = Format::fp8_e4m3();
  const Format nosat = Format::fp8_e4m3(false);
  const float above_tie = std::nextafter(464.0f, kInf);
  for (float s : {1.0f, -1.0f}) {
    const uint32_t sign = s < 0 ? 0x80u : 0u;
    SCOPED_TRACE(s);
    // 448 + 16 = 464 is the midpoint to the would-be 480 (odd mantissa 111): it rounds down.
    EXPECT_EQ(sat.encode(s * 448.0f), sign | 0x7Eu);
    EXPECT_EQ(sat.encode(s * 464.0f), sign | 0x7Eu);
    EXPECT_EQ(sat.encode(s * above_tie), sign | 0x7Eu);
    EXPECT_EQ(sat.encode(s * 480.0f), sign | 0x7Eu);
    EXPECT_EQ(sat.encode(s * 1e30f), sign | 0x7Eu);
    EXPECT_EQ(sat.encode(s * kInf), sign | 0x7Eu);
    EXPECT_EQ(nosat.encode(s * 448.0f), sign | 0x7Eu);
    EXPECT_EQ(nosat.encode(s * 464.0f), sign | 0x7Eu);
    EXPECT_EQ(nosat.encode(s * above_tie), sign | 0x7Fu);  // NaN: E4M3 has no Inf
    EXPECT_EQ(nosat.encode(s * 480.0f), sign | 0x7Fu);
    EXPECT_EQ(nosat.encode(s * kInf), sign | 0x7Fu);
    EXPECT_TRUE(std::isnan(nosat.quantize(s * above_tie)));
    EXPECT_EQ(sat.quantize(s * kInf), s * 448.0f);
    // NaN stays NaN in both modes, with its sign (s * NaN would not set the sign on x86).
    EXPECT_EQ(sat.encode(std::copysign(kNaN, s)), sign | 0x7Fu);
    EXPECT_EQ(nosat.encode(std::copysign(kNaN, s)), sign | 0x7Fu);
  }
  // Just below the top: 432 is the midpoint of 416 (odd mantissa 101) and 448 (even 110).
  EXPECT_EQ(sat.encode(432.0f), 0x7Eu);
  EXPECT_EQ(sat.encode(std::nextafter(432.0f, 0.0f)), 0x7Du);
}

TEST(Fp8Saturation, E5M2Boundaries) {
  const Format sat = Format::fp8_e5m2();
  const Format nosat = Format::fp8_e5m2(false);
  const float below_tie = std::nextafter(61440.0f, 0.0f);
  for (float s : {1.0f, -1.0f}) {
    const uint32_t sign = s < 0 ? 0x80u : 0u;
    SCOPED_TRACE(s);
    // 57344 + 4096 = 61440 is the midpoint to 2^16 (even mantissa 00): it rounds up, overflows.
    EXPECT_EQ(sat.encode(s * 57344.0f), sign | 0x7Bu);
    EXPECT_EQ(sat.encode(s * below_tie), sign | 0x7Bu);
    EXPECT_EQ(sat.encode(s * 61440.0f), sign | 0x7Bu);
    EXPECT_EQ(sat.encode(s * 65536.0f), sign | 0x7Bu);
    EXPECT_EQ(sat.encode(s * kInf), sign | 0x7Bu);
    EXPECT_EQ(nosat.encode(s * 57344.0f), sign | 0x7Bu);
    EXPECT_EQ(nosat.encode(s * below_tie), sign | 0x7Bu);
    EXPECT_EQ(nosat.encode(s * 61440.0f), sign | 0x7Cu);  // +-Inf
    EXPECT_EQ(nosat.encode(s * 1e30f), sign | 0x7Cu);
    EXPECT_EQ(nosat.encode(s * kInf), sign | 0x7Cu);
    EXPECT_EQ(nosat.quantize(s * 61440.0f), s * kInf);
    EXPECT_EQ(sat.quantize(s * kInf), s * 57344.0f);
    EXPECT_EQ(sat.encode(std::copysign(kNaN, s)), sign | 0x7Eu);
    EXPECT_EQ(nosat.encode(std::copysign(kNaN, s)), sign | 0x7Eu);
  }
}

TEST(Fp8Saturation, SubnormalBoundaries) {
  const Format e4 = Format::fp8_e4m3();
  const Format e5 = Format::fp8_e5m2();
  // Half the smallest subnormal ties to zero (even); just above it rounds up.
  EXPECT_EQ(e4.encode(0x1p-10f), 0x00u);
  EXPECT_EQ(e4.encode(std::nextafter(0x1p-10f, 1.0f)), 0x01u);
  EXPECT_EQ(e4.encode(-0x1p-10f), 0x80u);
  EXPECT_EQ(e5.encode(0x1p-17f), 0x00u);
  EXPECT_EQ(e5.encode(std::nextafter(0x1p-17f, 1.0f)), 0x01u);
  // Between the largest subnormal and the smallest normal: 7.5 * 2^-9 ties to 8 * 2^-9 = 0x08.
  EXPECT_EQ(e4.encode(7.5f * 0x1p-9f), 0x08u);
  EXPECT_EQ(e5.encode(3.5f * 0x1p-16f), 0x04u);
  EXPECT_EQ(e5.encode(2.5f * 0x1p-16f), 0x02u);
}

}  // namespace
}  // namespace ares::format
