#include "ares/format/format.h"

#include <algorithm>
#include <array>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "ares/common/error.h"

namespace ares::format {
namespace {

uint32_t float_bits(float x) {
  uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  return u;
}

float bits_float(uint32_t u) {
  float x;
  std::memcpy(&x, &u, sizeof x);
  return x;
}

// Rounds to the nearest integer, ties to even, for |x| <= 2^51. Adding and subtracting
// 1.5 * 2^52 does in one vectorisable add/sub pair what std::nearbyint does under the default
// rounding mode (it calls libm on x86-64 without SSE4.1, which blocks vectorisation). Nothing
// here is compiled with -ffast-math, so the compiler keeps both operations.
inline double round_half_even(double x) {
  constexpr double kMagic = 6755399441055744.0;  // 1.5 * 2^52
  return (x + kMagic) - kMagic;
}

// Everything the fixed-point kernels need, computed once per call rather than per value.
struct FixedParams {
  double scale;      // 2^frac_bits
  double inv_scale;  // 2^-frac_bits
  double lo;         // smallest code integer, as a double
  double hi;         // largest code integer, as a double
  uint32_t mask;     // code_mask()
  uint32_t sign;     // 1 << (width - 1)
  int shift;         // 32 - width, for sign extension
  int sign_shift;    // width - 1
};

FixedParams fixed_params(int width, int frac_bits, bool sign_magnitude) {
  FixedParams p;
  // Powers of two built exactly without libm: scalar encode/decode rebuild these per call.
  p.scale = static_cast<double>(uint64_t{1} << frac_bits);
  p.inv_scale = 1.0 / p.scale;
  const int64_t half = int64_t{1} << (width - 1);
  p.hi = static_cast<double>(half - 1);
  p.lo = sign_magnitude ? -p.hi : -static_cast<double>(half);
  p.mask = width == 32 ? 0xFFFFFFFFu : ((1u << width) - 1u);
  p.sign = 1u << (width - 1);
  p.shift = 32 - width;
  p.sign_shift = width - 1;
  return p;
}

// Scales, rounds and saturates to the integer n whose code is stored. NaN gives 0. The result
// lies in [lo, hi], which fits int32 for every width up to 32 (2c: [-2^31, 2^31 - 1]).
inline int32_t fixed_integer(float value, const FixedParams& p) {
  // value * 2^f is exact in double (float has 24 significant bits, f <= 31).
  double s = static_cast<double>(value) * p.scale;
  s = (s == s) ? s : 0.0;  // NaN -> 0
  // Saturating before rounding is equivalent because lo and hi are integers; it also keeps
  // +-Inf and huge values in range for the conversion below.
  s = s < p.lo ? p.lo : s;
  s = s > p.hi ? p.hi : s;
  return static_cast<int32_t>(round_half_even(s));
}

inline uint32_t encode_2c(float value, const FixedParams& p) {
  return static_cast<uint32_t>(fixed_integer(value, p)) & p.mask;
}

inline uint32_t encode_sm(float value, const FixedParams& p) {
  const int32_t n = fixed_integer(value, p);
  // n == 0 gets no sign bit: encode never writes negative zero.
  const uint32_t magnitude = static_cast<uint32_t>(n < 0 ? -n : n);
  return (n < 0 ? p.sign : 0u) | magnitude;
}

inline float decode_2c(uint32_t code, const FixedParams& p) {
  // Shift the sign bit of the code into bit 31 and back to sign-extend it.
  const int32_t n = static_cast<int32_t>(code << p.shift) >> p.shift;
  return static_cast<float>(static_cast<double>(n) * p.inv_scale);
}

inline float decode_sm(uint32_t code, const FixedParams& p) {
  // The magnitude has at most 31 bits, so it fits int32 (whose conversion vectorises).
  const int32_t magnitude = static_cast<int32_t>(code & (p.mask >> 1));
  const float v = static_cast<float>(static_cast<double>(magnitude) * p.inv_scale);
  // Copy the code's sign bit into the float's: a fault can set the sign bit of a zero
  // magnitude, and that decodes to -0.0f.
  const uint32_t sign = (code >> p.sign_shift) << 31;
  return bits_float(float_bits(v) | sign);
}

// cond ? a : b, computed with masks. GCC will not if-convert a ternary whose arms hold a float
// operation (it may trap under the default -ftrapping-math), and a branch stops vectorisation.
inline uint32_t select(bool cond, uint32_t a, uint32_t b) {
  const uint32_t m = 0u - static_cast<uint32_t>(cond);
  return (a & m) | (b & ~m);
}

// IEEE binary16, round to nearest even. Written with selects instead of branches so that the
// span loops vectorise (after F. Giesen's float_to_half_fast3_rtne / half_to_float).
inline uint32_t encode_fp16(float value) {
  const uint32_t x = float_bits(value);
  const uint32_t sign = (x >> 16) & 0x8000u;
  const uint32_t ax = x & 0x7FFFFFFFu;
  // Inf stays Inf; NaN stays NaN, made quiet, keeping the top payload bits. Finite values from
  // 2^16 up are beyond any rounding to 65504.
  const uint32_t special = ax > 0x7F800000u ? (0x7E00u | ((ax >> 13) & 0x3FFu)) : 0x7C00u;
  // Normal in fp16 (>= 2^-14): rebias the exponent (127 -> 15) and round the 13 dropped
  // mantissa bits; a carry moves into the exponent, up to Inf for [65520, 65536).
  const uint32_t normal = (ax - 0x38000000u + 0xFFFu + ((ax >> 13) & 1u)) >> 13;
  // Subnormal in fp16: adding 0.5f aligns units of 2^-24 with the float's last mantissa bit,
  // so the float addition rounds to nearest even for us. Inputs are below 2^-14 and the sum is
  // a normal float, so flush-to-zero modes do not change the result (float subnormals round
  // to 0 either way); it does rely on the default rounding mode, like std::nearbyint.
  const uint32_t subnormal = float_bits(bits_float(ax) + 0.5f) - 0x3F000000u;
  return sign | select(ax >= 0x47800000u, special, select(ax >= 0x38800000u, normal, subnormal));
}

inline float decode_fp16(uint32_t code) {
  const uint32_t sign = (code & 0x8000u) << 16;
  uint32_t o = (code & 0x7FFFu) << 13;  // exponent and mantissa, aligned to fp32
  const uint32_t exponent = o & 0x0F800000u;
  o += 0x38000000u;                                       // rebias 15 -> 127
  o += select(exponent == 0x0F800000u, 0x38000000u, 0u);  // Inf/NaN: exponent 255
  // Zero or subnormal: 2^-14 * (1 + m / 1024) - 2^-14 = m * 2^-24, exact; all operands are
  // normal floats, so flush-to-zero modes do not matter.
  const uint32_t subnormal = float_bits(bits_float(o + 0x00800000u) - 0x1p-14f);
  return bits_float(sign | select(exponent == 0, subnormal, o));
}

inline uint32_t encode_bf16(float value) {
  const uint32_t x = float_bits(value);
  if ((x & 0x7FFFFFFFu) > 0x7F800000u) return (x >> 16) | 0x0040u;  // quiet NaN, same sign
  // Round to nearest even on the 16 dropped bits; overflow carries into Inf.
  return (x + 0x7FFFu + ((x >> 16) & 1u)) >> 16;
}

inline float decode_bf16(uint32_t code) { return bits_float((code & 0xFFFFu) << 16); }

// OCP fp8. The two layouts differ in these fields only; every constant of the encoder and the
// decoder derives from them.
struct Fp8Layout {
  int mant;             // mantissa bits M
  int bias;             // exponent bias
  bool ieee;            // the top exponent holds Inf and NaN (E5M2), else only S.1111.111 (E4M3)
  uint32_t max_code;    // the largest finite magnitude: 0x7E (448), 0x7B (57344)
  uint32_t nan_code;    // what a NaN stores (with its sign)
  uint32_t nosat_code;  // what an overflow stores without saturation: NaN (E4M3), Inf (E5M2)
};

constexpr Fp8Layout fp8_layout(Kind kind) {
  return kind == Kind::kFloat8E4M3 ? Fp8Layout{3, 7, false, 0x7Eu, 0x7Fu, 0x7Fu}
                                   : Fp8Layout{2, 15, true, 0x7Bu, 0x7Eu, 0x7Cu};
}

// The encoder follows encode_fp16 (selects, no branches, so that the span loops vectorise):
// rebias and round the dropped mantissa bits of a normal value, let a float addition round a
// subnormal one, then replace NaN and overflow by their codes. `nosat` is 0 or 1.
//
// The normal path keeps M of the 23 mantissa bits and subtracts (127 - bias) << 23 before the
// shift: its result is the code with the exponent range unbounded, so code > max_code means |x|
// rounds above the largest value (E4M3: beyond 464; E5M2: from 61440 up; or Inf), the overflow
// rule of the header, ties to even included. The subnormal path adds 2^(24 - bias - M), whose
// ulp is the subnormal step 2^(1 - bias - M) (E4M3: 2^14 and 2^-9): the sum rounds |x| to a
// whole number of steps, nearest even; at the top it gives 2^M, the code of the smallest
// normal value, so the carry is right too.
template <Kind K>
inline uint32_t encode_fp8(float value, uint32_t nosat) {
  constexpr Fp8Layout L = fp8_layout(K);
  constexpr int shift = 23 - L.mant;
  constexpr uint32_t rebias = uint32_t(127 - L.bias) << 23;
  constexpr uint32_t min_normal = uint32_t(128 - L.bias) << 23;      // 2^(1 - bias)
  constexpr uint32_t magic = uint32_t(151 - L.bias - L.mant) << 23;  // 2^(24 - bias - M)
  const uint32_t x = float_bits(value);
  const uint32_t sign = (x >> 24) & 0x80u;
  const uint32_t ax = x & 0x7FFFFFFFu;
  const uint32_t normal =
      (ax - rebias + ((1u << (shift - 1)) - 1u) + ((ax >> shift) & 1u)) >> shift;
  const uint32_t subnormal = float_bits(bits_float(ax) + bits_float(magic)) - magic;
  const uint32_t finite = select(ax >= min_normal, normal, subnormal);
  const uint32_t overflow = select(nosat != 0, L.nosat_code, L.max_code);
  const uint32_t magnitude =
      select(ax > 0x7F800000u, L.nan_code, select(finite > L.max_code, overflow, finite));
  return sign | magnitude;
}

// Value of an fp8 code from its fields: the specials, then m * 2^(1 - bias - M) for
// subnormals and (2^M + m) * 2^(e - bias - M) for normals, all exact in float.
float fp8_value(uint32_t code, Kind kind) {
  const Fp8Layout L = fp8_layout(kind);
  const uint32_t top = (1u << (7 - L.mant)) - 1u;  // the all-ones exponent
  const uint32_t ones = (1u << L.mant) - 1u;       // the all-ones mantissa
  const uint32_t sign_bit = ((code >> 7) & 1u) << 31;
  const uint32_t e = (code & 0x7Fu) >> L.mant;
  const uint32_t m = code & ones;
  const bool nan = e == top && (L.ieee ? m != 0u : m == ones);
  if (nan) return bits_float(sign_bit | 0x7FC00000u);
  if (L.ieee && e == top) return bits_float(sign_bit | 0x7F800000u);
  const double v = e == 0 ? std::ldexp(static_cast<double>(m), 1 - L.bias - L.mant)
                          : std::ldexp(static_cast<double>((1u << L.mant) | m),
                                       static_cast<int>(e) - L.bias - L.mant);
  return bits_float(sign_bit | float_bits(static_cast<float>(v)));
}

using Fp8Table = std::array<float, 256>;

Fp8Table make_fp8_table(Kind kind) {
  Fp8Table t{};
  for (uint32_t c = 0; c < 256; ++c) t[c] = fp8_value(c, kind);
  return t;
}

// Decoding is a table look-up: 256 floats per format, built once (thread-safe static init).
const Fp8Table& fp8_table(Kind kind) {
  static const Fp8Table e4m3 = make_fp8_table(Kind::kFloat8E4M3);
  static const Fp8Table e5m2 = make_fp8_table(Kind::kFloat8E5M2);
  return kind == Kind::kFloat8E4M3 ? e4m3 : e5m2;
}

// The MX element floats: every code finite, magnitudes increasing with the code.
struct SmallLayout {
  int exp;   // exponent bits
  int mant;  // mantissa bits M
  int bias;
  int width() const { return 1 + exp + mant; }
};

constexpr SmallLayout small_layout(Kind kind) {
  return kind == Kind::kFloat6E2M3   ? SmallLayout{2, 3, 1}
         : kind == Kind::kFloat6E3M2 ? SmallLayout{3, 2, 3}
                                     : SmallLayout{2, 1, 1};  // kFloat4E2M1
}

bool is_small_float(Kind kind) {
  return kind == Kind::kFloat6E2M3 || kind == Kind::kFloat6E3M2 || kind == Kind::kFloat4E2M1;
}

// The magnitudes of codes 0 .. 2^(width - 1) - 1 and their negatives, exact in float.
struct SmallTable {
  int width = 0;
  std::array<float, 64> value{};       // by code
  std::array<double, 32> magnitude{};  // by magnitude code
  uint32_t max_code = 0;               // the largest magnitude code
};

SmallTable make_small_table(Kind kind) {
  const SmallLayout L = small_layout(kind);
  SmallTable t;
  t.width = L.width();
  const uint32_t half = 1u << (t.width - 1);
  t.max_code = half - 1;
  for (uint32_t c = 0; c < half; ++c) {
    const uint32_t e = c >> L.mant;
    const uint32_t m = c & ((1u << L.mant) - 1u);
    t.magnitude[c] = e == 0 ? std::ldexp(double(m), 1 - L.bias - L.mant)
                            : std::ldexp(double((1u << L.mant) | m), int(e) - L.bias - L.mant);
    t.value[c] = float(t.magnitude[c]);
    t.value[c | half] = -float(t.magnitude[c]);
  }
  return t;
}

const SmallTable& small_table(Kind kind) {
  static const SmallTable e2m3 = make_small_table(Kind::kFloat6E2M3);
  static const SmallTable e3m2 = make_small_table(Kind::kFloat6E3M2);
  static const SmallTable e2m1 = make_small_table(Kind::kFloat4E2M1);
  return kind == Kind::kFloat6E2M3 ? e2m3 : kind == Kind::kFloat6E3M2 ? e3m2 : e2m1;
}

// Nearest magnitude, ties to the even code, saturating at max; the sign is kept (-0 too).
uint32_t encode_small(float value, const SmallTable& t) {
  const uint32_t sign = std::signbit(value) ? (1u << (t.width - 1)) : 0u;
  if (std::isnan(value)) return 0;
  const double a = std::fabs(double(value));
  if (a >= t.magnitude[t.max_code]) return sign | t.max_code;
  uint32_t hi = 1;  // the first magnitude above a
  while (t.magnitude[hi] <= a) ++hi;
  const uint32_t lo = hi - 1;
  const double below = a - t.magnitude[lo], above = t.magnitude[hi] - a;
  const uint32_t code = below < above ? lo : above < below ? hi : ((lo & 1u) == 0 ? lo : hi);
  return sign | code;
}

uint32_t encode_e8m0(float value) {
  if (std::isnan(value)) return 0xFFu;
  if (!(value > 0)) return 0;
  int e = 0;
  std::frexp(double(value), &e);  // value = f * 2^e, f in [0.5, 1): floor(log2 value) = e - 1
  const int biased = std::clamp(e - 1 + 127, 0, 254);
  return uint32_t(biased);
}

float decode_e8m0(uint32_t code) {
  code &= 0xFFu;
  if (code == 0xFFu) return std::numeric_limits<float>::quiet_NaN();
  return float(std::ldexp(1.0, int(code) - 127));
}

// AdaptivFloat's element with bias 0 (format.h): E exponent bits, M mantissa bits.
float decode_af(uint32_t code, int E, int M) {
  const uint32_t sign = (code >> (E + M)) & 1u;
  const uint32_t e = (code >> M) & ((1u << E) - 1u);
  const uint32_t m = code & ((1u << M) - 1u);
  const double mag = (e == 0 && m == 0) ? 0.0 : std::ldexp(double((1u << M) | m), int(e) - M);
  return sign ? -float(mag) : float(mag);
}

uint32_t encode_af(float value, int E, int M) {
  if (std::isnan(value)) return 0;
  const uint32_t sign = std::signbit(value) ? (1u << (E + M)) : 0u;
  const double a = std::fabs(double(value));
  const double min = 1.0 + std::ldexp(1.0, -M);  // the smallest nonzero magnitude (e 0, m 1)
  const int top = (1 << E) - 1;
  const double max = std::ldexp(2.0 - std::ldexp(1.0, -M), top);
  if (a <= 0.5 * min) return sign;  // zero (exactly half: the even code)
  if (a < min) return sign | 1u;
  if (a >= max) return sign | (uint32_t(top) << M) | ((1u << M) - 1u);
  int exp = 0;
  const double f = std::frexp(a, &exp);                // a = f 2^exp, f in [0.5, 1)
  double mant = std::nearbyint(std::ldexp(f, M + 1));  // 2^M .. 2^(M+1), ties to even
  int e = exp - 1;
  if (mant == std::ldexp(1.0, M + 1)) {  // rounded up to the next binade
    mant = std::ldexp(1.0, M);
    ++e;
  }
  return sign | (uint32_t(e) << M) | (uint32_t(mant) - (1u << M));
}

void check_fixed_widths(const std::string& spec, long long int_bits, long long frac_bits) {
  ARES_CHECK(int_bits >= 1, "format '", spec, "': integer bits must be >= 1");
  ARES_CHECK(frac_bits >= 0, "format '", spec, "': fraction bits must be >= 0");
  const long long width = int_bits + frac_bits;
  ARES_CHECK(width <= 32, "format '", spec, "': total width ", width, " exceeds 32 bits");
  ARES_CHECK(width >= 2, "format '", spec, "': width ", width, " is below 2");
}

constexpr const char* kExpectedFormats =
    "expected qI.F-2c, qI.F-sm, fp32, fp16, bf16, fp8-e4m3, fp8-e5m2, fp6-e2m3, fp6-e3m2, "
    "fp4-e2m1, e8m0, intN[-ch][-asym][-s16], mxfp8-e4m3, mxfp8-e5m2, mxfp6-e2m3, mxfp6-e3m2, "
    "mxfp4, mxint8 or afN-eE";

// Reads a run of decimal digits at s[pos]. Returns false when there is none. Values beyond
// 9 digits are capped (they are invalid widths anyway) so that nothing overflows.
bool read_number(const std::string& s, std::size_t& pos, long long& out) {
  const std::size_t start = pos;
  out = 0;
  while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
    if (pos - start < 9) out = out * 10 + (s[pos] - '0');
    ++pos;
  }
  if (pos - start > 9) out = 999999999;
  return pos > start;
}

// intN[-ch][-asym][-s16]; `s` is the lower-cased spec, which starts with "int".
Format parse_scaled_int(const std::string& original, const std::string& s) {
  std::size_t pos = 3;
  long long bits = 0;
  ARES_CHECK(read_number(s, pos, bits), "format '", original,
             "': expected intN[-ch][-asym][-s16] with N in 2..16, e.g. int8-ch");
  ARES_CHECK(bits >= 2 && bits <= 16, "format '", original, "': integer width ", bits,
             " is outside 2..16");
  bool channel = false, asym = false, half = false;
  int order = 0;  // the options in their order: -ch, -asym, -s16
  while (pos < s.size()) {
    ARES_CHECK(s[pos] == '-', "format '", original,
               "': expected intN[-ch][-asym][-s16] with N in 2..16, e.g. int8-ch");
    const std::size_t dash = s.find('-', pos + 1);
    const std::string opt = s.substr(pos + 1, dash == std::string::npos ? dash : dash - pos - 1);
    const int rank = opt == "ch" ? 1 : opt == "asym" ? 2 : opt == "s16" ? 3 : 0;
    ARES_CHECK(rank > order, "format '", original, "': ",
               rank == 0 ? "unknown option '" + opt + "'" : "option '" + opt + "' out of order",
               " (expected intN[-ch][-asym][-s16])");
    order = rank;
    channel = channel || rank == 1;
    asym = asym || rank == 2;
    half = half || rank == 3;
    pos = dash == std::string::npos ? s.size() : dash;
  }
  return Format::scaled_int(int(bits), channel ? Granularity::kChannel : Granularity::kTensor, asym,
                            half);
}

// afN-eE[-bias0].
Format parse_af(const std::string& original, const std::string& s) {
  std::size_t pos = 2;
  long long bits = 0, exp_bits = 0;
  const bool ok = read_number(s, pos, bits) && s.compare(pos, 2, "-e") == 0 &&
                  (pos += 2, read_number(s, pos, exp_bits)) &&
                  (pos == s.size() || s.substr(pos) == "-bias0");
  ARES_CHECK(ok, "format '", original,
             "': expected afN-eE (AdaptivFloat: N bits, E exponent bits), e.g. af8-e4");
  ARES_CHECK(
      exp_bits >= 1 && exp_bits <= 6 && bits - 1 - exp_bits >= 0 && bits - 1 - exp_bits <= 10,
      "format '", original,
      "': AdaptivFloat needs 1 <= E <= 6 exponent bits and 0..10 mantissa bits (N-1-E)");
  return Format::adaptivfloat(int(bits), int(exp_bits), pos == s.size());
}

// mxfp8-e4m3, mxfp8-e5m2, mxfp6-e2m3, mxfp6-e3m2, mxfp4, mxint8.
Format parse_mx(const std::string& original, const std::string& s) {
  const std::string e = s.substr(2);
  if (e == "fp8-e4m3") return Format::mx(Format::fp8_e4m3());
  if (e == "fp8-e5m2") return Format::mx(Format::fp8_e5m2());
  if (e == "fp6-e2m3") return Format::mx(Format::fp6_e2m3());
  if (e == "fp6-e3m2") return Format::mx(Format::fp6_e3m2());
  if (e == "fp4" || e == "fp4-e2m1") return Format::mx(Format::fp4_e2m1());
  if (e == "int8") return Format::mx(Format::fixed(2, 6, false));
  throw InputError("format '" + original +
                   "': unknown MX format (expected mxfp8-e4m3, mxfp8-e5m2, mxfp6-e2m3, "
                   "mxfp6-e3m2, mxfp4 or mxint8)");
}

// fp8-e4m3 or fp8-e5m2, each with an optional "-nosat". `s` is the lower-cased spec, which
// starts with "fp8".
Format parse_fp8(const std::string& original, const std::string& s) {
  ARES_CHECK(s.size() > 4 && s[3] == '-', "format '", original,
             "': expected fp8-e4m3 or fp8-e5m2, optionally with -nosat");
  const std::size_t dash = s.find('-', 4);
  const std::string variant = s.substr(4, dash == std::string::npos ? dash : dash - 4);
  ARES_CHECK(variant == "e4m3" || variant == "e5m2", "format '", original,
             "': unknown fp8 variant '", original.substr(4, variant.size()),
             "' (expected e4m3 or e5m2)");
  const bool saturating = dash == std::string::npos;
  ARES_CHECK(saturating || s.substr(dash + 1) == "nosat", "format '", original,
             "': unknown fp8 option '", original.substr(dash + 1), "' (expected fp8-", variant,
             " or fp8-", variant, "-nosat)");
  return variant == "e4m3" ? Format::fp8_e4m3(saturating) : Format::fp8_e5m2(saturating);
}

}  // namespace

