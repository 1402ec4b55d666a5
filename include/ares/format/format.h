#pragma once
/// Number formats: how a float weight or activation is stored as a bit code.
///
/// A code is held in the low `width()` bits of a `uint32_t`; bit 0 is the least significant
/// bit. Every format is exact: `decode(encode(x))` is the stored value, and a fault that flips
/// bit b turns the stored value into `decode(code ^ (1u << b))`.
///
/// Grammar of a format spec (case-insensitive, no spaces):
///
///     spec   := fixed | "fp32" | "fp16" | "bf16" | fp8
///     fixed  := "q" I "." F "-" enc        I >= 1 integer bits (sign included), F >= 0,
///     enc    := "2c" | "sm"                2 <= I + F <= 32
///     fp8    := "fp8-" ("e4m3" | "e5m2") ["-nosat"]
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

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ares::format {

/// The family of a format.
enum class Kind { kFixed2c, kFixedSm, kFloat32, kFloat16, kBFloat16, kFloat8E4M3, kFloat8E5M2 };

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

  Kind kind() const { return kind_; }
  bool is_fixed() const { return kind_ == Kind::kFixed2c || kind_ == Kind::kFixedSm; }
  /// Stored bits per value (8 for q2.6-2c, 16 for fp16).
  int width() const { return width_; }
  /// Integer bits including the sign (fixed point only; 0 for floats).
  int int_bits() const { return int_bits_; }
  /// Fraction bits (fixed point only; 0 for floats).
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
           a.saturating_ == b.saturating_;
  }
  friend bool operator!=(const Format& a, const Format& b) { return !(a == b); }

 private:
  Format(Kind kind, int width, int int_bits, int frac_bits, bool saturating)
      : kind_(kind),
        width_(width),
        int_bits_(int_bits),
        frac_bits_(frac_bits),
        saturating_(saturating) {}
  Kind kind_;
  int width_;
  int int_bits_;
  int frac_bits_;
  bool saturating_;
};

}  // namespace ares::format
