#include "ares/fault/rng.h"

#include "ares/common/error.h"

namespace ares::fault {

namespace {

// 2^64 / golden ratio, the SplitMix64 increment.
constexpr uint64_t kGolden = 0x9E3779B97F4A7C15ull;
// Arbitrary odd constants that separate the seed, the coordinates and the second round of
// next_u64 from each other, so that e.g. a zero seed does not start from a zero state.
constexpr uint64_t kSeedSalt = 0x243F6A8885A308D3ull;   // pi
constexpr uint64_t kCountSalt = 0xB7E151628AED2A6Bull;  // e
constexpr uint64_t kRoundSalt = 0x6A09E667F3BCC909ull;  // sqrt(2)

uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

}  // namespace

uint64_t mix64(uint64_t x) {
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

uint64_t stream_key(uint64_t seed, std::initializer_list<uint64_t> coordinates) {
  uint64_t h = mix64(seed ^ kSeedSalt);
  uint64_t slot = 0;
  for (uint64_t c : coordinates) {
    // The slot number enters every coordinate's hash, so swapping two coordinates changes
    // the key; chaining through h makes every coordinate affect all later rounds.
    ++slot;
    h = mix64(h ^ mix64(c + slot * kGolden));
  }
  // The count separates {} from {0}, {0} from {0, 0}, and so on.
  return mix64(h ^ (slot * kCountSalt));
}

uint64_t Rng::next_u64() {
  // Counter-based: output i depends only on (key, i). The first round is SplitMix64's own
  // output function for a stream seeded with key_; the second round, keyed by a rotated copy
  // of the key, removes the linear relation between streams whose keys differ by multiples
  // of the increment.
  const uint64_t i = counter_++;
  const uint64_t x = mix64(key_ + (i + 1) * kGolden);
  return mix64(x ^ rotl(key_, 32) ^ kRoundSalt);
}

double Rng::next_double() {
  // Top 53 bits: every multiple of 2^-53 in [0, 1) equally likely.
  return static_cast<double>(next_u64() >> 11) * 0x1.0p-53;
}

double Rng::next_double_open() {
  // Midpoints of the 2^52 cells of [0, 1): (j + 1/2) * 2^-52 is exact in a double, lies in
  // [2^-53, 1 - 2^-53], and 1 - u is in (0, 1) as well.
  return (static_cast<double>(next_u64() >> 12) + 0.5) * 0x1.0p-52;
}

uint64_t Rng::uniform(uint64_t n) {
  ARES_CHECK(n > 0, "Rng::uniform: n must be > 0, got 0");
  // Lemire, "Fast random integer generation in an interval" (2019): the high word of x * n
  // is uniform once the low word is outside the biased band [0, 2^64 mod n).
  unsigned __int128 m = static_cast<unsigned __int128>(next_u64()) * n;
  uint64_t low = static_cast<uint64_t>(m);
  if (low < n) {
    const uint64_t threshold = (0 - n) % n;  // 2^64 mod n
    while (low < threshold) {
      m = static_cast<unsigned __int128>(next_u64()) * n;
      low = static_cast<uint64_t>(m);
    }
  }
  return static_cast<uint64_t>(m >> 64);
}

}  // namespace ares::fault