const char* to_string(BitRole role) {
  switch (role) {
    case BitRole::kSign:
      return "sign";
    case BitRole::kInteger:
      return "integer";
    case BitRole::kFraction:
      return "fraction";
    case BitRole::kExponent:
      return "exponent";
    case BitRole::kMantissa:
      return "mantissa";
  }
  return "unknown";
}

Format Format::parse(std::string_view spec) {
  const std::string original(spec);
  std::string s(spec);
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  if (s == "fp32") return fp32();
  if (s == "fp16") return fp16();
  if (s == "bf16") return bf16();
  if (s.compare(0, 3, "fp8") == 0) return parse_fp8(original, s);
  if (s == "fp6-e2m3") return fp6_e2m3();
  if (s == "fp6-e3m2") return fp6_e3m2();
  if (s == "fp4-e2m1") return fp4_e2m1();
  if (s == "e8m0") return e8m0();
  if (s.compare(0, 3, "int") == 0) return parse_scaled_int(original, s);
  if (s.compare(0, 2, "mx") == 0) return parse_mx(original, s);
  if (s.compare(0, 2, "af") == 0) return parse_af(original, s);
  ARES_CHECK(!s.empty() && s[0] == 'q', "format '", original, "': unknown format (",
             kExpectedFormats, ")");

  std::size_t pos = 1;
  long long int_bits = 0;
  long long frac_bits = 0;
  const bool ok = read_number(s, pos, int_bits) && pos < s.size() && s[pos++] == '.' &&
                  read_number(s, pos, frac_bits);
  ARES_CHECK(ok && (pos == s.size() || s[pos] == '-'), "format '", original,
             "': expected qI.F-2c or qI.F-sm with decimal I and F, e.g. q2.6-2c");
  ARES_CHECK(pos < s.size(), "format '", original,
             "': missing encoding (expected qI.F-2c or qI.F-sm)");
  const std::string encoding = s.substr(pos + 1);
  ARES_CHECK(encoding == "2c" || encoding == "sm", "format '", original, "': unknown encoding '",
             original.substr(pos + 1), "' (expected 2c or sm)");
  check_fixed_widths(original, int_bits, frac_bits);
  return fixed(static_cast<int>(int_bits), static_cast<int>(frac_bits), encoding == "sm");
}

