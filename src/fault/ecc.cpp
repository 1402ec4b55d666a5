#include "ares/fault/ecc.h"

#include <algorithm>
#include <cmath>

#include "ares/common/error.h"
#include "ares/fault/binomial.h"

namespace ares::fault {

namespace {

constexpr uint64_t kMaxBits = 1000000000000ull;  // 1e12, as sample_flips

uint32_t parity64(uint64_t x) { return uint32_t(__builtin_popcountll(x) & 1); }

uint64_t low_mask(int k) { return k >= 64 ? ~0ull : ((1ull << k) - 1ull); }

}  // namespace

const char* to_string(EccStatus s) {
  switch (s) {
    case EccStatus::kClean:
      return "clean";
    case EccStatus::kCorrected:
      return "corrected";
    case EccStatus::kDetected:
      return "detected";
  }
  ARES_ASSERT(false, "unknown EccStatus ", static_cast<int>(s));
  return "";
}

BlockCode BlockCode::secded(int n) {
  int k = 0;
  switch (n) {
    case 72:
      k = 64;
      break;
    case 39:
      k = 32;
      break;
    case 22:
      k = 16;
      break;
    case 13:
      k = 8;
      break;
    default:
      throw InputError(
          detail::concat("SEC-DED code (", n, "): expected 72, 39, 22 or 13 total bits"));
  }
  BlockCode c;
  c.kind_ = Kind::kSecded;
  c.k_ = k;
  c.c_ = n - k;
  c.data_mask_ = low_mask(k);
  std::fill(std::begin(c.pos_data_), std::end(c.pos_data_), -1);
  // Data bits fill the positions that are not powers of two, in ascending order.
  int pos = 1;
  for (int i = 0; i < k; ++i) {
    while ((pos & (pos - 1)) == 0) ++pos;
    c.data_pos_[i] = pos;
    c.pos_data_[pos] = i;
    for (int b = 0; b < c.c_ - 1; ++b) {
      if (pos >> b & 1) c.cover_[b] |= 1ull << i;
    }
    ++pos;
  }
  ARES_ASSERT(pos - 1 == k + c.c_ - 1, "SEC-DED layout: last position ", pos - 1);
  return c;
}

BlockCode BlockCode::parity(int k) {
  ARES_CHECK(k >= 1 && k <= 64, "parity code: expected 1 to 64 data bits, got ", k);
  BlockCode c;
  c.kind_ = Kind::kParity;
  c.k_ = k;
  c.c_ = 1;
  c.data_mask_ = low_mask(k);
  c.cover_[0] = c.data_mask_;
  return c;
}

uint32_t BlockCode::encode(uint64_t data) const {
  data &= data_mask_;
  if (kind_ == Kind::kParity) return parity64(data);
  const int r = c_ - 1;
  uint32_t check = 0;
  for (int i = 0; i < r; ++i) check |= parity64(data & cover_[i]) << i;
  // The overall parity covers the data and the Hamming check bits.
  check |= (parity64(data) ^ uint32_t(__builtin_popcount(check) & 1)) << r;
  return check;
}

EccRead BlockCode::decode(uint64_t data, uint32_t check) const {
  data &= data_mask_;
  check &= (1u << c_) - 1u;
  EccRead out{data, EccStatus::kClean};
  if (kind_ == Kind::kParity) {
    if ((parity64(data) ^ check) != 0) out.status = EccStatus::kDetected;
    return out;
  }
  const int r = c_ - 1;
  const uint32_t hamming = check & ((1u << r) - 1u);
  const uint32_t syndrome = (encode(data) & ((1u << r) - 1u)) ^ hamming;
  const uint32_t p = parity64(data) ^ uint32_t(__builtin_popcount(check) & 1);
  if (p == 0) {
    if (syndrome != 0) out.status = EccStatus::kDetected;
    return out;
  }
  // An odd number of errors: the decoder takes it for one, at position `syndrome`.
  if (syndrome >= uint32_t(k_ + r + 1)) {
    out.status = EccStatus::kDetected;  // no such position: only three or more errors
    return out;
  }
  out.status = EccStatus::kCorrected;
  const int bit = pos_data_[syndrome];  // -1: a check bit (or the overall parity bit, s == 0)
  if (bit >= 0) out.data ^= 1ull << bit;
  return out;
}

uint64_t codeword_count(uint64_t n, int width, const BlockCode& code) {
  ARES_ASSERT(width >= 1 && code.data_bits() % width == 0, "codeword_count: width ", width);
  const uint64_t per = uint64_t(code.data_bits() / width);
  return (n + per - 1) / per;
}

FaultPlan sample_coded_faults(Rng& rng, const uint32_t* codes, uint64_t n,
                              const format::Format& fmt, const BlockCode& code, EccAction action,
                              double ber, Semantics semantics, EccCounts* counts) {
  ARES_CHECK(ber >= 0 && ber <= 1, "bit error rate ", ber, ": expected a value in [0, 1]");
  const int width = fmt.width();
  ARES_CHECK(code.data_bits() % width == 0, "a code of ", code.data_bits(),
             " data bits does not hold whole words of format '", fmt.spec(), "' (", width,
             " bits)");
  const uint64_t words = codeword_count(n, width, code);
  const uint64_t per_word = uint64_t(code.total_bits());
  ARES_CHECK(words <= kMaxBits / per_word, "fault target of ", words, " codewords x ", per_word,
             " bits exceeds the limit of 1e12 bits per plan");
  const uint64_t bits = words * per_word;
  EccCounts local;
  EccCounts& tally = counts ? *counts : local;
  tally = EccCounts();
  FaultPlan plan;
  if (bits == 0 || ber == 0) return plan;

  // The same two draws as sample_flips: the count, then that many distinct positions.
  uint64_t count = 0;
  switch (semantics) {
    case Semantics::kBernoulli:
      count = sample_binomial(rng, bits, ber);
      break;
    case Semantics::kExact:
      count = static_cast<uint64_t>(std::llround(ber * static_cast<double>(bits)));
      count = std::min(count, bits);
      break;
  }
  const std::vector<uint64_t> positions = sample_distinct(rng, bits, count);
  plan.hits = positions.size();

  const uint64_t per = uint64_t(code.data_bits() / width);  // values per codeword
  const uint32_t mask = fmt.code_mask();
  const uint32_t zero = fmt.encode(0.0f);
  const int k = code.data_bits();
  for (size_t i = 0; i < positions.size();) {
    const uint64_t word = positions[i] / per_word;
    uint64_t flip_data = 0;
    uint32_t flip_check = 0;
    for (; i < positions.size() && positions[i] / per_word == word; ++i) {
      const int q = int(positions[i] % per_word);
      if (q < k) {
        flip_data |= 1ull << q;
      } else {
        flip_check |= 1u << (q - k);
      }
    }
    // The clean block (its padding beyond the last value is zero) and its check bits.
    const uint64_t first = word * per;
    const uint64_t last = std::min(first + per, n);
    uint64_t clean = 0;
    for (uint64_t v = first; v < last; ++v) {
      clean |= uint64_t(codes[v] & mask) << (uint64_t(width) * (v - first));
    }
    const uint32_t check = code.encode(clean);
    const EccRead read = code.decode(clean ^ flip_data, check ^ flip_check);
    const bool detected = read.status == EccStatus::kDetected;
    if (read.status == EccStatus::kCorrected) ++tally.corrected;
    if (detected) ++tally.detected;
    if (!detected && read.data != clean) ++tally.miscorrected;
    for (uint64_t v = first; v < last; ++v) {
      const uint32_t old = codes[v];
      uint32_t now = uint32_t(read.data >> (uint64_t(width) * (v - first))) & mask;
      if (detected && action == EccAction::kZero) now = zero;
      if (now != old) plan.changes.push_back({v, now});
    }
  }
  return plan;
}

}  // namespace ares::fault
