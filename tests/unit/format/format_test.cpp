#include "ares/format/format.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "ares/common/error.h"
#include "float_bits.h"

namespace ares::format {
namespace {

using testing::bits_of;
using testing::float_of;
using testing::kInf;
using testing::kNaN;

// A small deterministic generator (splitmix64) so the tests do not depend on <random>.
struct SplitMix {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
};

// Inputs that exercise every path: specials, zeros, ties, huge and tiny values, and random
// bit patterns (all exponents) plus random values in [-4, 4).
std::vector<float> mixed_inputs() {
  std::vector<float> v = {0.0f,     -0.0f,    kInf,     -kInf,      kNaN,          -kNaN,
                          1.0f,     -1.0f,    0.5f,     -0.5f,      1.5f,          -1.5f,
                          FLT_MAX,  -FLT_MAX, FLT_MIN,  -FLT_MIN,   1e-45f,        -1e-45f,
                          65504.0f, 65520.0f, 65519.0f, 1.0f / 128, -1.0f / 128,   3.0f / 128,
                          2.0f,     -2.0f,    1e9f,     -1e9f,      2147483648.0f, -2147483648.0f};
  SplitMix rng{12345};
  for (int k = 0; k < 4000; ++k) v.push_back(float_of(static_cast<uint32_t>(rng.next())));
  for (int k = 0; k < 4000; ++k) {
    v.push_back(static_cast<float>(static_cast<double>(rng.next() >> 11) * 0x1p-53 * 8.0 - 4.0));
  }
  return v;
}

std::vector<Format> all_kinds_sample() {
  return {Format::parse("q2.6-2c"),
          Format::parse("q2.6-sm"),
          Format::parse("q1.15-2c"),
          Format::parse("q8.8-sm"),
          Format::parse("q1.31-2c"),
          Format::parse("q32.0-sm"),
          Format::parse("q16.16-2c"),
          Format::parse("q1.1-sm"),
          Format::fp32(),
          Format::fp16(),
          Format::bf16(),
          Format::parse("fp8-e4m3"),
          Format::parse("fp8-e5m2"),
          Format::parse("fp8-e4m3-nosat"),
          Format::parse("fp8-e5m2-nosat")};
}

// ---- parsing --------------------------------------------------------------------------------

TEST(FormatParse, EveryValidFixedSpecRoundTrips) {
  for (int w = 2; w <= 32; ++w) {
    for (int i = 1; i <= w; ++i) {
      for (bool sm : {false, true}) {
        const Format f = Format::fixed(i, w - i, sm);
        const std::string spec =
            "q" + std::to_string(i) + "." + std::to_string(w - i) + (sm ? "-sm" : "-2c");
        EXPECT_EQ(f.spec(), spec);
        EXPECT_EQ(Format::parse(spec), f);
        EXPECT_EQ(f.kind(), sm ? Kind::kFixedSm : Kind::kFixed2c);
        EXPECT_TRUE(f.is_fixed());
        EXPECT_EQ(f.width(), w);
        EXPECT_EQ(f.int_bits(), i);
        EXPECT_EQ(f.frac_bits(), w - i);
      }
    }
  }
}

TEST(FormatParse, FloatsAndCaseInsensitivity) {
  EXPECT_EQ(Format::parse("fp32"), Format::fp32());
  EXPECT_EQ(Format::parse("FP16"), Format::fp16());
  EXPECT_EQ(Format::parse("Bf16"), Format::bf16());
  EXPECT_EQ(Format::parse("Q2.6-SM"), Format::fixed(2, 6, true));
  EXPECT_EQ(Format::parse("q2.6-2C"), Format::fixed(2, 6, false));
  EXPECT_NE(Format::parse("q2.6-2c"), Format::parse("q2.6-sm"));
  EXPECT_NE(Format::fp16(), Format::bf16());
  for (const char* s : {"fp32", "fp16", "bf16"}) EXPECT_EQ(Format::parse(s).spec(), s);
  EXPECT_EQ(Format::fp32().width(), 32);
  EXPECT_EQ(Format::fp16().width(), 16);
  EXPECT_EQ(Format::bf16().width(), 16);
  EXPECT_EQ(Format::fp16().int_bits(), 0);
  EXPECT_EQ(Format::fp16().frac_bits(), 0);
  EXPECT_FALSE(Format::fp16().is_fixed());
}

// Returns the message of the InputError that parse(spec) throws, or "" with a failure.
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

TEST(FormatParse, MalformedSpecsThrowOneLineNamingTheSpec) {
  for (const std::string spec : {"q0.0-sm",  "q20.20-2c", "q2.6-xx", "fp8",
                                 "",         "q2.-2c",    "q2.6",    "q1.0-2c",
                                 "q.6-2c",   "q2.6-",     "q2.6x2c", "q-1.6-2c",
                                 "q2.6-2c ", " fp16",     "q",       "q99999999999.1-sm",
                                 "q33.0-2c", "q0.8-2c",   "fp",      "float"}) {
    SCOPED_TRACE(spec);
    const std::string msg = parse_error(spec);
    EXPECT_NE(msg.find("format '" + spec + "'"), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
  EXPECT_EQ(parse_error("q0.0-sm"), "format 'q0.0-sm': integer bits must be >= 1");
  EXPECT_EQ(parse_error("q20.20-2c"), "format 'q20.20-2c': total width 40 exceeds 32 bits");
  EXPECT_EQ(parse_error("q2.6-xx"), "format 'q2.6-xx': unknown encoding 'xx' (expected 2c or sm)");
  EXPECT_EQ(parse_error("foo"),
            "format 'foo': unknown format (expected qI.F-2c, qI.F-sm, fp32, fp16, bf16, fp8-e4m3, "
            "fp8-e5m2, fp6-e2m3, fp6-e3m2, fp4-e2m1, e8m0, intN[-ch][-asym][-s16], mxfp8-e4m3, "
            "mxfp8-e5m2, mxfp6-e2m3, mxfp6-e3m2, mxfp4, mxint8 or afN-eE)");
  EXPECT_EQ(parse_error("q1.0-2c"), "format 'q1.0-2c': width 1 is below 2");
}

TEST(FormatParse, FixedRejectsInvalidWidths) {
  EXPECT_THROW(Format::fixed(0, 8, false), InputError);
  EXPECT_THROW(Format::fixed(2, -1, true), InputError);
  EXPECT_THROW(Format::fixed(1, 0, true), InputError);
  EXPECT_THROW(Format::fixed(16, 17, false), InputError);
  EXPECT_NO_THROW(Format::fixed(1, 31, true));
  EXPECT_NO_THROW(Format::fixed(32, 0, false));
}

// ---- layout ---------------------------------------------------------------------------------

TEST(FormatLayout, RolesOfQ26TwosComplement) {
  const Format f = Format::parse("q2.6-2c");
  EXPECT_EQ(f.sign_bit(), 7);
  EXPECT_EQ(f.msb(), 6);
  EXPECT_EQ(f.code_mask(), 0xFFu);
  EXPECT_EQ(f.role(7), BitRole::kSign);
  EXPECT_EQ(f.role(6), BitRole::kInteger);
  for (int b = 0; b < 6; ++b) EXPECT_EQ(f.role(b), BitRole::kFraction) << b;
  EXPECT_THROW(f.role(8), InputError);
  EXPECT_THROW(f.role(-1), InputError);
  // q4.0: no fraction bits; q1.7: no integer bits besides the sign.
  const Format g = Format::parse("q4.0-sm");
  EXPECT_EQ(g.role(3), BitRole::kSign);
  for (int b = 0; b < 3; ++b) EXPECT_EQ(g.role(b), BitRole::kInteger);
  const Format h = Format::parse("q1.7-2c");
  EXPECT_EQ(h.role(7), BitRole::kSign);
  for (int b = 0; b < 7; ++b) EXPECT_EQ(h.role(b), BitRole::kFraction);
}

TEST(FormatLayout, RolesOfFloats) {
  const Format h = Format::fp16();
  EXPECT_EQ(h.sign_bit(), 15);
  EXPECT_EQ(h.msb(), 14);
  EXPECT_EQ(h.code_mask(), 0xFFFFu);
  EXPECT_EQ(h.role(15), BitRole::kSign);
  for (int b = 10; b < 15; ++b) EXPECT_EQ(h.role(b), BitRole::kExponent) << b;
  for (int b = 0; b < 10; ++b) EXPECT_EQ(h.role(b), BitRole::kMantissa) << b;
  const Format b16 = Format::bf16();
  EXPECT_EQ(b16.role(15), BitRole::kSign);
  for (int b = 7; b < 15; ++b) EXPECT_EQ(b16.role(b), BitRole::kExponent) << b;
  for (int b = 0; b < 7; ++b) EXPECT_EQ(b16.role(b), BitRole::kMantissa) << b;
  const Format s = Format::fp32();
  EXPECT_EQ(s.code_mask(), 0xFFFFFFFFu);
  EXPECT_EQ(s.role(31), BitRole::kSign);
  for (int b = 23; b < 31; ++b) EXPECT_EQ(s.role(b), BitRole::kExponent) << b;
  for (int b = 0; b < 23; ++b) EXPECT_EQ(s.role(b), BitRole::kMantissa) << b;
}

TEST(FormatLayout, RoleNames) {
  EXPECT_STREQ(to_string(BitRole::kSign), "sign");
  EXPECT_STREQ(to_string(BitRole::kInteger), "integer");
  EXPECT_STREQ(to_string(BitRole::kFraction), "fraction");
  EXPECT_STREQ(to_string(BitRole::kExponent), "exponent");
  EXPECT_STREQ(to_string(BitRole::kMantissa), "mantissa");
}

TEST(FormatLayout, RangeAndLsb) {
  const Format q2c = Format::parse("q2.6-2c");
  EXPECT_EQ(q2c.min_value(), -2.0);
  EXPECT_EQ(q2c.max_value(), 1.984375);
  EXPECT_EQ(q2c.lsb(), 1.0 / 64);
  const Format qsm = Format::parse("q2.6-sm");
  EXPECT_EQ(qsm.min_value(), -1.984375);
  EXPECT_EQ(qsm.max_value(), 1.984375);
  EXPECT_EQ(qsm.lsb(), 1.0 / 64);
  const Format q32 = Format::parse("q32.0-2c");
  EXPECT_EQ(q32.min_value(), -2147483648.0);
  EXPECT_EQ(q32.max_value(), 2147483647.0);
  EXPECT_EQ(q32.lsb(), 1.0);
  const Format q131 = Format::parse("q1.31-sm");
  EXPECT_EQ(q131.max_value(), 1.0 - std::ldexp(1.0, -31));
  EXPECT_EQ(q131.min_value(), -(1.0 - std::ldexp(1.0, -31)));
  EXPECT_EQ(q131.lsb(), std::ldexp(1.0, -31));
  EXPECT_EQ(Format::fp32().max_value(), FLT_MAX);
  EXPECT_EQ(Format::fp32().min_value(), -FLT_MAX);
  EXPECT_EQ(Format::fp16().max_value(), 65504.0);
  EXPECT_EQ(Format::fp16().min_value(), -65504.0);
  EXPECT_EQ(Format::bf16().max_value(), static_cast<double>(float_of(0x7F7F0000u)));
  EXPECT_EQ(Format::bf16().min_value(), -static_cast<double>(float_of(0x7F7F0000u)));
  EXPECT_EQ(Format::fp32().lsb(), std::ldexp(1.0, -23));
  EXPECT_EQ(Format::fp16().lsb(), std::ldexp(1.0, -10));
  EXPECT_EQ(Format::bf16().lsb(), std::ldexp(1.0, -7));
  // Max and min are representable: they quantize to themselves.
  for (const Format& f : all_kinds_sample()) {
    if (f.width() > 24) continue;  // float cannot hold every value of a wider fixed format
    SCOPED_TRACE(f.spec());
    EXPECT_EQ(f.quantize(static_cast<float>(f.max_value())), static_cast<float>(f.max_value()));
    EXPECT_EQ(f.quantize(static_cast<float>(f.min_value())), static_cast<float>(f.min_value()));
  }
}

// ---- fixed point: every code of every format up to 16 bits -----------------------------------

// Checks one fixed format over all its codes. Uses the span decode to build a table of every
// code's value, then checks the table against an independent reference and every single-bit
// flip against the arithmetic meaning of that bit. Reports the first mismatch only.
void check_fixed_exhaustively(const Format& f) {
  const int w = f.width();
  const int i = f.int_bits();
  const int fb = f.frac_bits();
  const bool sm = f.kind() == Kind::kFixedSm;
  const uint32_t n_codes = 1u << w;
  const uint32_t sign = 1u << (w - 1);
  const double unit = std::ldexp(1.0, -fb);

  std::vector<uint32_t> codes(n_codes);
  for (uint32_t c = 0; c < n_codes; ++c) codes[c] = c;
  std::vector<float> values(n_codes);
  f.decode(codes.data(), values.data(), n_codes);
  std::vector<uint32_t> reencoded(n_codes);
  f.encode(values.data(), reencoded.data(), n_codes);

  std::vector<double> bit_weight(w);  // what bit b adds to the magnitude: 2^(b - f)
  for (int b = 0; b < w; ++b) bit_weight[b] = std::ldexp(1.0, b - fb);
  const double sign_jump = std::ldexp(1.0, i - 1);  // 2c: what a sign flip moves a value by

  for (uint32_t c = 0; c < n_codes; ++c) {
    const float v = values[c];
    // Reference value of the code.
    double ref;
    if (sm) {
      ref = static_cast<double>(c & (sign - 1)) * unit;
      if (c & sign) ref = -ref;
    } else {
      ref = static_cast<double>(c & sign ? static_cast<int64_t>(c) - (int64_t{1} << w)
                                         : static_cast<int64_t>(c)) *
            unit;
    }
    if (static_cast<double>(v) != ref || f.decode(c) != v) {
      ADD_FAILURE() << f.spec() << ": code " << c << " decodes to " << v << ", expected " << ref;
      return;
    }
    // Re-encoding gives the same code; SM's negative zero is stored back as +0.
    const bool negative_zero = sm && c == sign;
    const uint32_t expect_code = negative_zero ? 0u : c;
    if (reencoded[c] != expect_code || f.encode(v) != expect_code) {
      ADD_FAILURE() << f.spec() << ": code " << c << " re-encodes to " << reencoded[c];
      return;
    }
    if (negative_zero && !(v == 0.0f && std::signbit(v))) {
      ADD_FAILURE() << f.spec() << ": sign-only code should decode to -0.0, got " << v;
      return;
    }
    if (f.decode(f.encode(v)) != v) {  // numeric compare: -0.0 == +0.0
      ADD_FAILURE() << f.spec() << ": decode(encode(decode(" << c << "))) != decode(" << c << ")";
      return;
    }
    for (int b = 0; b < w; ++b) {
      const uint32_t m = 1u << b;
      const uint32_t flipped = c ^ m;
      const double fv = static_cast<double>(values[flipped]);
      const double dv = static_cast<double>(v);
      bool ok = (flipped ^ m) == c && values[flipped ^ m] == v;
      if (b == w - 1) {
        if (sm) {
          ok = ok && fv == -dv && std::signbit(values[flipped]) != std::signbit(v);
        } else {
          ok = ok && fv == (dv >= 0 ? dv - sign_jump : dv + sign_jump);
        }
      } else {
        const double delta = bit_weight[b];
        const bool was_set = (c & m) != 0;
        if (sm) {
          ok = ok && std::fabs(fv) == std::fabs(dv) + (was_set ? -delta : delta) &&
               std::signbit(values[flipped]) == std::signbit(v);
        } else {
          ok = ok && fv == dv + (was_set ? -delta : delta);
        }
      }
      if (!ok) {
        ADD_FAILURE() << f.spec() << ": flipping bit " << b << " of code " << c << " (value " << v
                      << ") gives " << fv;
        return;
      }
    }
  }
}

TEST(FormatFixed, EveryCodeOfEveryFormatUpTo16Bits) {
  for (int w = 2; w <= 16; ++w) {
    for (int i = 1; i <= w; ++i) {
      for (bool sm : {false, true}) check_fixed_exhaustively(Format::fixed(i, w - i, sm));
    }
  }
}

TEST(FormatFixed, SignFlipExamples) {
  const Format q2c = Format::parse("q2.6-2c");
  const Format qsm = Format::parse("q2.6-sm");
  EXPECT_EQ(q2c.encode(0.5f), 0x20u);
  EXPECT_EQ(q2c.decode(q2c.encode(0.5f) ^ 0x80u), -1.5f);
  EXPECT_EQ(q2c.decode(q2c.encode(-0.5f) ^ 0x80u), 1.5f);
  EXPECT_EQ(qsm.encode(0.5f), 0x20u);
  EXPECT_EQ(qsm.encode(-0.5f), 0xA0u);
  EXPECT_EQ(qsm.decode(qsm.encode(0.5f) ^ 0x80u), -0.5f);
  EXPECT_EQ(qsm.decode(qsm.encode(-0.5f) ^ 0x80u), 0.5f);
  // The integer bit (bit 6) is worth 1.
  EXPECT_EQ(q2c.decode(q2c.encode(0.5f) ^ 0x40u), 1.5f);
  EXPECT_EQ(qsm.decode(qsm.encode(-0.5f) ^ 0x40u), -1.5f);
}

TEST(FormatFixed, SaturatesBeyondTheRange) {
  const Format q2c = Format::parse("q2.6-2c");
  const Format qsm = Format::parse("q2.6-sm");
  for (float big : {2.0f, 1.9921875f, 100.0f, 1e30f, FLT_MAX, kInf}) {
    SCOPED_TRACE(big);
    EXPECT_EQ(q2c.encode(big), 0x7Fu);
    EXPECT_EQ(q2c.quantize(big), 1.984375f);
    EXPECT_EQ(q2c.encode(-big - 1.0f), 0x80u);
    EXPECT_EQ(q2c.quantize(-big - 1.0f), -2.0f);
    EXPECT_EQ(qsm.encode(big), 0x7Fu);
    EXPECT_EQ(qsm.encode(-big), 0xFFu);
    EXPECT_EQ(qsm.quantize(-big), -1.984375f);
  }
  EXPECT_EQ(q2c.encode(-2.0f), 0x80u);
  EXPECT_EQ(q2c.encode(-2.0078125f), 0x80u);  // rounds to -2 - 1/128 -> tie, saturates anyway
  // 32-bit widths: the int64 path must not overflow.
  const Format q32 = Format::parse("q32.0-2c");
  EXPECT_EQ(q32.encode(kInf), 0x7FFFFFFFu);
  EXPECT_EQ(q32.encode(-kInf), 0x80000000u);
  EXPECT_EQ(q32.encode(3e9f), 0x7FFFFFFFu);
  EXPECT_EQ(q32.encode(-3e9f), 0x80000000u);
  EXPECT_EQ(q32.encode(-1.0f), 0xFFFFFFFFu);
  EXPECT_EQ(q32.decode(0x80000000u), -2147483648.0f);
  EXPECT_EQ(q32.decode(0xFFFFFFFFu), -1.0f);
  EXPECT_EQ(q32.encode(16777216.0f), 16777216u);
  const Format q32sm = Format::parse("q32.0-sm");
  EXPECT_EQ(q32sm.encode(-kInf), 0xFFFFFFFFu);
  EXPECT_EQ(q32sm.encode(-5.0f), 0x80000005u);
  EXPECT_EQ(q32sm.decode(0x80000005u), -5.0f);
  EXPECT_EQ(q32sm.decode(0x80000000u), 0.0f);
  EXPECT_TRUE(std::signbit(q32sm.decode(0x80000000u)));
  const Format q131 = Format::parse("q1.31-2c");
  EXPECT_EQ(q131.encode(1.0f), 0x7FFFFFFFu);
  EXPECT_EQ(q131.encode(-1.0f), 0x80000000u);
  EXPECT_EQ(q131.encode(0.5f), 0x40000000u);
  EXPECT_EQ(q131.encode(-0.5f), 0xC0000000u);
  EXPECT_EQ(q131.decode(0xC0000000u), -0.5f);
  EXPECT_EQ(q131.decode(0x80000000u), -1.0f);
  EXPECT_EQ(q131.encode(std::ldexp(1.0f, -31)), 1u);
  EXPECT_EQ(q131.encode(std::ldexp(1.0f, -32)), 0u);  // tie -> even
  EXPECT_EQ(q131.encode(std::ldexp(3.0f, -32)), 2u);  // tie -> even
}

TEST(FormatFixed, RoundsToNearestTiesToEven) {
  const Format q2c = Format::parse("q2.6-2c");
  const Format qsm = Format::parse("q2.6-sm");
  const float u = 1.0f / 64;
  for (const Format& f : {q2c, qsm}) {
    SCOPED_TRACE(f.spec());
    EXPECT_EQ(f.quantize(0.5f * u), 0.0f);
    EXPECT_EQ(f.quantize(1.5f * u), 2 * u);
    EXPECT_EQ(f.quantize(2.5f * u), 2 * u);
    EXPECT_EQ(f.quantize(3.5f * u), 4 * u);
    EXPECT_EQ(f.quantize(-1.5f * u), -2 * u);
    EXPECT_EQ(f.quantize(-2.5f * u), -2 * u);
    EXPECT_EQ(f.quantize(0.49f * u), 0.0f);
    EXPECT_EQ(f.quantize(0.51f * u), u);
    EXPECT_EQ(f.quantize(1.007f), 1.0f);      // 64.448 units
    EXPECT_EQ(f.quantize(1.01f), 1.015625f);  // 64.64 units
    EXPECT_EQ(f.quantize(0.1f), 6 * u);       // 6.4 units
    EXPECT_EQ(f.quantize(-0.1f), -6 * u);
    EXPECT_EQ(f.quantize(1e-30f), 0.0f);
  }
  // Values that round to zero are stored as +0, never as negative zero.
  EXPECT_EQ(qsm.encode(-0.5f * u), 0u);
  EXPECT_EQ(qsm.encode(-0.0f), 0u);
  EXPECT_EQ(qsm.encode(-1e-30f), 0u);
  EXPECT_FALSE(std::signbit(qsm.quantize(-0.0f)));
  EXPECT_EQ(q2c.encode(-0.0f), 0u);
  EXPECT_EQ(q2c.encode(-0.5f * u), 0u);
  EXPECT_EQ(q2c.encode(-u), 0xFFu);
}

TEST(FormatFixed, NaNEncodesAsZero) {
  for (const char* spec : {"q2.6-2c", "q2.6-sm", "q32.0-2c", "q1.31-sm", "q8.8-sm"}) {
    const Format f = Format::parse(spec);
    EXPECT_EQ(f.encode(kNaN), 0u) << spec;
    EXPECT_EQ(f.encode(-kNaN), 0u) << spec;
    EXPECT_EQ(f.encode(float_of(0x7F800001u)), 0u) << spec;  // signalling NaN
  }
}

TEST(FormatFixed, DecodeIgnoresBitsAboveWidth) {
  for (const Format& f : all_kinds_sample()) {
    if (f.width() == 32) continue;
    SCOPED_TRACE(f.spec());
    for (uint32_t c : {0u, 1u, 0x5Au, 0x80u, 0x7Fu}) {
      const uint32_t code = c & f.code_mask();
      const float a = f.decode(code);
      const float b = f.decode(code | ~f.code_mask());
      EXPECT_EQ(bits_of(a), bits_of(b));
    }
  }
}

// ---- fp16 -----------------------------------------------------------------------------------

TEST(FormatFp16, KnownBitPatterns) {
  const Format h = Format::fp16();
  EXPECT_EQ(h.encode(1.0f), 0x3C00u);
  EXPECT_EQ(h.encode(-2.0f), 0xC000u);
  EXPECT_EQ(h.encode(65504.0f), 0x7BFFu);
  EXPECT_EQ(h.encode(-65504.0f), 0xFBFFu);
  EXPECT_EQ(h.encode(std::ldexp(1.0f, -24)), 0x0001u);
  EXPECT_EQ(h.decode(0x0001u), std::ldexp(1.0f, -24));
  EXPECT_EQ(h.encode(std::ldexp(1.0f, -14)), 0x0400u);
  EXPECT_EQ(h.decode(0x03FFu), std::ldexp(1023.0f, -24));
  EXPECT_EQ(h.encode(65520.0f), 0x7C00u);  // halfway to 65536 -> even -> Inf
  EXPECT_EQ(h.encode(65519.996f), 0x7BFFu);
  EXPECT_EQ(h.encode(-65520.0f), 0xFC00u);
  EXPECT_EQ(h.encode(1e10f), 0x7C00u);
  EXPECT_EQ(h.encode(FLT_MAX), 0x7C00u);
  EXPECT_EQ(h.encode(kInf), 0x7C00u);
  EXPECT_EQ(h.encode(-kInf), 0xFC00u);
  EXPECT_EQ(h.encode(1.0f / 3.0f), 0x3555u);
  EXPECT_EQ(h.encode(0.1f), 0x2E66u);
  EXPECT_EQ(h.encode(0.0f), 0x0000u);
  EXPECT_EQ(h.encode(-0.0f), 0x8000u);
  EXPECT_EQ(h.encode(std::ldexp(1.0f, -25)), 0x0000u);  // tie -> even (0)
  EXPECT_EQ(h.encode(std::ldexp(1.5f, -25)), 0x0001u);  // above the tie
  EXPECT_EQ(h.encode(std::ldexp(3.0f, -25)), 0x0002u);  // 1.5 units -> 2
  EXPECT_EQ(h.encode(std::ldexp(1.0f, -26)), 0x0000u);
  EXPECT_EQ(h.encode(-std::ldexp(1.0f, -26)), 0x8000u);
  EXPECT_EQ(h.encode(1.0f + std::ldexp(1.0f, -11)), 0x3C00u);  // tie -> even
  EXPECT_EQ(h.encode(1.0f + std::ldexp(3.0f, -11)), 0x3C02u);  // tie -> even (up)
  EXPECT_EQ(h.encode(std::ldexp(2047.0f, -25)), 0x0400u);      // rounds up into the normals
  EXPECT_EQ(h.decode(0x7C00u), kInf);
  EXPECT_EQ(h.decode(0xFC00u), -kInf);
  EXPECT_TRUE(std::isnan(h.decode(0x7E00u)));
  EXPECT_TRUE(std::isnan(h.decode(0x7C01u)));
  const uint32_t nan_code = h.encode(kNaN);
  EXPECT_EQ(nan_code & 0x7C00u, 0x7C00u);
  EXPECT_NE(nan_code & 0x03FFu, 0u);
  EXPECT_NE(nan_code & 0x0200u, 0u);  // quiet
  EXPECT_EQ(h.encode(-kNaN) & 0x8000u, 0x8000u);
  const uint32_t snan_code = h.encode(float_of(0x7F800001u));  // payload only in low bits
  EXPECT_TRUE(std::isnan(h.decode(snan_code)));
}

TEST(FormatFp16, EveryCodeRoundTrips) {
  const Format h = Format::fp16();
  for (uint32_t c = 0; c < 65536u; ++c) {
    const float v = h.decode(c);
    const uint32_t back = h.encode(v);
    const bool is_nan_code = (c & 0x7C00u) == 0x7C00u && (c & 0x3FFu) != 0;
    if (is_nan_code) {
      ASSERT_TRUE(std::isnan(v)) << c;
      ASSERT_TRUE(std::isnan(h.decode(back))) << c;
      ASSERT_EQ(back & 0x8000u, c & 0x8000u) << c;
    } else {
      ASSERT_EQ(back, c) << "code " << c << " value " << v;
      // Independent reference for the value.
      const int e = static_cast<int>((c >> 10) & 0x1F);
      const double m = static_cast<double>(c & 0x3FF);
      const double mag = e == 0x1F ? HUGE_VAL
                         : e == 0  ? std::ldexp(m, -24)
                                   : std::ldexp(1024.0 + m, e - 25);
      ASSERT_EQ(static_cast<double>(v), (c & 0x8000u) ? -mag : mag) << c;
    }
    for (int b = 0; b < 16; ++b) ASSERT_EQ((c ^ (1u << b)) ^ (1u << b), c);
  }
}

// Independent reference: the fp16 value nearest to x (ties to even), computed in double.
double fp16_reference(float x) {
  const double ax = std::fabs(static_cast<double>(x));
  if (std::isinf(ax)) return static_cast<double>(x);
  int e;
  std::frexp(ax, &e);  // ax = m * 2^e, m in [0.5, 1)
  // Units of the fp16 spacing at ax: 2^(e - 11) for normals, 2^-24 for subnormals.
  const int unit_exp = std::max(e - 11, -24);
  const double r = std::ldexp(std::nearbyint(std::ldexp(ax, -unit_exp)), unit_exp);
  const double mag = r > 65504.0 ? HUGE_VAL : r;
  return std::signbit(x) ? -mag : mag;
}

TEST(FormatFp16, RandomValuesMatchAReference) {
  const Format h = Format::fp16();
  SplitMix rng{2024};
  for (int k = 0; k < 200000; ++k) {
    // Random sign and mantissa; exponents from well below the subnormals to beyond 65504.
    const uint32_t r = static_cast<uint32_t>(rng.next());
    const uint32_t exponent = 127 - 30 + (r >> 8) % 50;  // 2^-30 .. 2^19
    const float x = float_of((r & 0x80000000u) | (exponent << 23) | (r & 0x7FFFFFu));
    ASSERT_EQ(static_cast<double>(h.quantize(x)), fp16_reference(x)) << x;
  }
}

TEST(FormatFp16, MidpointsRoundToEven) {
  const Format h = Format::fp16();
  // Every pair of adjacent positive finite codes, including subnormals and 65504 -> Inf.
  for (uint32_t c = 0; c < 0x7C00u; ++c) {
    const double lo = static_cast<double>(h.decode(c));
    const double hi = c + 1 == 0x7C00u ? 65536.0 : static_cast<double>(h.decode(c + 1));
    const float mid = static_cast<float>((lo + hi) / 2);  // exact: needs 12 significant bits
    ASSERT_EQ(static_cast<double>(mid), (lo + hi) / 2);
    const uint32_t even = (c & 1u) ? c + 1 : c;
    ASSERT_EQ(h.encode(mid), even) << c;
    ASSERT_EQ(h.encode(-mid), even | 0x8000u) << c;
    ASSERT_EQ(h.encode(std::nextafter(mid, 0.0f)), c) << c;
    ASSERT_EQ(h.encode(std::nextafter(mid, kInf)), c + 1) << c;
  }
}

// ---- bf16 -----------------------------------------------------------------------------------

TEST(FormatBf16, KnownBitPatterns) {
  const Format b = Format::bf16();
  EXPECT_EQ(b.encode(1.0f), 0x3F80u);
  EXPECT_EQ(b.encode(-2.0f), 0xC000u);
  EXPECT_EQ(b.encode(1.00390625f), 0x3F80u);  // 1 + 2^-8: tie -> even (down)
  EXPECT_EQ(b.encode(1.01171875f), 0x3F82u);  // 1 + 3 * 2^-8: tie -> even (up)
  EXPECT_EQ(b.encode(1.0078125f), 0x3F81u);   // 1 + 2^-7: exact
  EXPECT_EQ(b.encode(std::nextafter(1.00390625f, 2.0f)), 0x3F81u);
  EXPECT_EQ(b.encode(1.0f / 3.0f), 0x3EABu);
  EXPECT_EQ(b.encode(FLT_MAX), 0x7F80u);  // beyond the largest bf16 -> Inf
  EXPECT_EQ(b.encode(-FLT_MAX), 0xFF80u);
  EXPECT_EQ(b.encode(float_of(0x7F7F7FFFu)), 0x7F7Fu);
  EXPECT_EQ(b.encode(kInf), 0x7F80u);
  EXPECT_EQ(b.encode(-kInf), 0xFF80u);
  EXPECT_EQ(b.encode(-0.0f), 0x8000u);
  EXPECT_EQ(b.encode(float_of(0x00000001u)), 0x0000u);  // smallest fp32 subnormal
  EXPECT_EQ(b.encode(float_of(0x00008000u)), 0x0000u);  // tie -> even
  EXPECT_EQ(b.encode(float_of(0x00018000u)), 0x0002u);  // tie -> even
  EXPECT_EQ(b.decode(0x3F80u), 1.0f);
  EXPECT_EQ(b.decode(0x7F7Fu), float_of(0x7F7F0000u));
  EXPECT_EQ(b.encode(kNaN), 0x7FC0u);
  EXPECT_EQ(b.encode(-kNaN), 0xFFC0u);
  // A NaN whose payload lies in the dropped bits must not become Inf.
  const uint32_t snan = b.encode(float_of(0x7F800001u));
  EXPECT_TRUE(std::isnan(b.decode(snan)));
  EXPECT_NE(snan & 0x0040u, 0u);
  EXPECT_TRUE(std::isnan(b.decode(b.encode(float_of(0xFF80FFFFu)))));
  EXPECT_EQ(b.encode(float_of(0xFF80FFFFu)) & 0x8000u, 0x8000u);
}

TEST(FormatBf16, EveryCodeRoundTripsAndMidpointsRoundToEven) {
  const Format b = Format::bf16();
  for (uint32_t c = 0; c < 65536u; ++c) {
    const float v = b.decode(c);
    ASSERT_EQ(bits_of(v), c << 16);
    if (std::isnan(v)) {
      ASSERT_TRUE(std::isnan(b.decode(b.encode(v)))) << c;
    } else {
      ASSERT_EQ(b.encode(v), c) << c;
    }
  }
  for (uint32_t c = 0; c < 0x7F80u; ++c) {
    const float mid = float_of((c << 16) | 0x8000u);  // exactly halfway to c + 1
    const uint32_t even = (c & 1u) ? c + 1 : c;
    ASSERT_EQ(b.encode(mid), even) << c;
    ASSERT_EQ(b.encode(-mid), even | 0x8000u) << c;
    ASSERT_EQ(b.encode(float_of((c << 16) | 0x7FFFu)), c) << c;
    ASSERT_EQ(b.encode(float_of((c << 16) | 0x8001u)), c + 1) << c;
  }
}

// ---- fp32 -----------------------------------------------------------------------------------

TEST(FormatFp32, StoresTheFloatsOwnBits) {
  const Format s = Format::fp32();
  SplitMix rng{7};
  for (int k = 0; k < 10000; ++k) {
    const uint32_t c = static_cast<uint32_t>(rng.next());
    ASSERT_EQ(bits_of(s.decode(c)), c);
    ASSERT_EQ(s.encode(s.decode(c)), c);
  }
  EXPECT_EQ(s.encode(1.0f), 0x3F800000u);
  EXPECT_EQ(s.encode(-0.0f), 0x80000000u);
  EXPECT_EQ(s.decode(0x3F800000u ^ 0x80000000u), -1.0f);
  EXPECT_EQ(s.decode(0x3F800000u ^ (1u << 30)), kInf);  // exponent MSB flip of 1.0
}

// ---- span versions ----------------------------------------------------------------------------

TEST(FormatSpan, SpanVersionsEqualScalarVersions) {
  const std::vector<float> in = mixed_inputs();
  const std::size_t n = in.size();
  SplitMix rng{99};
  std::vector<uint32_t> raw(n);
  for (auto& c : raw) c = static_cast<uint32_t>(rng.next());  // includes bits above width
  for (const Format& f : all_kinds_sample()) {
    SCOPED_TRACE(f.spec());
    std::vector<uint32_t> codes(n);
    std::vector<float> decoded(n);
    std::vector<float> quantized(n);
    f.encode(in.data(), codes.data(), n);
    f.decode(raw.data(), decoded.data(), n);
    f.quantize(in.data(), quantized.data(), n);
    std::vector<float> in_place = in;
    f.quantize(in_place.data(), in_place.data(), n);
    for (std::size_t k = 0; k < n; ++k) {
      ASSERT_EQ(codes[k], f.encode(in[k])) << "input " << in[k];
      ASSERT_EQ(codes[k] & ~f.code_mask(), 0u);
      ASSERT_EQ(bits_of(decoded[k]), bits_of(f.decode(raw[k]))) << "code " << raw[k];
      ASSERT_EQ(bits_of(quantized[k]), bits_of(f.quantize(in[k]))) << "input " << in[k];
      ASSERT_EQ(bits_of(in_place[k]), bits_of(quantized[k])) << "input " << in[k];
    }
    // Empty spans are fine.
    f.encode(in.data(), codes.data(), 0);
    f.decode(codes.data(), decoded.data(), 0);
    f.quantize(in.data(), quantized.data(), 0);
  }
}

TEST(FormatSpan, QuantizeIsIdempotent) {
  const std::vector<float> in = mixed_inputs();
  for (const Format& f : all_kinds_sample()) {
    SCOPED_TRACE(f.spec());
    std::vector<float> once(in.size());
    std::vector<float> twice(in.size());
    f.quantize(in.data(), once.data(), in.size());
    f.quantize(once.data(), twice.data(), in.size());
    for (std::size_t k = 0; k < in.size(); ++k) {
      if (std::isnan(once[k])) {
        ASSERT_TRUE(std::isnan(twice[k]));
      } else {
        ASSERT_EQ(once[k], twice[k]) << "input " << in[k];
      }
      if (f.is_fixed()) {
        ASSERT_FALSE(std::isnan(once[k]));
        ASSERT_GE(static_cast<double>(once[k]), static_cast<float>(f.min_value()));
        ASSERT_LE(static_cast<double>(once[k]), static_cast<float>(f.max_value()));
      }
    }
  }
}

}  // namespace
}  // namespace ares::format