Format Format::fixed(int int_bits, int frac_bits, bool sign_magnitude) {
  check_fixed_widths("q" + std::to_string(int_bits) + "." + std::to_string(frac_bits) +
                         (sign_magnitude ? "-sm" : "-2c"),
                     int_bits, frac_bits);
  return Format(sign_magnitude ? Kind::kFixedSm : Kind::kFixed2c, int_bits + frac_bits, int_bits,
                frac_bits, true);
}

Format Format::fp32() { return Format(Kind::kFloat32, 32, 0, 0, false); }
Format Format::fp16() { return Format(Kind::kFloat16, 16, 0, 0, false); }
Format Format::bf16() { return Format(Kind::kBFloat16, 16, 0, 0, false); }
Format Format::fp8_e4m3(bool saturating) { return Format(Kind::kFloat8E4M3, 8, 0, 0, saturating); }
Format Format::fp8_e5m2(bool saturating) { return Format(Kind::kFloat8E5M2, 8, 0, 0, saturating); }

Format Format::fp6_e2m3() { return Format(Kind::kFloat6E2M3, 6, 0, 0, true); }
Format Format::fp6_e3m2() { return Format(Kind::kFloat6E3M2, 6, 0, 0, true); }
Format Format::fp4_e2m1() { return Format(Kind::kFloat4E2M1, 4, 0, 0, true); }
Format Format::e8m0() { return Format(Kind::kE8M0, 8, 0, 0, true); }

