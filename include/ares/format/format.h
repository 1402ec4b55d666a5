#pragma once
/// Number formats: how a float weight or activation is stored as a bit code.
///
/// A code is held in the low `width()` bits of a `uint32_t`; bit 0 is the least significant
/// bit. Every format is exact: `decode(encode(x))` is the stored value, and a fault that flips
/// bit b turns the stored value into `decode(code ^ (1u << b))`.
///
/// Grammar of a format spec (case-insensitive, no spaces):
///
///     spec   := fixed | "fp32" | "fp16" | "bf16" | fp8 | small | scaled
///     fixed  := "q" I "." F "-" enc        I >= 1 integer bits (sign included), F >= 0,
///     enc    := "2c" | "sm"                2 <= I + F <= 32
///     fp8    := "fp8-" ("e4m3" | "e5m2") ["-nosat"]
///     small  := "fp6-e2m3" | "fp6-e3m2" | "fp4-e2m1" | "e8m0"
///     scaled := "int" N ["-ch"] ["-asym"] ["-s16"]     2 <= N <= 16
///             | "mx" ("fp8-e4m3" | "fp8-e5m2" | "fp6-e2m3" | "fp6-e3m2" | "fp4" | "int8")
///             | "af" N "-e" E                         AdaptivFloat, 1 <= E <= 6, 0 <= N-1-E <= 10
///     afunit := "af" N "-e" E "-bias0"                its element alone (exponent bias 0)
///
/// Examples: `q2.6-2c` (8 bits, two's complement, range [-2, 1.984375], LSB 1/64),
/// `q2.6-sm` (8 bits, sign-magnitude, range [-1.984375, 1.984375]), `fp16`, `bf16`, `fp32`,
/// `fp8-e4m3` (saturating OCP E4M3, range [-448, 448]), `fp8-e5m2-nosat`.
///
/// Fixed point rounds to nearest (ties to even, like torch.round) and saturates to the
/// representable range; +-Inf saturate; NaN encodes as code 0 (+0). In sign-magnitude the sign
/// is the top bit and the magnitude the rest; encode never writes negative zero (values that
/// round to zero are stored as +0, code 0), but the code with only the sign bit set, which a
/// fault can produce, decodes to -0.0f, numerically equal to 0.
///
/// IEEE formats: fp32 stores the float's own bits. fp16 (1-5-10) and bf16 (1-8-7) round to
/// nearest even; values beyond the largest finite value become +-Inf, as in IEEE and PyTorch.
/// A flip may create Inf or NaN; decode returns it as is and the evaluation counts a
/// prediction whose logits contain NaN as wrong.
///
/// OCP 8-bit floats (OFP8, OCP 8-bit Floating Point Specification v1.0, 2023), sign in bit 7:
/// - `fp8-e4m3` (1-4-3, bias 7): no infinities; the only NaNs are S.1111.111 (0x7F, 0xFF);
///   every other S.1111.xxx code is a normal number, up to 448 (S.1111.110); the smallest
///   subnormal is 2^-9.
/// - `fp8-e5m2` (1-5-2, bias 15), IEEE-style: S.11111.00 is +-Inf, S.11111.{01,10,11} NaN;
///   largest finite 57344 (S.11110.11), smallest subnormal 2^-16. It is the top byte of fp16.
/// Encoding rounds to nearest, ties to even, with subnormals. A value *overflows* when it rounds
/// above the largest finite value with the exponent range unbounded: when |x| is beyond the
/// midpoint between max and the next step up (max + half an ulp), or exactly at it and the tie goes
/// up to the even neighbour. E4M3 overflows for |x| > 464 (448 + 16; 464 ties to 448, whose
/// mantissa 110 is even), E5M2 for |x| >= 61440 (57344 + 4096; the tie goes to 2^16, as 65520 does
/// in fp16). By default (saturating, the OCP "saturation mode") values beyond the largest finite
/// value, +-Inf included, are stored as +-max (0x7E/0xFE in E4M3, 0x7B/0xFB in E5M2). With `-nosat`
/// an overflow, +-Inf included, is stored as NaN in E4M3 (0x7F/0xFF; it has no Inf) and as +-Inf in
/// E5M2 (0x7C/0xFC). NaN input is stored as a NaN with its sign: 0x7F/0xFF in E4M3 and the quiet
/// NaN 0x7E/0xFE (S.11111.10) in E5M2. As in fp16, -0.0 and negative values that round to zero are
/// stored as negative zero (0x80). Decoding is exact; 0x80 decodes to -0.0f and every NaN code to a
/// quiet NaN with the code's sign.
///
/// OCP Microscaling element formats (OCP MX Specification v1.0, 2023, section 5.3), sign in the
/// top bit, no infinities and no NaNs: every code is a finite number. `fp6-e2m3` (1-2-3, bias 1,
/// max 7.5, smallest subnormal 0.125), `fp6-e3m2` (1-3-2, bias 3, max 28, smallest subnormal
/// 0.0625), `fp4-e2m1` (1-2-1, bias 1: 0, 0.5, 1, 1.5, 2, 3, 4, 6). Encoding rounds to nearest,
/// ties to even (the even code), and saturates beyond max to +-max, as the MX conversion does;
/// negative values that round to zero keep their sign (-0), NaN encodes as +0. `e8m0` is the MX
/// shared scale: an unsigned 8-bit exponent, code e is 2^(e - 127), 0xFF is NaN; it encodes x > 0
/// as 2^floor(log2 x) clamped to [2^-127, 2^127], 0 and negatives as 0x00, NaN as 0xFF. Its
/// bits are all exponent bits (there is no sign).
///
/// Scaled formats store each value as an element code and, per group of values, metadata
/// words: the group's scale and, for `-asym`, its zero point. A value is
/// (element(code) - zero_point) * scale. The Format's own encode and decode are the element's
/// with scale 1 and no zero point; the scales are computed per tensor by scaled.h, and only
/// the weight site stores scaled formats (a scaled activation needs a calibrated scale).
/// - `intN`: symmetric integers, element qN.0-2c ([-2^(N-1), 2^(N-1) - 1]), one fp32 scale per
///   tensor; `-ch` one per output channel (dim 0; a 1-D tensor has one scale); `-asym` adds a
///   zero point per group, stored as an N-bit two's-complement integer; `-s16` stores the
///   scales in fp16 instead of fp32. Scales and zero points follow PyTorch's MinMaxObserver and
///   fake_quantize (scaled.h).
/// - `afN-eE`: AdaptivFloat (Tambe et al., DAC 2020; arXiv:1909.13271, reference [14] of the
///   seed paper): N-bit floats, 1 sign, E exponent and M = N-1-E mantissa bits, no subnormals,
///   no Inf or NaN, whose exponent bias is chosen per tensor from its largest magnitude so
///   that the top exponent holds it. Element code S.e.m is +-2^e (1 + m / 2^M), except e = m = 0,
///   which is +-0 (the smallest normal is given up for zero). The tensor's bias b, stored as one
///   e8m0 word (2^b), is floor(log2 max|x|) - (2^E - 1); a value is element * 2^b. Encoding (of
///   x / 2^b): below half the smallest nonzero magnitude 2^0 (1 + 2^-M) -> 0 (exactly half -> 0,
///   the even code), below it -> it, above the largest (2^(2^E-1) (2 - 2^-M)) -> the largest,
///   else the mantissa rounds to nearest even (the reference implementation's rules). The
///   element alone, with bias 0, is `afN-eE-bias0`.
/// - `mx...`: OCP MX blocks of 32 consecutive values within each output channel (dim 0), one
///   e8m0 scale per block; elements fp8 (saturating), fp6, fp4 (e2m1) or, for `mxint8`,
///   q2.6-2c (MX's INT8 with its implicit scale 2^-6).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ares::format {

