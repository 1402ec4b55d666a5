#include "ares/fault/sampler.h"

#include <algorithm>
#include <cmath>
#include <iterator>

#include "ares/common/error.h"
#include "ares/fault/binomial.h"

namespace ares::fault {

namespace {

// Largest bit population one plan may cover (documented in sampler.h).
constexpr uint64_t kMaxBits = 1000000000000ull;  // 1e12

// Knuth's Algorithm S (TAOCP vol. 2, 3.4.2): visit 0..population-1 once and keep each with
// probability (still needed) / (still left). An integer draw instead of Knuth's real one
// makes every choice exact.
std::vector<uint64_t> selection_sample(Rng& rng, uint64_t population, uint64_t count) {
  std::vector<uint64_t> out;
  out.reserve(count);
  for (uint64_t t = 0; out.size() < count; ++t) {
    const uint64_t needed = count - out.size();
    if (rng.uniform(population - t) < needed) out.push_back(t);
  }
  return out;
}

}  // namespace

Semantics parse_semantics(std::string_view name) {
  if (name == "bernoulli") return Semantics::kBernoulli;
  if (name == "exact") return Semantics::kExact;
  throw InputError(detail::concat("fault semantics '", name, "': expected 'bernoulli' or 'exact'"));
}

const char* to_string(Semantics s) {
  switch (s) {
    case Semantics::kBernoulli:
      return "bernoulli";
    case Semantics::kExact:
      return "exact";
  }
  ARES_ASSERT(false, "unknown Semantics value ", static_cast<int>(s));
  return "";
}

std::vector<uint64_t> sample_distinct(Rng& rng, uint64_t population, uint64_t count) {
  ARES_CHECK(count <= population, "sample_distinct: count ", count, " exceeds the population ",
             population);
  if (count == 0) return {};
  if (count == population) {
    std::vector<uint64_t> all(count);
    for (uint64_t i = 0; i < count; ++i) all[i] = i;
    return all;
  }
  if (count > population / 8) return selection_sample(rng, population, count);

  // The first `count` distinct values of an iid uniform stream form a uniform random subset
  // (by symmetry). Draw `count` values, then top up the shortfall in batches: a batch of
  // `shortfall` draws adds at most `shortfall` new values, so the set never overshoots and,
  // when it reaches `count`, it is exactly the first `count` distinct values of the stream.
  // With count <= population / 8 the expected number of repeats is below count / 16, so
  // the batches shrink geometrically.
  std::vector<uint64_t> out(count);
  for (uint64_t& v : out) v = rng.uniform(population);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  std::vector<uint64_t> batch;
  std::vector<uint64_t> fresh;
  while (out.size() < count) {
    batch.resize(count - out.size());
    for (uint64_t& v : batch) v = rng.uniform(population);
    std::sort(batch.begin(), batch.end());
    batch.erase(std::unique(batch.begin(), batch.end()), batch.end());
    fresh.clear();
    std::set_difference(batch.begin(), batch.end(), out.begin(), out.end(),
                        std::back_inserter(fresh));
    const auto middle = static_cast<std::ptrdiff_t>(out.size());
    out.insert(out.end(), fresh.begin(), fresh.end());
    std::inplace_merge(out.begin(), out.begin() + middle, out.end());
  }
  return out;
}

std::vector<Flip> sample_flips(Rng& rng, uint64_t n_values, uint32_t faultable_mask, double ber,
                               Semantics semantics) {
  ARES_CHECK(ber >= 0 && ber <= 1, "bit error rate ", ber, ": expected a value in [0, 1]");
  const uint32_t k = static_cast<uint32_t>(__builtin_popcount(faultable_mask));
  // Checked before multiplying: n_values * k may overflow 64 bits.
  ARES_CHECK(k == 0 || n_values <= kMaxBits / k, "fault target of ", n_values, " values x ", k,
             " faultable bits exceeds the limit of 1e12 bits per plan");
  const uint64_t bits = n_values * k;
  if (bits == 0 || ber == 0) return {};

  uint64_t count = 0;
  switch (semantics) {
    case Semantics::kBernoulli:
      count = sample_binomial(rng, bits, ber);
      break;
    case Semantics::kExact:
      // ber * bits <= 1e12 is well inside long long; llround rounds half away from zero.
      count = static_cast<uint64_t>(std::llround(ber * static_cast<double>(bits)));
      count = std::min(count, bits);
      break;
  }

  // Position p of the population is value p / k, and the (p % k)-th faultable bit of it
  // counting from the LSB, so ascending positions give flips sorted by (index, bit).
  uint32_t bit_of[32];
  uint32_t j = 0;
  for (uint32_t b = 0; b < 32; ++b) {
    if (faultable_mask & (1u << b)) bit_of[j++] = b;
  }
  const std::vector<uint64_t> positions = sample_distinct(rng, bits, count);
  std::vector<Flip> flips;
  flips.reserve(positions.size());
  for (uint64_t pos : positions) flips.push_back(Flip{pos / k, bit_of[pos % k]});
  return flips;
}

std::vector<Flip> sample_flips_dense(Rng& rng, uint64_t n_values, uint32_t faultable_mask,
                                     double ber) {
  ARES_CHECK(ber >= 0 && ber <= 1, "bit error rate ", ber, ": expected a value in [0, 1]");
  std::vector<uint32_t> bits;
  for (uint32_t b = 0; b < 32; ++b) {
    if (faultable_mask & (1u << b)) bits.push_back(b);
  }
  std::vector<Flip> flips;
  for (uint64_t i = 0; i < n_values; ++i) {
    for (uint32_t b : bits) {
      if (rng.next_double() < ber) flips.push_back(Flip{i, b});
    }
  }
  return flips;
}

}  // namespace ares::fault