Format Format::scaled_int(int bits, Granularity granularity, bool zero_point, bool fp16_scales) {
  ARES_CHECK(bits >= 2 && bits <= 16, "format 'int", bits, "': integer width ", bits,
             " is outside 2..16");
  ARES_CHECK(granularity == Granularity::kTensor || granularity == Granularity::kChannel,
             "format 'int", bits, "': a scaled integer has one scale per tensor or per channel");
  Scaling sc;
  sc.granularity = granularity;
  sc.scale_kind = fp16_scales ? Kind::kFloat16 : Kind::kFloat32;
  sc.zero_point = zero_point;
  return fixed(bits, 0, false).with_scaling(sc);
}

Format Format::mx(const Format& element) {
  const Kind k = element.kind();
  const bool ok = (k == Kind::kFloat8E4M3 || k == Kind::kFloat8E5M2) ? element.saturates()
                  : is_small_float(k)                                ? true
                                      : element == fixed(2, 6, false);
  ARES_CHECK(ok && !element.is_scaled(), "format '", element.spec(),
             "': not an MX element (expected fp8-e4m3, fp8-e5m2, fp6-e2m3, fp6-e3m2, fp4-e2m1 "
             "or q2.6-2c)");
  Scaling sc;
  sc.granularity = Granularity::kBlock;
  sc.block = 32;
  sc.scale_kind = Kind::kE8M0;
  return element.with_scaling(sc);
}