/// The family of a format.
enum class Kind {
  kFixed2c,
  kFixedSm,
  kFloat32,
  kFloat16,
  kBFloat16,
  kFloat8E4M3,
  kFloat8E5M2,
  kFloat6E2M3,
  kFloat6E3M2,
  kFloat4E2M1,
  kE8M0,
  kAdaptivFloat
};

/// Which values share a scale in a scaled format.
enum class Granularity {
  kNone,     ///< not scaled: the code is the value
  kTensor,   ///< one scale per tensor
  kChannel,  ///< one per output channel (dim 0)
  kBlock     ///< one per block of block() consecutive values within an output channel (MX)
};

/// The metadata of a scaled format (Granularity::kNone for every other format).
struct Scaling {
  Granularity granularity = Granularity::kNone;
  int block = 0;                     ///< kBlock: values per block (32 in MX)
  Kind scale_kind = Kind::kFloat32;  ///< how a scale is stored: fp32, fp16 or e8m0 (MX)
  bool zero_point = false;           ///< asymmetric: a zero point per group (an element code)
  friend bool operator==(const Scaling& a, const Scaling& b) {
    return a.granularity == b.granularity && a.block == b.block && a.scale_kind == b.scale_kind &&
           a.zero_point == b.zero_point;
  }
};

/// What one bit of a code means.
enum class BitRole { kSign, kInteger, kFraction, kExponent, kMantissa };

/// Name of a bit role: "sign", "integer", "fraction", "exponent", "mantissa".
const char* to_string(BitRole role);

