#pragma once
/// Protections: bits that faults never reach.
///
/// Protected bits are removed from the population that the BER applies to: a target of n
/// values in a W-bit format with k protected bits per value has n * (W - k) faultable bits.
///
/// Spec grammar (what users type):
///   none          nothing protected
///   sign          oracle sign protection: the sign bit never flips
///   msb:K         the top K bits (sign included) never flip, 1 <= K <= width
///   lsb:K         the low K bits never flip
///   mask:0xHEX    the bits set in HEX never flip (bit 0 = LSB)
///   bits:A,B,...  the listed bit indices never flip (0 = LSB)

#include <cstdint>
#include <string>
#include <string_view>

#include "ares/format/format.h"

namespace ares::fault {

/// A named set of protected bit positions, resolved against a format.
class Protection {
 public:
  /// Parses a spec (grammar above). Throws ares::InputError on malformed specs.
  static Protection parse(std::string_view spec);
  static Protection none() { return parse("none"); }
  static Protection sign() { return parse("sign"); }

  /// Canonical spec, e.g. "none", "sign", "msb:2", "mask:0x81".
  std::string spec() const { return spec_; }
  /// Protected bits for `fmt` (within fmt.code_mask()). Throws ares::InputError when the
  /// protection does not fit the format (msb:9 on an 8-bit format).
  uint32_t protected_mask(const format::Format& fmt) const;
  /// Bits that may flip: fmt.code_mask() & ~protected_mask(fmt).
  uint32_t faultable_mask(const format::Format& fmt) const {
    return fmt.code_mask() & ~protected_mask(fmt);
  }

  friend bool operator==(const Protection& a, const Protection& b) { return a.spec_ == b.spec_; }

 private:
  enum class Kind { kNone, kSign, kMsb, kLsb, kMask };
  Protection(Kind kind, uint32_t arg, std::string spec)
      : kind_(kind), arg_(arg), spec_(std::move(spec)) {}
  Kind kind_;
  uint32_t arg_;
  std::string spec_;
};

}  // namespace ares::fault