Format Format::adaptivfloat(int bits, int exp_bits, bool scaled) {
  const int mant = bits - 1 - exp_bits;
  ARES_CHECK(exp_bits >= 1 && exp_bits <= 6 && mant >= 0 && mant <= 10, "format 'af", bits, "-e",
             exp_bits, "': AdaptivFloat needs 1 <= E <= 6 exponent bits and 0..10 mantissa bits");
  const Format element(Kind::kAdaptivFloat, bits, exp_bits, mant, true);
  if (!scaled) return element;
  Scaling sc;
  sc.granularity = Granularity::kTensor;
  sc.scale_kind = Kind::kE8M0;
  return element.with_scaling(sc);
}

Format Format::element() const { return with_scaling(Scaling{}); }

Format Format::scale_format() const {
  ARES_CHECK(is_scaled(), "format '", spec(), "' has no scales");
  return scaling_.scale_kind == Kind::kE8M0      ? e8m0()
         : scaling_.scale_kind == Kind::kFloat16 ? fp16()
                                                 : fp32();
}

int Format::metadata_bits() const {
  if (!is_scaled()) return 0;
  return scale_format().width() + (scaling_.zero_point ? width_ : 0);
}

std::string Format::spec() const {
  if (kind_ == Kind::kAdaptivFloat) {
    return "af" + std::to_string(width_) + "-e" + std::to_string(int_bits_) +
           (is_scaled() ? "" : "-bias0");
  }
  if (is_scaled()) {
    if (scaling_.granularity == Granularity::kBlock) {
      if (kind_ == Kind::kFixed2c) return "mxint8";
      if (kind_ == Kind::kFloat4E2M1) return "mxfp4";
      return "mx" + element().spec();
    }
    return "int" + std::to_string(width_) +
           (scaling_.granularity == Granularity::kChannel ? "-ch" : "") +
           (scaling_.zero_point ? "-asym" : "") +
           (scaling_.scale_kind == Kind::kFloat16 ? "-s16" : "");
  }
  switch (kind_) {
    case Kind::kFixed2c:
    case Kind::kFixedSm:
      return "q" + std::to_string(int_bits_) + "." + std::to_string(frac_bits_) +
             (kind_ == Kind::kFixedSm ? "-sm" : "-2c");
    case Kind::kFloat32:
      return "fp32";
    case Kind::kFloat16:
      return "fp16";
    case Kind::kBFloat16:
      return "bf16";
    case Kind::kFloat8E4M3:
      return saturating_ ? "fp8-e4m3" : "fp8-e4m3-nosat";
    case Kind::kFloat8E5M2:
      return saturating_ ? "fp8-e5m2" : "fp8-e5m2-nosat";
    case Kind::kFloat6E2M3:
      return "fp6-e2m3";
    case Kind::kFloat6E3M2:
      return "fp6-e3m2";
    case Kind::kFloat4E2M1:
      return "fp4-e2m1";
    case Kind::kE8M0:
      return "e8m0";
    case Kind::kAdaptivFloat:
      break;  // above
  }
  return "?";
}