/// An immutable number format. Cheap to copy; all methods are const and thread-safe.
class Format {
 public:
  /// Parses a user-typed spec (grammar above). Throws ares::InputError with one line naming
  /// the spec and what is wrong, e.g. `format 'q0.0-sm': integer bits must be >= 1`.
  static Format parse(std::string_view spec);
  /// Fixed point Q(int_bits.frac_bits). Throws ares::InputError when the widths are invalid.
  static Format fixed(int int_bits, int frac_bits, bool sign_magnitude);
  static Format fp32();
  static Format fp16();
  static Format bf16();
  /// OCP fp8 E4M3 and E5M2; `saturating` false gives the `-nosat` variants.
  static Format fp8_e4m3(bool saturating = true);
  static Format fp8_e5m2(bool saturating = true);
  /// The MX element floats and the MX scale (header comment).
  static Format fp6_e2m3();
  static Format fp6_e3m2();
  static Format fp4_e2m1();
  static Format e8m0();
  /// intN with one scale per tensor or per channel, optional zero points, fp32 or fp16 scales.
  /// Throws ares::InputError unless 2 <= bits <= 16 and granularity is kTensor or kChannel.
  static Format scaled_int(int bits, Granularity granularity, bool zero_point, bool fp16_scales);
  /// An MX format over `element` (fp8-e4m3, fp8-e5m2, fp6-e2m3, fp6-e3m2, fp4-e2m1 or q2.6-2c):
  /// blocks of 32 with an e8m0 scale. Throws ares::InputError for another element.
  static Format mx(const Format& element);
  /// AdaptivFloat with `bits` bits and `exp_bits` exponent bits (header); `scaled` false gives
  /// the element alone (bias 0). Throws ares::InputError for widths outside the grammar's.
  static Format adaptivfloat(int bits, int exp_bits, bool scaled = true);

  /// True for the scaled formats (intN..., mx...): values need their group's metadata.
  bool is_scaled() const { return scaling_.granularity != Granularity::kNone; }
  const Scaling& scaling() const { return scaling_; }
  /// The element format alone (this format without its scaling).
  Format element() const;
  /// How a scaled format stores its scales (fp32, fp16 or e8m0). Precondition: is_scaled().
  Format scale_format() const;
  /// Stored bits of one group's metadata: its scale word and, with -asym, its zero point (an
  /// element word); 0 for formats that are not scaled.
  int metadata_bits() const;

  Kind kind() const { return kind_; }
  bool is_fixed() const { return kind_ == Kind::kFixed2c || kind_ == Kind::kFixedSm; }
  /// Stored bits per value (8 for q2.6-2c, 16 for fp16).
  int width() const { return width_; }
  /// Integer bits including the sign (fixed point only; AdaptivFloat: its exponent bits; 0 for
  /// the other floats).
  int int_bits() const { return int_bits_; }
  /// Fraction bits (fixed point only; AdaptivFloat: its mantissa bits; 0 for the other floats).
  int frac_bits() const { return frac_bits_; }
  /// Whether encode stores values beyond the finite range as the nearest end of it (fixed
  /// point, fp8 without `-nosat`) rather than as Inf or NaN (fp16, bf16, fp8 `-nosat`; fp32
  /// keeps every value).
  bool saturates() const { return saturating_; }
  /// Canonical spec, e.g. "q2.6-2c", "fp16", "fp8-e4m3-nosat". parse(spec()) == *this.
  std::string spec() const;
  /// Mask of the width() low bits.
  uint32_t code_mask() const { return width_ == 32 ? 0xFFFFFFFFu : ((1u << width_) - 1u); }
  /// Index of the sign bit (always width() - 1).
  int sign_bit() const { return width_ - 1; }
  /// Index of the most significant non-sign bit (width() - 2).
  int msb() const { return width_ - 2; }
  /// Role of bit `bit` (0 = LSB). Precondition: 0 <= bit < width().
  BitRole role(int bit) const;
  /// Smallest and largest finite representable values.
  double min_value() const;
  double max_value() const;
  /// Value of one unit in the last place: 2^-frac_bits for fixed point; for floats the
  /// spacing at 1.0 (2^-23, 2^-10, 2^-7; 2^-3 in fp8-e4m3, 2^-2 in fp8-e5m2).
  double lsb() const;

  /// Encodes one value (round, saturate as documented above).
  uint32_t encode(float value) const;
  /// Decodes one code; bits above width() are ignored.
  float decode(uint32_t code) const;
  /// decode(encode(value)).
  float quantize(float value) const { return decode(encode(value)); }

  /// Span versions: tight loops, no per-value virtual dispatch. `in` and `out` may alias for
  /// quantize only.
  void encode(const float* in, uint32_t* out, std::size_t n) const;
  void decode(const uint32_t* in, float* out, std::size_t n) const;
  void quantize(const float* in, float* out, std::size_t n) const;

  friend bool operator==(const Format& a, const Format& b) {
    return a.kind_ == b.kind_ && a.int_bits_ == b.int_bits_ && a.frac_bits_ == b.frac_bits_ &&
           a.saturating_ == b.saturating_ && a.scaling_ == b.scaling_;
  }
  friend bool operator!=(const Format& a, const Format& b) { return !(a == b); }

 private:
  Format(Kind kind, int width, int int_bits, int frac_bits, bool saturating)
      : kind_(kind),
        width_(width),
        int_bits_(int_bits),
        frac_bits_(frac_bits),
        saturating_(saturating) {}
  Format with_scaling(const Scaling& scaling) const {
    Format f = *this;
    f.scaling_ = scaling;
    return f;
  }
  Kind kind_;
  int width_;
  int int_bits_;
  int frac_bits_;
  bool saturating_;
  Scaling scaling_;
};

}  // namespace ares::format
