#pragma once
/// Number formats: how a float weight or activation is stored as a bit code.
///
/// A code is held in the low `width()` bits of a `uint32_t`; bit 0 is the least significant
/// bit. Every format is exact: `decode(encode(x))` is the stored value, and a fault that flips
/// bit b turns the stored value into `decode(code ^ (1u << b))`.
///
/// Grammar of a format spec (case-insensitive, no spaces):
///
///     spec   := fixed | "fp32" | "fp16" | "bf16"
///     fixed  := "q" I "." F "-" enc        I >= 1 integer bits (sign included), F >= 0,
///     enc    := "2c" | "sm"                2 <= I + F <= 32
///
/// Examples: `q2.6-2c` (8 bits, two's complement, range [-2, 1.984375], LSB 1/64),
/// `q2.6-sm` (8 bits, sign-magnitude, range [-1.984375, 1.984375]), `fp16`, `bf16`, `fp32`.
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

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ares::format {

/// The family of a format.
enum class Kind { kFixed2c, kFixedSm, kFloat32, kFloat16, kBFloat16 };

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

  Kind kind() const { return kind_; }
  bool is_fixed() const { return kind_ == Kind::kFixed2c || kind_ == Kind::kFixedSm; }
  /// Stored bits per value (8 for q2.6-2c, 16 for fp16).
  int width() const { return width_; }
  /// Integer bits including the sign (fixed point only; 0 for floats).
  int int_bits() const { return int_bits_; }
  /// Fraction bits (fixed point only; 0 for floats).
  int frac_bits() const { return frac_bits_; }
  /// Canonical spec, e.g. "q2.6-2c", "fp16". parse(spec()) == *this.
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
  /// spacing at 1.0 (2^-23, 2^-10, 2^-7).
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
    return a.kind_ == b.kind_ && a.int_bits_ == b.int_bits_ && a.frac_bits_ == b.frac_bits_;
  }
  friend bool operator!=(const Format& a, const Format& b) { return !(a == b); }

 private:
  Format(Kind kind, int width, int int_bits, int frac_bits)
      : kind_(kind), width_(width), int_bits_(int_bits), frac_bits_(frac_bits) {}
  Kind kind_;
  int width_;
  int int_bits_;
  int frac_bits_;
};

}  // namespace ares::format
