#pragma once
/// Error-correcting codes over stored words: extended Hamming SEC-DED codes and even parity.
///
/// A code protects a block of k data bits (bit 0 = the LSB of the first word of the block)
/// with c check bits that are stored beside them and fault like any other stored bit.
///
/// SEC-DED (n, k), n = k + c, the standard layouts (72,64), (39,32), (22,16) and (13,8):
/// r = c - 1 Hamming check bits and one overall parity bit. Number the Hamming positions
/// 1 .. k + r: the positions that are powers of two (1, 2, 4, ..., 2^(r-1)) hold the check
/// bits, the others hold the data bits in ascending order (data bit 0 at position 3, data
/// bit 1 at 5, bit 2 at 6, bit 3 at 7, bit 4 at 9, ...). Check bit i (at position 2^i) is the
/// XOR of the data bits whose position has bit i set; the overall parity bit is the XOR of
/// every data and Hamming check bit, so the whole codeword has even parity. In the check
/// word, bit i (0 <= i < r) is Hamming check bit i and bit r is the overall parity bit.
///
/// Decoding: the syndrome s is the XOR of the positions of the set bits (stored Hamming check
/// bits XOR the ones recomputed from the data read), and p the parity of the whole codeword
/// read (data, Hamming check and overall parity bits).
///   s == 0, p == 0: kClean (no error seen);
///   p == 1, s a position of the code (or s == 0: the overall parity bit): kCorrected, the
///     bit at position s is flipped back (a check bit's correction leaves the data as read);
///   p == 1, s beyond the last position (only an odd number >= 3 of errors gets there):
///     kDetected;
///   p == 0, s != 0: kDetected (an even number of errors, such as a double error).
/// Three or more errors decode exactly as this says: they may be miscorrected (kCorrected
/// with wrong data) or look clean; nothing special-cases them.
///
/// Parity over k bits: one check bit, the XOR of the data bits (even parity). A read whose
/// parity does not match is kDetected (every odd number of errors), else kClean.
///
/// Example:
///   auto code = BlockCode::secded(72);
///   uint32_t check = code.encode(data);
///   auto read = code.decode(data ^ (1ull << 5), check);  // read.data == data, kCorrected

#include <cstdint>
#include <string>

#include "ares/fault/fault_model.h"
#include "ares/fault/rng.h"
#include "ares/fault/sampler.h"
#include "ares/format/format.h"

namespace ares::fault {

/// What a decoder concluded about one codeword.
enum class EccStatus { kClean, kCorrected, kDetected };

const char* to_string(EccStatus s);

/// The result of decoding one codeword.
struct EccRead {
  uint64_t data = 0;  ///< the data after correction (as read when not corrected)
  EccStatus status = EccStatus::kClean;
};

/// A systematic block code over at most 64 data bits with at most 8 check bits.
class BlockCode {
 public:
  enum class Kind { kSecded, kParity };
  /// SEC-DED with `n` total bits: 72, 39, 22 or 13 (64, 32, 16 or 8 data bits). Throws
  /// ares::InputError for another n.
  static BlockCode secded(int n);
  /// Even parity over `k` data bits, 1 <= k <= 64. Throws ares::InputError otherwise.
  static BlockCode parity(int k);

  Kind kind() const { return kind_; }
  int data_bits() const { return k_; }
  int check_bits() const { return c_; }
  int total_bits() const { return k_ + c_; }

  /// The check bits of `data` (bits above data_bits() are ignored).
  uint32_t encode(uint64_t data) const;
  /// Decodes a codeword read as `data` (data bits) and `check` (check bits).
  EccRead decode(uint64_t data, uint32_t check) const;

  /// Hamming position (1-based) of data bit `i` (SEC-DED only; for tests and docs).
  int data_position(int i) const { return data_pos_[i]; }
  /// The data bits that Hamming check bit `i` covers (SEC-DED, i < check_bits() - 1).
  uint64_t check_cover(int i) const { return cover_[i]; }

 private:
  BlockCode() = default;
  Kind kind_ = Kind::kParity;
  int k_ = 0, c_ = 0;
  uint64_t data_mask_ = 0;
  uint64_t cover_[8] = {};  // per Hamming check bit: the data bits it covers
  int data_pos_[64] = {};   // data bit -> Hamming position
  int pos_data_[128] = {};  // Hamming position -> data bit, -1 for a check or no position
};

/// What a codeword's words become when its decoder detects an error it cannot correct.
enum class EccAction {
  kKeep,  ///< the data as read (faulty) is used
  kZero,  ///< every word of the codeword reads as the format's zero
};

/// Per trial, over the codewords that at least one fault hit.
struct EccCounts {
  uint64_t corrected = 0;     ///< decoded kCorrected (rightly or not)
  uint64_t detected = 0;      ///< decoded kDetected
  uint64_t miscorrected = 0;  ///< not kDetected, yet the data decoded differs from the clean data
};

/// Codewords that `n` values of `width` bits fill: ceil(n * width / code.data_bits()). The
/// last one is padded with zero data bits (stored, so faultable like the others).
/// Precondition: code.data_bits() is a multiple of width.
uint64_t codeword_count(uint64_t n, int width, const BlockCode& code);

/// Samples one trial's faults over `n` values whose clean codes are `codes` (format `fmt`),
/// stored in codewords of `code` (codeword_count(n, fmt.width(), code) of
/// code.total_bits() bits each: data and check bits) at bit error rate `ber` under
/// `semantics`, and decodes every codeword that a flip hit. Returns the plan of the values
/// whose code changes after decoding (sorted by index, one entry each), hits = the bits
/// flipped. The population position p is bit p % total_bits of codeword p / total_bits, its
/// data bits first (bit q < k: data bit q), then its check bits (bit k + i: check bit i).
/// The positions are drawn as sample_flips draws them (the count, then sample_distinct), so
/// the same stream gives the same plan, in O(flips). `counts` (may be null) receives the
/// decoder's outcomes. Throws ares::InputError when code.data_bits() is not a multiple of
/// fmt.width(), or as sample_flips does.
FaultPlan sample_coded_faults(Rng& rng, const uint32_t* codes, uint64_t n,
                              const format::Format& fmt, const BlockCode& code, EccAction action,
                              double ber, Semantics semantics, EccCounts* counts);

}  // namespace ares::fault
