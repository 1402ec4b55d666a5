#include "ares/fault/ecc.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "../expect_input_error.h"
#include "ares/fault/binomial.h"
#include "ares/fault/protection.h"
#include "ares/fault/rng.h"
#include "ares/fault/sampler.h"
#include "ares/format/format.h"

namespace ares::fault {
namespace {

using format::Format;

// The extended Hamming code from its definition, independent of BlockCode: a codeword of
// n bits is a vector over positions 0..n-1; position 0 is the overall parity bit, the
// positions that are powers of two are the Hamming check bits, the rest hold the data bits
// in ascending order. The parity-check matrix H has one row per Hamming check bit i (the
// positions with bit i set) and a last row of every position.
struct Reference {
  int n = 0, k = 0, r = 0;
  std::vector<int> data_pos;           // data bit -> position
  std::vector<std::vector<int>> rows;  // H: per row, its positions

  explicit Reference(int total) : n(total) {
    while ((1 << r) < n) ++r;  // positions 1..n-1 need r bits
    // n - 1 = k + r Hamming positions.
    k = n - 1 - r;
    for (int p = 1; p < n; ++p) {
      if ((p & (p - 1)) != 0) data_pos.push_back(p);
    }
    EXPECT_EQ(int(data_pos.size()), k);
    for (int i = 0; i < r; ++i) {
      std::vector<int> row;
      for (int p = 1; p < n; ++p) {
        if (p >> i & 1) row.push_back(p);
      }
      rows.push_back(row);
    }
    std::vector<int> all;
    for (int p = 0; p < n; ++p) all.push_back(p);
    rows.push_back(all);
  }
  // Position vector of (data, check) in BlockCode's check layout (bit i: position 2^i,
  // bit r: position 0).
  std::vector<int> word(uint64_t data, uint32_t check) const {
    std::vector<int> x(size_t(n), 0);
    for (int i = 0; i < k; ++i) x[size_t(data_pos[size_t(i)])] = int(data >> i & 1);
    for (int i = 0; i < r; ++i) x[size_t(1 << i)] = int(check >> i & 1);
    x[0] = int(check >> r & 1);
    return x;
  }
  std::vector<int> syndrome(const std::vector<int>& x) const {
    std::vector<int> s;
    for (const auto& row : rows) {
      int v = 0;
      for (int p : row) v ^= x[size_t(p)];
      s.push_back(v);
    }
    return s;
  }
  // The textbook decoder over a position vector: the data after correction and the status.
  EccRead decode(std::vector<int> x) const {
    const auto s = syndrome(x);
    int pos = 0;
    for (int i = 0; i < r; ++i) pos |= s[size_t(i)] << i;
    const int overall = s[size_t(r)];
    EccRead out;
    if (overall == 0) {
      out.status = pos == 0 ? EccStatus::kClean : EccStatus::kDetected;
    } else if (pos >= n) {
      out.status = EccStatus::kDetected;
    } else {
      out.status = EccStatus::kCorrected;
      x[size_t(pos)] ^= 1;
    }
    for (int i = 0; i < k; ++i) out.data |= uint64_t(x[size_t(data_pos[size_t(i)])]) << i;
    return out;
  }
};

uint64_t random_data(Rng& rng, int k) {
  const uint64_t v = rng.next_u64();
  return k == 64 ? v : v & ((1ull << k) - 1);
}

// Flips codeword bit q (data bits first, then check bits) of (data, check).
void flip(int k, int q, uint64_t& data, uint32_t& check) {
  if (q < k) {
    data ^= 1ull << q;
  } else {
    check ^= 1u << (q - k);
  }
}

TEST(EccTest, LayoutsHaveTheStandardSizes) {
  for (auto [n, k] : {std::pair{72, 64}, {39, 32}, {22, 16}, {13, 8}}) {
    const BlockCode c = BlockCode::secded(n);
    EXPECT_EQ(c.total_bits(), n);
    EXPECT_EQ(c.data_bits(), k);
    const Reference ref(n);
    EXPECT_EQ(ref.k, k);
    for (int i = 0; i < k; ++i) EXPECT_EQ(c.data_position(i), ref.data_pos[size_t(i)]);
  }
  EXPECT_EQ(BlockCode::parity(8).total_bits(), 9);
  testing::expect_input_error([] { BlockCode::secded(64); }, {"64", "72, 39, 22 or 13"});
}

TEST(EccTest, EncodeSatisfiesTheParityCheckMatrix) {
  for (int n : {72, 39, 22, 13}) {
    SCOPED_TRACE(n);
    const BlockCode c = BlockCode::secded(n);
    const Reference ref(n);
    Rng rng(stream_key(11, {uint64_t(n)}));
    for (int t = 0; t < 2000; ++t) {
      const uint64_t data = t < ref.k ? 1ull << t : random_data(rng, ref.k);
      const auto s = ref.syndrome(ref.word(data, c.encode(data)));
      for (int v : s) ASSERT_EQ(v, 0) << std::hex << data;
    }
  }
}

TEST(EccTest, ExhaustiveSingleAndDoubleErrorsOf13_8) {
  const BlockCode c = BlockCode::secded(13);
  for (uint64_t data = 0; data < 256; ++data) {
    const uint32_t check = c.encode(data);
    const EccRead clean = c.decode(data, check);
    ASSERT_EQ(clean.status, EccStatus::kClean);
    ASSERT_EQ(clean.data, data);
    for (int a = 0; a < 13; ++a) {
      uint64_t d1 = data;
      uint32_t c1 = check;
      flip(8, a, d1, c1);
      const EccRead one = c.decode(d1, c1);
      ASSERT_EQ(one.status, EccStatus::kCorrected) << data << " bit " << a;
      ASSERT_EQ(one.data, data) << data << " bit " << a;
      for (int b = a + 1; b < 13; ++b) {
        uint64_t d2 = d1;
        uint32_t c2 = c1;
        flip(8, b, d2, c2);
        const EccRead two = c.decode(d2, c2);
        ASSERT_EQ(two.status, EccStatus::kDetected) << data << " bits " << a << "," << b;
        ASSERT_EQ(two.data, d2);  // kept as read
      }
    }
  }
}

TEST(EccTest, ExhaustiveSingleErrorsOf22_16) {
  const BlockCode c = BlockCode::secded(22);
  for (uint64_t data = 0; data < 65536; ++data) {
    const uint32_t check = c.encode(data);
    ASSERT_EQ(c.decode(data, check).status, EccStatus::kClean);
    for (int a = 0; a < 22; ++a) {
      uint64_t d = data;
      uint32_t ch = check;
      flip(16, a, d, ch);
      const EccRead one = c.decode(d, ch);
      ASSERT_EQ(one.status, EccStatus::kCorrected);
      ASSERT_EQ(one.data, data);
    }
  }
}

TEST(EccTest, SampledSingleAndDoubleErrorsOf72_64And39_32) {
  for (int n : {72, 39, 22}) {
    SCOPED_TRACE(n);
    const BlockCode c = BlockCode::secded(n);
    const int k = c.data_bits();
    Rng rng(stream_key(5, {uint64_t(n)}));
    for (int t = 0; t < 300; ++t) {
      const uint64_t data = random_data(rng, k);
      const uint32_t check = c.encode(data);
      for (int a = 0; a < n; ++a) {
        uint64_t d = data;
        uint32_t ch = check;
        flip(k, a, d, ch);
        const EccRead one = c.decode(d, ch);
        ASSERT_EQ(one.status, EccStatus::kCorrected);
        ASSERT_EQ(one.data, data);
      }
      for (int pair = 0; pair < 50; ++pair) {
        const int a = int(rng.uniform(uint64_t(n)));
        int b = int(rng.uniform(uint64_t(n - 1)));
        if (b >= a) ++b;
        uint64_t d = data;
        uint32_t ch = check;
        flip(k, a, d, ch);
        flip(k, b, d, ch);
        ASSERT_EQ(c.decode(d, ch).status, EccStatus::kDetected) << a << "," << b;
      }
    }
  }
}

TEST(EccTest, ManyErrorsDecodeAsTheReferenceSyndromeSays) {
  for (int n : {72, 39, 22, 13}) {
    SCOPED_TRACE(n);
    const BlockCode c = BlockCode::secded(n);
    const Reference ref(n);
    const int k = c.data_bits();
    Rng rng(stream_key(9, {uint64_t(n)}));
    int miscorrected = 0;
    for (int t = 0; t < 3000; ++t) {
      uint64_t d = random_data(rng, k);
      uint32_t ch = c.encode(d);
      const int errors = 3 + int(rng.uniform(4));
      for (uint64_t q : sample_distinct(rng, uint64_t(n), uint64_t(errors))) flip(k, int(q), d, ch);
      const EccRead got = c.decode(d, ch);
      const EccRead want = ref.decode(ref.word(d, ch));
      ASSERT_EQ(got.status, want.status);
      ASSERT_EQ(got.data, want.data);
      miscorrected += got.status == EccStatus::kCorrected ? 1 : 0;
    }
    EXPECT_GT(miscorrected, 0);  // three errors do get miscorrected
  }
}

TEST(EccTest, ParityDetectsOddErrors) {
  const BlockCode c = BlockCode::parity(8);
  for (uint64_t data = 0; data < 256; ++data) {
    const uint32_t check = c.encode(data);
    ASSERT_EQ(check, uint32_t(__builtin_popcountll(data) & 1));
    ASSERT_EQ(c.decode(data, check).status, EccStatus::kClean);
    for (int a = 0; a < 9; ++a) {
      uint64_t d = data;
      uint32_t ch = check;
      flip(8, a, d, ch);
      ASSERT_EQ(c.decode(d, ch).status, EccStatus::kDetected);
    }
  }
}

// The plan of sample_coded_faults against the reference decoder applied to the same flips,
// drawn here as sample_flips draws them over codewords of n bits (one "value" per codeword).
void check_plan(const char* spec, const char* fmt_spec, uint64_t n_values, double ber,
                Semantics semantics, uint64_t seed) {
  SCOPED_TRACE(std::string(spec) + " " + fmt_spec + " seed " + std::to_string(seed));
  const Format fmt = Format::parse(fmt_spec);
  const Protection prot = Protection::parse(spec);
  const BlockCode code = prot.code(fmt);
  const int W = fmt.width(), k = code.data_bits(), n = code.total_bits();
  const uint64_t per = uint64_t(k / W);
  std::vector<uint32_t> codes(n_values);
  Rng data_rng(stream_key(seed, {1}));
  for (auto& v : codes) v = uint32_t(data_rng.next_u64()) & fmt.code_mask();
  const uint64_t words = (n_values + per - 1) / per;
  EXPECT_EQ(codeword_count(n_values, W, code), words);
  EXPECT_EQ(prot.population(n_values, fmt, 0), words * uint64_t(n));

  // The flips, drawn independently: the count and the distinct positions over words * n bits.
  Rng twin(stream_key(seed, {2}));
  const uint64_t bits = words * uint64_t(n);
  const uint64_t count = semantics == Semantics::kBernoulli
                             ? sample_binomial(twin, bits, ber)
                             : uint64_t(std::llround(ber * double(bits)));
  std::map<uint64_t, std::vector<int>> by_word;
  for (uint64_t p : sample_distinct(twin, bits, count)) by_word[p / n].push_back(int(p % n));

  Rng rng(stream_key(seed, {2}));
  EccCounts counts;
  const FaultPlan plan = sample_coded_faults(rng, codes.data(), n_values, fmt, code, prot.action(),
                                             ber, semantics, &counts);
  EXPECT_EQ(plan.hits, count);

  // The expected plan, from the reference decoder (SEC-DED) or by counting (parity).
  const Reference ref(code.kind() == BlockCode::Kind::kSecded ? n : 13);
  std::vector<CodeChange> want;
  EccCounts want_counts;
  uint64_t single = 0;
  const uint32_t zero = fmt.encode(0.0f);
  for (const auto& [w, qs] : by_word) {
    uint64_t clean = 0;
    for (uint64_t v = w * per; v < std::min(n_values, (w + 1) * per); ++v) {
      clean |= uint64_t(codes[v]) << (uint64_t(W) * (v - w * per));
    }
    uint64_t d = clean;
    uint32_t ch = code.encode(clean);
    for (int q : qs) flip(k, q, d, ch);
    EccRead read;
    if (code.kind() == BlockCode::Kind::kSecded) {
      read = ref.decode(ref.word(d, ch));
    } else {
      read.data = d;
      read.status = qs.size() % 2 ? EccStatus::kDetected : EccStatus::kClean;
    }
    if (qs.size() == 1) ++single;
    if (qs.size() == 1 && code.kind() == BlockCode::Kind::kSecded) {
      EXPECT_EQ(read.data, clean);
    }
    want_counts.corrected += read.status == EccStatus::kCorrected;
    want_counts.detected += read.status == EccStatus::kDetected;
    want_counts.miscorrected += read.status != EccStatus::kDetected && read.data != clean;
    for (uint64_t v = w * per; v < std::min(n_values, (w + 1) * per); ++v) {
      uint32_t now = uint32_t(read.data >> (uint64_t(W) * (v - w * per))) & fmt.code_mask();
      if (read.status == EccStatus::kDetected && prot.action() == EccAction::kZero) now = zero;
      if (now != codes[v]) want.push_back({v, now});
    }
  }
  EXPECT_GT(single, 0u);
  ASSERT_EQ(plan.changes.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_EQ(plan.changes[i].index, want[i].index);
    ASSERT_EQ(plan.changes[i].code, want[i].code);
  }
  EXPECT_EQ(counts.corrected, want_counts.corrected);
  EXPECT_EQ(counts.detected, want_counts.detected);
  EXPECT_EQ(counts.miscorrected, want_counts.miscorrected);
  // A single flip in a SEC-DED codeword never changes any of its values.
  if (code.kind() == BlockCode::Kind::kSecded) {
    for (const auto& c : plan.changes) {
      const auto it = by_word.find(c.index / per);
      ASSERT_NE(it, by_word.end());
      EXPECT_GE(it->second.size(), 2u);
    }
  }
}

TEST(EccTest, CodedPlansMatchTheReferenceDecoder) {
  for (uint64_t seed : {1u, 2u, 3u}) {
    check_plan("secded:72", "q2.6-2c", 10003, 2e-3, Semantics::kBernoulli, seed);
    check_plan("secded:72:zero", "q2.6-2c", 10003, 2e-3, Semantics::kBernoulli, seed);
    check_plan("secded:39", "q8.8-2c", 5001, 5e-3, Semantics::kExact, seed);
    check_plan("secded:22:zero", "q8.8-2c", 3000, 1e-2, Semantics::kBernoulli, seed);
    check_plan("secded:13", "q2.6-sm", 4000, 3e-2, Semantics::kBernoulli, seed);
    check_plan("parity", "q2.6-2c", 4000, 3e-2, Semantics::kBernoulli, seed);
  }
}

TEST(EccTest, CodedPlansAreReproducibleAndCountTheirBits) {
  const Format fmt = Format::parse("q2.6-2c");
  const BlockCode code = BlockCode::secded(72);
  std::vector<uint32_t> codes(1000, 0x15);
  Rng a(stream_key(3, {7})), b(stream_key(3, {7}));
  EccCounts ca, cb;
  const FaultPlan pa = sample_coded_faults(a, codes.data(), codes.size(), fmt, code,
                                           EccAction::kKeep, 0.01, Semantics::kExact, &ca);
  const FaultPlan pb = sample_coded_faults(b, codes.data(), codes.size(), fmt, code,
                                           EccAction::kKeep, 0.01, Semantics::kExact, &cb);
  // 1000 values x 8 bits = 125 codewords of 72 bits: 9000 bits, 90 flips.
  EXPECT_EQ(pa.hits, 90u);
  ASSERT_EQ(pa.changes.size(), pb.changes.size());
  for (size_t i = 0; i < pa.changes.size(); ++i) {
    EXPECT_EQ(pa.changes[i].index, pb.changes[i].index);
    EXPECT_EQ(pa.changes[i].code, pb.changes[i].code);
  }
  EXPECT_EQ(ca.corrected, cb.corrected);
  EXPECT_EQ(ca.detected, cb.detected);
  testing::expect_input_error(
      [&] {
        sample_coded_faults(a, codes.data(), codes.size(), Format::parse("q4.8-2c"), code,
                            EccAction::kKeep, 0.01, Semantics::kExact, nullptr);
      },
      {"64 data bits", "q4.8-2c"});
}

}  // namespace
}  // namespace ares::fault