BitRole Format::role(int bit) const {
  ARES_CHECK(bit >= 0 && bit < width_, "format '", spec(), "': bit ", bit,
             " is out of range (expected 0..", width_ - 1, ")");
  if (kind_ == Kind::kE8M0) return BitRole::kExponent;
  if (bit == width_ - 1) return BitRole::kSign;
  switch (kind_) {
    case Kind::kFixed2c:
    case Kind::kFixedSm:
      return bit >= frac_bits_ ? BitRole::kInteger : BitRole::kFraction;
    case Kind::kFloat32:
      return bit >= 23 ? BitRole::kExponent : BitRole::kMantissa;
    case Kind::kFloat16:
      return bit >= 10 ? BitRole::kExponent : BitRole::kMantissa;
    case Kind::kBFloat16:
      return bit >= 7 ? BitRole::kExponent : BitRole::kMantissa;
    case Kind::kFloat8E4M3:
      return bit >= 3 ? BitRole::kExponent : BitRole::kMantissa;
    case Kind::kFloat8E5M2:
      return bit >= 2 ? BitRole::kExponent : BitRole::kMantissa;
    case Kind::kFloat6E2M3:
    case Kind::kFloat6E3M2:
    case Kind::kFloat4E2M1:
      return bit >= small_layout(kind_).mant ? BitRole::kExponent : BitRole::kMantissa;
    case Kind::kE8M0:
      return BitRole::kExponent;
    case Kind::kAdaptivFloat:
      return bit >= frac_bits_ ? BitRole::kExponent : BitRole::kMantissa;
  }
  return BitRole::kMantissa;
}

