#pragma once
/// Protections: bits that faults never reach, or codes that correct and detect them.
///
/// Protected bits are removed from the population that the BER applies to: a target of n
/// values in a W-bit format with k protected bits per value has n * (W - k) faultable bits.
///
/// Codes (ecc.h) add check bits that are stored and fault like the data: under a code of k
/// data and c check bits, n values of W bits fill ceil(n * W / k) codewords, and the BER
/// applies to all their k + c bits; the decoder then corrects or detects what it can.
///
/// Spec grammar (what users type):
///   none          nothing protected
///   sign          oracle sign protection: the sign bit never flips
///   msb:K         the top K bits (sign included) never flip, 1 <= K <= width
///   lsb:K         the low K bits never flip
///   mask:0xHEX    the bits set in HEX never flip (bit 0 = LSB)
///   bits:A,B,...  the listed bit indices never flip (0 = LSB)
///   secded:N      extended Hamming SEC-DED code of N bits per codeword: 72 (64 data bits),
///                 39 (32), 22 (16) or 13 (8); the data bits hold whole words (8 words of an
///                 8-bit format under secded:72). A detected uncorrectable error keeps the
///                 data as read.
///   secded:N:zero the same, but a detected error zeroes every word of its codeword
///                 (secded:N:keep is secded:N)
///   parity        one even-parity bit per stored word; a detected error zeroes the word

#include <cstdint>
#include <string>
#include <string_view>

#include "ares/fault/ecc.h"
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

  /// Whether this is a code (secded, parity) rather than a set of protected bits.
  bool is_code() const { return kind_ == Kind::kSecded || kind_ == Kind::kParity; }
  /// The code protecting words of `fmt` (is_code() only). Throws ares::InputError when its
  /// data bits do not hold whole words of `fmt` (secded:13 on a 16-bit format).
  BlockCode code(const format::Format& fmt) const;
  /// What a detected uncorrectable error does (codes only; parity: kZero).
  EccAction action() const { return action_; }
  /// Stored bits per value: the format's width plus its share of check bits
  /// (W * (k + c) / k under a code; W otherwise). Throws as code() does.
  double stored_bits_per_value(const format::Format& fmt) const;
  /// The bits the BER applies to for `n` values of `fmt` whose faultable bits are `mask`:
  /// n * popcount(mask) for bit protections; for codes every data and check bit of the
  /// codewords, codeword_count(n, W, code) * (k + c). Throws as code() does.
  uint64_t population(uint64_t n, const format::Format& fmt, uint32_t mask) const;

  friend bool operator==(const Protection& a, const Protection& b) { return a.spec_ == b.spec_; }

 private:
  enum class Kind { kNone, kSign, kMsb, kLsb, kMask, kSecded, kParity };
  Protection(Kind kind, uint32_t arg, std::string spec, EccAction action = EccAction::kKeep)
      : kind_(kind), arg_(arg), action_(action), spec_(std::move(spec)) {}
  Kind kind_;
  uint32_t arg_;  // msb/lsb: K; mask: the mask; secded: N
  EccAction action_;
  std::string spec_;
};

}  // namespace ares::fault
