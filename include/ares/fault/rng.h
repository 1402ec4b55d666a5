#pragma once
/// Deterministic, counter-based random streams.
///
/// A stream is keyed by a 64-bit key derived from (campaign seed, coordinates) with
/// `stream_key`; its output depends on nothing else (not on threads, order or platform).
/// Every sampler in Ares uses these integer-exact primitives, never `std::*_distribution`,
/// whose results differ between standard libraries.

#include <cstdint>
#include <initializer_list>

namespace ares::fault {

/// SplitMix64 finaliser: a bijective 64-bit mix.
uint64_t mix64(uint64_t x);

/// Derives a stream key from a seed and any number of coordinates (instance, format index,
/// BER index, trial, ...). Order matters: stream_key(s, {1, 2}) != stream_key(s, {2, 1}).
uint64_t stream_key(uint64_t seed, std::initializer_list<uint64_t> coordinates);

/// Counter-based generator: output i is mix of (key, i). Copyable; copies continue
/// independently from the same position.
///
/// Example:
///   Rng rng(stream_key(7, {instance, ber_index, trial}));
///   uint64_t k = rng.uniform(100);   // in [0, 100)
class Rng {
 public:
  explicit Rng(uint64_t key) : key_(key) {}
  /// Next 64 uniformly random bits.
  uint64_t next_u64();
  /// Uniform double in [0, 1) with 53 random bits.
  double next_double();
  /// Uniform double in (0, 1): never returns 0 (safe for log()).
  double next_double_open();
  /// Uniform integer in [0, n), unbiased (Lemire's method with rejection). Precondition n > 0.
  uint64_t uniform(uint64_t n);
  /// Number of 64-bit words drawn so far.
  uint64_t position() const { return counter_; }

 private:
  uint64_t key_;
  uint64_t counter_ = 0;
};

}  // namespace ares::fault