double Format::max_value() const {
  switch (kind_) {
    case Kind::kFixed2c:
    case Kind::kFixedSm:
      return std::ldexp(static_cast<double>((int64_t{1} << (width_ - 1)) - 1), -frac_bits_);
    case Kind::kFloat32:
      return FLT_MAX;
    case Kind::kFloat16:
      return 65504.0;
    case Kind::kBFloat16:
      return std::ldexp(255.0, 120);  // 0x7F7F: (2 - 2^-7) * 2^127
    case Kind::kFloat8E4M3:
      return 448.0;  // 0x7E: 1.75 * 2^8
    case Kind::kFloat8E5M2:
      return 57344.0;  // 0x7B: 1.75 * 2^15
    case Kind::kFloat6E2M3:
    case Kind::kFloat6E3M2:
    case Kind::kFloat4E2M1: {
      const SmallTable& t = small_table(kind_);
      return t.magnitude[t.max_code];  // 7.5, 28, 6
    }
    case Kind::kE8M0:
      return std::ldexp(1.0, 127);
    case Kind::kAdaptivFloat:  // the element's, bias 0
      return std::ldexp(2.0 - std::ldexp(1.0, -frac_bits_), (1 << int_bits_) - 1);
  }
  return 0.0;
}

double Format::min_value() const {
  if (kind_ == Kind::kFixed2c) return -std::ldexp(1.0, int_bits_ - 1);
  if (kind_ == Kind::kE8M0) return std::ldexp(1.0, -127);
  return -max_value();
}

double Format::lsb() const {
  switch (kind_) {
    case Kind::kFixed2c:
    case Kind::kFixedSm:
      return std::ldexp(1.0, -frac_bits_);
    case Kind::kFloat32:
      return std::ldexp(1.0, -23);
    case Kind::kFloat16:
      return std::ldexp(1.0, -10);
    case Kind::kBFloat16:
      return std::ldexp(1.0, -7);
    case Kind::kFloat8E4M3:
      return std::ldexp(1.0, -3);
    case Kind::kFloat8E5M2:
      return std::ldexp(1.0, -2);
    case Kind::kFloat6E2M3:
    case Kind::kFloat6E3M2:
    case Kind::kFloat4E2M1:
      return std::ldexp(1.0, -small_layout(kind_).mant);
    case Kind::kE8M0:
      return 1.0;  // the step at 1.0: 1 to 2
    case Kind::kAdaptivFloat:
      return std::ldexp(1.0, -frac_bits_);
  }
  return 0.0;
}

uint32_t Format::encode(float value) const {
  switch (kind_) {
    case Kind::kFixed2c:
      return encode_2c(value, fixed_params(width_, frac_bits_, false));
    case Kind::kFixedSm:
      return encode_sm(value, fixed_params(width_, frac_bits_, true));
    case Kind::kFloat32:
      return float_bits(value);
    case Kind::kFloat16:
      return encode_fp16(value);
    case Kind::kBFloat16:
      return encode_bf16(value);
    case Kind::kFloat8E4M3:
      return encode_fp8<Kind::kFloat8E4M3>(value, saturating_ ? 0u : 1u);
    case Kind::kFloat8E5M2:
      return encode_fp8<Kind::kFloat8E5M2>(value, saturating_ ? 0u : 1u);
    case Kind::kFloat6E2M3:
    case Kind::kFloat6E3M2:
    case Kind::kFloat4E2M1:
      return encode_small(value, small_table(kind_));
    case Kind::kE8M0:
      return encode_e8m0(value);
    case Kind::kAdaptivFloat:
      return encode_af(value, int_bits_, frac_bits_);
  }
  return 0;
}

float Format::decode(uint32_t code) const {
  code &= code_mask();
  switch (kind_) {
    case Kind::kFixed2c:
      return decode_2c(code, fixed_params(width_, frac_bits_, false));
    case Kind::kFixedSm:
      return decode_sm(code, fixed_params(width_, frac_bits_, true));
    case Kind::kFloat32:
      return bits_float(code);
    case Kind::kFloat16:
      return decode_fp16(code);
    case Kind::kBFloat16:
      return decode_bf16(code);
    case Kind::kFloat8E4M3:
    case Kind::kFloat8E5M2:
      return fp8_table(kind_)[code & 0xFFu];
    case Kind::kFloat6E2M3:
    case Kind::kFloat6E3M2:
    case Kind::kFloat4E2M1:
      return small_table(kind_).value[code];
    case Kind::kE8M0:
      return decode_e8m0(code);
    case Kind::kAdaptivFloat:
      return decode_af(code, int_bits_, frac_bits_);
  }
  return 0.0f;
}

// The span versions dispatch once, then run one branch-light loop per kind.

void Format::encode(const float* in, uint32_t* out, std::size_t n) const {
  switch (kind_) {
    case Kind::kFixed2c: {
      const FixedParams p = fixed_params(width_, frac_bits_, false);
      for (std::size_t k = 0; k < n; ++k) out[k] = encode_2c(in[k], p);
      return;
    }
    case Kind::kFixedSm: {
      const FixedParams p = fixed_params(width_, frac_bits_, true);
      for (std::size_t k = 0; k < n; ++k) out[k] = encode_sm(in[k], p);
      return;
    }
    case Kind::kFloat32:
      for (std::size_t k = 0; k < n; ++k) out[k] = float_bits(in[k]);
      return;
    case Kind::kFloat16:
      for (std::size_t k = 0; k < n; ++k) out[k] = encode_fp16(in[k]);
      return;
    case Kind::kBFloat16:
      for (std::size_t k = 0; k < n; ++k) out[k] = encode_bf16(in[k]);
      return;
    case Kind::kFloat8E4M3: {
      const uint32_t nosat = saturating_ ? 0u : 1u;
      for (std::size_t k = 0; k < n; ++k) out[k] = encode_fp8<Kind::kFloat8E4M3>(in[k], nosat);
      return;
    }
    case Kind::kFloat8E5M2: {
      const uint32_t nosat = saturating_ ? 0u : 1u;
      for (std::size_t k = 0; k < n; ++k) out[k] = encode_fp8<Kind::kFloat8E5M2>(in[k], nosat);
      return;
    }
    case Kind::kFloat6E2M3:
    case Kind::kFloat6E3M2:
    case Kind::kFloat4E2M1:
    case Kind::kE8M0:
    case Kind::kAdaptivFloat:
      for (std::size_t k = 0; k < n; ++k) out[k] = encode(in[k]);
      return;
  }
}

void Format::decode(const uint32_t* in, float* out, std::size_t n) const {
  const uint32_t mask = code_mask();
  switch (kind_) {
    case Kind::kFixed2c: {
      const FixedParams p = fixed_params(width_, frac_bits_, false);
      for (std::size_t k = 0; k < n; ++k) out[k] = decode_2c(in[k] & mask, p);
      return;
    }
    case Kind::kFixedSm: {
      const FixedParams p = fixed_params(width_, frac_bits_, true);
      for (std::size_t k = 0; k < n; ++k) out[k] = decode_sm(in[k] & mask, p);
      return;
    }
    case Kind::kFloat32:
      for (std::size_t k = 0; k < n; ++k) out[k] = bits_float(in[k]);
      return;
    case Kind::kFloat16:
      for (std::size_t k = 0; k < n; ++k) out[k] = decode_fp16(in[k] & mask);
      return;
    case Kind::kBFloat16:
      for (std::size_t k = 0; k < n; ++k) out[k] = decode_bf16(in[k]);
      return;
    case Kind::kFloat8E4M3:
    case Kind::kFloat8E5M2: {
      const Fp8Table& table = fp8_table(kind_);
      for (std::size_t k = 0; k < n; ++k) out[k] = table[in[k] & 0xFFu];
      return;
    }
    case Kind::kFloat6E2M3:
    case Kind::kFloat6E3M2:
    case Kind::kFloat4E2M1:
    case Kind::kE8M0:
    case Kind::kAdaptivFloat:
      for (std::size_t k = 0; k < n; ++k) out[k] = decode(in[k]);
      return;
  }
}

void Format::quantize(const float* in, float* out, std::size_t n) const {
  // Element k is read before it is written, so in == out is safe.
  switch (kind_) {
    case Kind::kFixed2c: {
      const FixedParams p = fixed_params(width_, frac_bits_, false);
      for (std::size_t k = 0; k < n; ++k) out[k] = decode_2c(encode_2c(in[k], p), p);
      return;
    }
    case Kind::kFixedSm: {
      const FixedParams p = fixed_params(width_, frac_bits_, true);
      for (std::size_t k = 0; k < n; ++k) out[k] = decode_sm(encode_sm(in[k], p), p);
      return;
    }
    case Kind::kFloat32:
      // memmove copies bits exactly (a signalling NaN stays as it is) and allows in == out.
      if (n > 0 && in != out) std::memmove(out, in, n * sizeof(float));
      return;
    case Kind::kFloat16:
      for (std::size_t k = 0; k < n; ++k) out[k] = decode_fp16(encode_fp16(in[k]));
      return;
    case Kind::kBFloat16:
      for (std::size_t k = 0; k < n; ++k) out[k] = decode_bf16(encode_bf16(in[k]));
      return;
    case Kind::kFloat8E4M3: {
      const Fp8Table& table = fp8_table(kind_);
      const uint32_t nosat = saturating_ ? 0u : 1u;
      for (std::size_t k = 0; k < n; ++k)
        out[k] = table[encode_fp8<Kind::kFloat8E4M3>(in[k], nosat)];
      return;
    }
    case Kind::kFloat8E5M2: {
      const Fp8Table& table = fp8_table(kind_);
      const uint32_t nosat = saturating_ ? 0u : 1u;
      for (std::size_t k = 0; k < n; ++k)
        out[k] = table[encode_fp8<Kind::kFloat8E5M2>(in[k], nosat)];
      return;
    }
    case Kind::kFloat6E2M3:
    case Kind::kFloat6E3M2:
    case Kind::kFloat4E2M1:
    case Kind::kE8M0:
    case Kind::kAdaptivFloat:
      for (std::size_t k = 0; k < n; ++k) out[k] = decode(encode(in[k]));
      return;
  }
}

}  // namespace ares::format
