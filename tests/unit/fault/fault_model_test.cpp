#include "ares/fault/fault_model.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "ares/common/error.h"
#include "ares/fault/protection.h"

namespace ares::fault {
namespace {

using format::Format;

std::string shortest(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", x);
  return buf;
}

std::vector<uint32_t> all_codes(const Format& f) {
  std::vector<uint32_t> c(size_t(f.code_mask()) + 1);
  for (size_t i = 0; i < c.size(); ++i) c[i] = uint32_t(i);
  return c;
}

TEST(FaultModelTest, ParseAndSpec) {
  for (const char* s : {"flip", "stuck0", "stuck1", "signflip", "zero", "uniform"}) {
    EXPECT_EQ(FaultModel::parse(s).spec(), s);
  }
  EXPECT_EQ(FaultModel::parse("gaussian").sigma(), 0.1);
  EXPECT_EQ(FaultModel::parse("gaussian:0.25").sigma(), 0.25);
  EXPECT_EQ(FaultModel::parse(FaultModel::parse("gaussian:0.25").spec()).sigma(), 0.25);
  EXPECT_TRUE(FaultModel::parse("stuck1").bit_level());
  EXPECT_FALSE(FaultModel::parse("zero").bit_level());
  EXPECT_EQ(FaultModel::parse("asym:0.25").sigma(), 0.25);
  EXPECT_EQ(FaultModel::parse(FaultModel::parse("asym:0.25").spec()).sigma(), 0.25);
  EXPECT_EQ(FaultModel::parse("asym:0").spec(), "asym:0");
  EXPECT_TRUE(FaultModel::parse("asym:4").bit_level());
  EXPECT_EQ(FaultModel::parse("mbu:3").spec(), "mbu:3");
  EXPECT_TRUE(FaultModel::parse("mbu:3").bit_level());
  for (const char* bad :
       {"", "flips", "gaussian:", "gaussian:-1", "gaussian:x", "stuck2", "asym", "asym:", "asym:-1",
        "asym:x", "asymm:1", "mbu", "mbu:0", "mbu:33", "mbu:1.5", "mbu:x"}) {
    EXPECT_THROW(FaultModel::parse(bad), InputError) << bad;
  }
}

// Rate 1 hits every faultable bit of every value: exhaustive over all 8-bit codes, with and
// without sign protection, stuck-at forces exactly the faultable bits and flip inverts them.
TEST(FaultModelTest, BitLevelModelsExhaustiveAtRateOne) {
  for (const char* spec : {"q2.6-2c", "q2.6-sm"}) {
    const Format f = Format::parse(spec);
    const auto codes = all_codes(f);
    for (const char* prot : {"none", "sign"}) {
      const uint32_t mask = Protection::parse(prot).faultable_mask(f);
      for (const char* m : {"flip", "stuck0", "stuck1"}) {
        SCOPED_TRACE(std::string(spec) + " " + prot + " " + m);
        const auto model = FaultModel::parse(m);
        Rng rng(stream_key(3, {1}));
        uint64_t hits = 0;
        auto changes = sample_faults(rng, codes.data(), codes.size(), f, mask, 1.0,
                                     Semantics::kBernoulli, model, &hits);
        EXPECT_EQ(hits, codes.size() * uint64_t(__builtin_popcount(mask)));
        std::vector<uint32_t> after = codes;
        for (size_t i = 1; i < changes.size(); ++i)
          EXPECT_LT(changes[i - 1].index, changes[i].index);
        for (const auto& c : changes) {
          EXPECT_NE(c.code, codes[c.index]) << "a change must change the code";
          after[c.index] = c.code;
        }
        for (size_t i = 0; i < codes.size(); ++i) {
          uint32_t expect = std::string(m) == "flip"     ? codes[i] ^ mask
                            : std::string(m) == "stuck0" ? codes[i] & ~mask
                                                         : codes[i] | mask;
          EXPECT_EQ(after[i], expect) << "code " << i;
        }
      }
    }
  }
}

// asym's two ends are models we know: asym:0 (only 1-to-0) gives exactly stuck0's codes and
// asym:1 exactly flip's, from the same stream, over every 8-bit code at a BER of 0.3.
TEST(FaultModelTest, AsymEndsAreStuck0AndFlip) {
  for (const char* spec : {"q2.6-2c", "q2.6-sm"}) {
    const Format f = Format::parse(spec);
    std::vector<uint32_t> codes;
    for (int rep = 0; rep < 20; ++rep) {
      for (uint32_t c = 0; c < 256; ++c) codes.push_back(c);
    }
    const uint32_t mask = f.code_mask();
    auto plan = [&](const char* m) {
      Rng rng(stream_key(11, {2}));
      uint64_t hits = 0;
      return sample_faults(rng, codes.data(), codes.size(), f, mask, 0.3, Semantics::kBernoulli,
                           FaultModel::parse(m), &hits);
    };
    auto same = [](const std::vector<CodeChange>& a, const std::vector<CodeChange>& b) {
      if (a.size() != b.size()) return false;
      for (size_t i = 0; i < a.size(); ++i) {
        if (a[i].index != b[i].index || a[i].code != b[i].code) return false;
      }
      return true;
    };
    EXPECT_TRUE(same(plan("asym:0"), plan("stuck0"))) << spec;
    EXPECT_TRUE(same(plan("asym:1"), plan("flip"))) << spec;
    EXPECT_FALSE(same(plan("asym:0.5"), plan("flip"))) << spec;
  }
}

// In between, per hit bit by its stored state: a 0 turns 1 with probability min(1, R) and a 1
// turns 0 with probability min(1, 1/R). Counted over about 1.6 million hit bits at R = 0.25
// and R = 4: the probability 1 side exactly, the other within 4 standard deviations.
TEST(FaultModelTest, AsymFlipsEachStoredStateAtItsRate) {
  const Format f = Format::parse("q2.6-2c");
  std::vector<uint32_t> codes(400000);
  Rng fill(stream_key(5, {5}));
  for (auto& c : codes) c = uint32_t(fill.next_u64()) & 0xFFu;
  for (double r : {0.25, 4.0}) {
    SCOPED_TRACE(r);
    const auto model = FaultModel::parse("asym:" + std::to_string(r));
    Rng rng(stream_key(9, {uint64_t(r * 100)}));
    uint64_t hit_count = 0;
    const auto hits =
        sample_hits(rng, codes.size(), 0xFFu, 0.5, Semantics::kBernoulli, model, &hit_count);
    double zeros = 0, ones = 0, zeros_flipped = 0, ones_flipped = 0;
    for (const Hit& h : hits) {
      const uint32_t old = codes[h.index];
      const uint32_t now = apply_hit(rng, old, h, f, 0xFFu, model);
      EXPECT_EQ((now ^ old) & ~h.mask, 0u) << "only hit bits may change";
      for (int b = 0; b < 8; ++b) {
        if (!((h.mask >> b) & 1u)) continue;
        const bool was_one = (old >> b) & 1u, flipped = ((now ^ old) >> b) & 1u;
        (was_one ? ones : zeros) += 1;
        (was_one ? ones_flipped : zeros_flipped) += flipped ? 1 : 0;
      }
    }
    EXPECT_EQ(zeros + ones, double(hit_count));
    const double p0 = std::min(1.0, r), p1 = r >= 1 ? 1.0 / r : 1.0;
    auto within = [](double k, double n, double p) {
      if (p == 1.0) return k == n;
      return std::abs(k / n - p) < 4 * std::sqrt(p * (1 - p) / n);
    };
    EXPECT_TRUE(within(zeros_flipped, zeros, p0)) << zeros_flipped / zeros << " vs " << p0;
    EXPECT_TRUE(within(ones_flipped, ones, p1)) << ones_flipped / ones << " vs " << p1;
  }
}

// mbu:L against a reference written here: every hit bit b flips bits b .. b+L-1 of its word,
// clipped at the top, protected bits untouched, each bit once however many bursts cover it;
// mbu:1 is flip code for code. Every 8-bit code, twice over, at a BER of 0.2.
TEST(FaultModelTest, MultiBitUpsetsFlipTheBurstAboveEachHit) {
  for (const char* spec : {"q2.6-2c", "q4.12-sm"}) {
    const Format f = Format::parse(spec);
    std::vector<uint32_t> codes;
    for (int rep = 0; rep < 2; ++rep) {
      for (uint32_t c = 0; c < 256; ++c) codes.push_back(c * 97u & f.code_mask());
    }
    for (const char* prot : {"none", "sign"}) {
      const uint32_t mask = Protection::parse(prot).faultable_mask(f);
      for (int length : {1, 2, 3, 5}) {
        SCOPED_TRACE(std::string(spec) + " " + prot + " mbu:" + std::to_string(length));
        const auto model = FaultModel::parse("mbu:" + std::to_string(length));
        Rng rng(stream_key(21, {uint64_t(length)}));
        uint64_t count = 0;
        const auto hits =
            sample_hits(rng, codes.size(), mask, 0.2, Semantics::kBernoulli, model, &count);
        ASSERT_GT(hits.size(), 100u);
        for (const Hit& h : hits) {
          uint32_t want = codes[h.index];
          std::vector<bool> flipped(32, false);
          for (int b = 0; b < f.width(); ++b) {
            if (!((h.mask >> b) & 1u)) continue;
            for (int k = b; k < b + length && k < f.width(); ++k) flipped[size_t(k)] = true;
          }
          for (int k = 0; k < f.width(); ++k) {
            if (flipped[size_t(k)] && ((mask >> k) & 1u)) want ^= 1u << k;
          }
          const uint32_t got = apply_hit(rng, codes[h.index], h, f, mask, model);
          ASSERT_EQ(got, want) << "value " << h.index << " hit 0x" << std::hex << h.mask;
          EXPECT_EQ((got ^ codes[h.index]) & ~mask, 0u) << "a protected bit changed";
        }
      }
      // mbu:1 is flip: the same plan from the same stream.
      auto plan = [&](const char* m) {
        Rng rng(stream_key(22, {1}));
        uint64_t n = 0;
        return sample_faults(rng, codes.data(), codes.size(), f, mask, 0.2, Semantics::kBernoulli,
                             FaultModel::parse(m), &n);
      };
      const auto a = plan("mbu:1"), b = plan("flip");
      ASSERT_EQ(a.size(), b.size());
      for (size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i].index, b[i].index);
        EXPECT_EQ(a[i].code, b[i].code);
      }
    }
  }
}

// Bursts across words: the reference replays the documented draws (the upsets as sample_flips
// places them, then one geometric length per upset by inversion) and lays each burst out in
// memory order over a flat bit array, stopping at its end; protected bits are restored.
TEST(FaultModelTest, BurstsRunAcrossWordsWithGeometricLengths) {
  for (const char* spec : {"q2.6-2c", "q4.12-sm"}) {
    const Format f = Format::parse(spec);
    const uint64_t w = uint64_t(f.width());
    std::vector<uint32_t> codes;
    for (uint32_t c = 0; c < 700; ++c) codes.push_back(c * 2654435761u & f.code_mask());
    for (const char* prot : {"none", "sign"}) {
      const uint32_t mask = Protection::parse(prot).faultable_mask(f);
      for (double mean : {1.0, 2.5, 6.0}) {
        const auto model = FaultModel::parse("burst:" + shortest(mean));
        SCOPED_TRACE(std::string(spec) + " " + prot + " " + model.spec());
        for (uint64_t seed = 1; seed <= 5; ++seed) {
          Rng rng(stream_key(31, {seed}));
          uint64_t count = 0;
          const auto plan = sample_faults(rng, codes.data(), codes.size(), f, mask, 0.01,
                                          Semantics::kBernoulli, model, &count);
          Rng ref(stream_key(31, {seed}));
          const auto starts = sample_flips(ref, codes.size(), mask, 0.01, Semantics::kBernoulli);
          ASSERT_EQ(count, starts.size());
          std::vector<bool> flip(codes.size() * w, false);
          bool crossed = false;
          for (const Flip& s : starts) {
            uint64_t k = 1;
            if (mean > 1) {
              const double u = ref.next_double_open();
              k = 1 + uint64_t(std::min(std::floor(std::log(u) / std::log(1 - 1 / mean)), 63.0));
            }
            const uint64_t g0 = s.index * w + uint64_t(s.bit);
            for (uint64_t g = g0; g < g0 + k && g < flip.size(); ++g) flip[g] = true;
            crossed = crossed || (g0 + k - 1) / w > s.index;
          }
          std::vector<CodeChange> want;
          for (uint64_t i = 0; i < codes.size(); ++i) {
            uint32_t c = codes[i];
            for (uint64_t b = 0; b < w; ++b) {
              if (flip[i * w + b] && ((mask >> b) & 1u)) c ^= 1u << b;
            }
            if (c != codes[i]) want.push_back({i, c});
          }
          ASSERT_EQ(plan.size(), want.size());
          for (size_t i = 0; i < want.size(); ++i) {
            EXPECT_EQ(plan[i].index, want[i].index);
            EXPECT_EQ(plan[i].code, want[i].code);
          }
          if (mean >= 6 && !starts.empty()) {
            EXPECT_TRUE(crossed) << "no burst crossed a word";
          }
        }
      }
    }
    // burst:1 is flip: the same plan from the same stream.
    auto plan = [&](const char* m) {
      Rng rng(stream_key(32, {1}));
      uint64_t n = 0;
      return sample_faults(rng, codes.data(), codes.size(), f, f.code_mask(), 0.05,
                           Semantics::kBernoulli, FaultModel::parse(m), &n);
    };
    const auto a = plan("burst:1"), b = plan("flip");
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].code, b[i].code);
  }
}

TEST(FaultModelTest, BurstLengthsHaveTheirMean) {
  // Flipped bits per upset over a long array at a low rate (overlaps rare): the mean length
  // M within 5 standard errors (a geometric length of mean M has variance M (M - 1)).
  const Format f = Format::parse("q16.16-2c");
  const uint64_t n = 1 << 20;
  std::vector<uint32_t> codes(n, 0);
  for (double mean : {2.0, 4.0}) {
    uint64_t upsets = 0, bits = 0;
    for (uint64_t seed = 0; seed < 20; ++seed) {
      Rng rng(stream_key(33, {seed}));
      uint64_t count = 0;
      for (const auto& c :
           sample_faults(rng, codes.data(), n, f, f.code_mask(), 1e-5, Semantics::kBernoulli,
                         FaultModel::parse("burst:" + shortest(mean)), &count)) {
        bits += uint64_t(__builtin_popcount(c.code));
      }
      upsets += count;
    }
    ASSERT_GT(upsets, 5000u);
    const double got = double(bits) / double(upsets);
    const double se = std::sqrt(mean * (mean - 1) / double(upsets));
    EXPECT_NEAR(got, mean, 5 * se + 0.01) << "burst:" << mean;
  }
  for (const char* bad : {"burst", "burst:", "burst:0.5", "burst:65", "burst:x", "burst:nan"}) {
    EXPECT_THROW(FaultModel::parse(bad), InputError) << bad;
  }
  EXPECT_EQ(FaultModel::parse("burst:2.5").spec(), "burst:2.5");
  EXPECT_EQ(FaultModel::parse("burst:3").spec(), "burst:3");
  EXPECT_TRUE(FaultModel::parse("burst:3").bit_level());
}

// Multi-level cells. The reference below is written from the definition in fault_model.h,
// independently of the model's code: the Gray sequence is built by reflection (the codes of
// b-1 bits, then the same reversed with the top bit set), never by XOR, and a level's
// neighbours come from the sequence's order.
std::vector<uint32_t> reflected_gray(int bits) {
  std::vector<uint32_t> seq = {0};
  for (int b = 0; b < bits; ++b) {
    for (size_t i = seq.size(); i-- > 0;) seq.push_back(seq[i] | (1u << b));
  }
  return seq;  // seq[level] = the cell's bits at that level
}

// The cells of a word of `width` bits, B bits each, the top one shorter when B does not divide
// the width: {lowest bit, bits}.
std::vector<std::pair<int, int>> cells_of(int width, int bits_per_cell) {
  std::vector<std::pair<int, int>> cells;
  for (int low = 0; low < width; low += bits_per_cell)
    cells.push_back({low, std::min(bits_per_cell, width - low)});
  return cells;
}

// The bit patterns of a cell's levels under a mapping: `seq[level]`.
std::vector<uint32_t> level_bits(int bits, bool gray) {
  if (gray) return reflected_gray(bits);
  std::vector<uint32_t> seq;
  for (uint32_t l = 0; l < (1u << bits); ++l) seq.push_back(l);
  return seq;
}

int level_in(const std::vector<uint32_t>& seq, uint32_t cell_bits) {
  return int(std::find(seq.begin(), seq.end(), cell_bits) - seq.begin());
}

TEST(FaultModelTest, MlcParseAndSpec) {
  const std::pair<const char*, const char*> round_trips[] = {
      {"mlc:2", "mlc:2-gray"},
      {"mlc:3", "mlc:3-gray"},
      {"mlc:2-gray", "mlc:2-gray"},
      {"mlc:3-bin", "mlc:3-bin"},
      {"mlc:2-bin:2,2,2,2", "mlc:2-bin"},  // equal weights are the default
      {"mlc:2:1,3,3,1", "mlc:2-gray:1,3,3,1"},
      {"mlc:2-bin:0.1,0.25,0.2,0", "mlc:2-bin:0.1,0.25,0.2,0"},
      {"mlc:3-gray:1,2,3,4,4,3,2,1e-3", "mlc:3-gray:1,2,3,4,4,3,2,0.001"},
  };
  for (const auto& [in, canonical] : round_trips) {
    SCOPED_TRACE(in);
    const FaultModel m = FaultModel::parse(in);
    EXPECT_EQ(m.kind(), FaultModel::Kind::kMlc);
    EXPECT_TRUE(m.bit_level());
    EXPECT_EQ(m.spec(), canonical);
    const FaultModel back = FaultModel::parse(m.spec());
    EXPECT_EQ(back.spec(), m.spec());
    ASSERT_NE(back.mlc(), nullptr);
    EXPECT_EQ(back.mlc()->bits, m.mlc()->bits);
    EXPECT_EQ(back.mlc()->gray, m.mlc()->gray);
    EXPECT_EQ(back.mlc()->error_probability, m.mlc()->error_probability);
    EXPECT_EQ(m.sigma(), double(m.mlc()->bits));
  }
  EXPECT_EQ(FaultModel::parse("flip").mlc(), nullptr);
  const auto w = FaultModel::parse("mlc:2-bin:0.5,2,1,0").mlc()->error_probability;
  EXPECT_EQ(w, (std::vector<double>{0.25, 1.0, 0.5, 0.0}));
  EXPECT_EQ(FaultModel::parse("mlc:3").mlc()->error_probability, std::vector<double>(8, 1.0));
  for (const char* bad : {"mlc",
                          "mlc:",
                          "mlc:1",
                          "mlc:4",
                          "mlc:22",
                          "mlc:2-foo",
                          "mlc:2-",
                          "mlc:2gray",
                          "mlc:2-Gray",
                          "mlc:2-gray:",
                          "mlc:2-gray:1,1,1",
                          "mlc:2:1,1,1,1,1",
                          "mlc:3:1,1,1,1",
                          "mlc:2:1,-1,1,1",
                          "mlc:2:0,0,0,0",
                          "mlc:2:1,,1,1",
                          "mlc:2:1,x,1,1",
                          "mlc:2:inf,1,1,1",
                          "mlc:2:1,1,1,1,",
                          "mlcx",
                          "mlc2"}) {
    try {
      FaultModel::parse(bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const InputError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("'" + std::string(bad) + "'"), std::string::npos) << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    }
  }
}

// Every 8-bit code, every cell, every non-empty set of hit bits in it, one cell at a time:
// the new code differs only in that cell, whose level moved to an adjacent one (the only one
// at the ends); under Gray exactly one bit changed, under binary the bits are the new level's.
// The hit bits within a cell do not matter (from the same stream position, one bit or all of
// them give the same code: one cell event). Both neighbours of a middle level are reached.
TEST(FaultModelTest, MlcSingleCellHitsMoveToAnAdjacentLevel) {
  const Format f = Format::parse("q2.6-2c");
  for (int bits : {2, 3}) {
    for (bool gray : {true, false}) {
      const std::string spec = "mlc:" + std::to_string(bits) + (gray ? "-gray" : "-bin");
      SCOPED_TRACE(spec);
      const auto model = FaultModel::parse(spec);
      Rng rng(stream_key(31, {uint64_t(bits), gray}));
      size_t ups = 0, downs = 0;
      for (const auto& [low, cell_bits] : cells_of(f.width(), bits)) {
        const std::vector<uint32_t> seq = level_bits(cell_bits, gray);
        const uint32_t cell_mask = ((1u << cell_bits) - 1u) << low;
        const int top = (1 << cell_bits) - 1;
        for (uint32_t code = 0; code < 256; ++code) {
          const int level = level_in(seq, (code & cell_mask) >> low);
          ASSERT_LE(level, top);
          const Rng at = rng;  // the stream position every hit set of this cell starts from
          uint32_t first = 0;
          for (uint32_t sub = cell_mask; sub; sub = (sub - 1) & cell_mask) {
            Rng r = at;
            const uint32_t got = apply_hit(r, code, {0, sub}, f, 0xFF, model);
            if (sub == cell_mask) first = got;
            ASSERT_EQ(got, first) << "code " << code << " hit 0x" << std::hex << sub;
            EXPECT_EQ(r.position(), at.position() + 2) << "two draws per hit cell";
          }
          rng = at;
          const uint32_t got = apply_hit(rng, code, {0, cell_mask}, f, 0xFF, model);
          ASSERT_EQ((got ^ code) & ~cell_mask, 0u) << "another cell changed, code " << code;
          const int now = level_in(seq, (got & cell_mask) >> low);
          ASSERT_TRUE(now == level + 1 || now == level - 1)
              << "code " << code << " cell at bit " << low << ": level " << level << " -> " << now;
          if (level == 0) {
            EXPECT_EQ(now, 1);
          }
          if (level == top) {
            EXPECT_EQ(now, top - 1);
          }
          if (level > 0 && level < top) (now > level ? ups : downs) += 1;
          EXPECT_EQ(got & cell_mask, seq[size_t(now)] << low);
          if (gray) {
            EXPECT_EQ(__builtin_popcount(got ^ code), 1) << "code " << code;
          }
        }
      }
      EXPECT_GT(ups, 100u);
      EXPECT_GT(downs, 100u);
    }
  }
  // Binary's several-bit changes, by hand: in a 2-bit cell level 1 (01) to 2 (10) and back
  // change two bits, levels 0 and 3 can only go to 1 and 2. Gray's 1 (01) and 2 (11) differ
  // in one.
  const auto bin = FaultModel::parse("mlc:2-bin");
  for (int draw = 0; draw < 64; ++draw) {
    Rng r(stream_key(32, {uint64_t(draw)}));
    EXPECT_EQ(apply_hit(r, 0x00, {0, 0x01}, f, 0xFF, bin), 0x01u);
    EXPECT_EQ(apply_hit(r, 0x03, {0, 0x02}, f, 0xFF, bin), 0x02u);
    const uint32_t one = apply_hit(r, 0x01, {0, 0x01}, f, 0xFF, bin);
    EXPECT_TRUE(one == 0x00u || one == 0x02u) << one;
    const uint32_t two = apply_hit(r, 0x80, {0, 0x40}, f, 0xFF, bin);  // top cell, level 2
    EXPECT_TRUE(two == 0x40u || two == 0xC0u) << two;
  }
}

// The whole draw as fault_model.h defines it, against sample_hits + apply_hit and sample_faults
// over every 8-bit code (20 times, at a BER of 0.3: many words with several hit cells), with
// weights, with and without protection: per hit cell, lowest first, a draw u (errs when u <
// W_l / max W) and a draw v (up when v < 0.5), the move clipped at the ends, protected bits
// restored. Under Gray with equal weights and nothing protected, every hit cell changes exactly
// one bit.
TEST(FaultModelTest, MlcPlansFollowTheDefinition) {
  for (const char* fmt_spec : {"q2.6-2c", "q4.12-sm"}) {
    const Format f = Format::parse(fmt_spec);
    std::vector<uint32_t> codes;
    for (int rep = 0; rep < 20; ++rep) {
      for (uint32_t c = 0; c < 256; ++c)
        codes.push_back((c * 0x9E37u + uint32_t(rep)) & f.code_mask());
    }
    for (const char* m : {"mlc:2-gray", "mlc:2-bin", "mlc:3-gray", "mlc:3-bin",
                          "mlc:2-gray:0.2,1,0.5,0", "mlc:3-bin:1,0,2,4,4,2,0,1"}) {
      for (const char* prot : {"none", "sign", "lsb:3"}) {
        SCOPED_TRACE(std::string(fmt_spec) + " " + m + " " + prot);
        const auto model = FaultModel::parse(m);
        const int bits = model.mlc()->bits;
        const bool gray = model.mlc()->gray;
        std::vector<double> p = model.mlc()->weights;
        const double top_w = *std::max_element(p.begin(), p.end());
        for (double& x : p) x /= top_w;
        const uint32_t mask = Protection::parse(prot).faultable_mask(f);
        const uint64_t key = stream_key(41, {uint64_t(bits)});
        Rng a(key), b(key);
        uint64_t hits_a = 0, hits_b = 0;
        const auto plan = sample_faults(a, codes.data(), codes.size(), f, mask, 0.3,
                                        Semantics::kBernoulli, model, &hits_a);
        const auto hits =
            sample_hits(b, codes.size(), mask, 0.3, Semantics::kBernoulli, model, &hits_b);
        EXPECT_EQ(hits_a, hits_b);
        std::vector<CodeChange> want;
        uint64_t hit_cells = 0, changed_bits = 0;
        for (const Hit& h : hits) {
          const uint32_t old = codes[h.index];
          uint32_t code = old;
          for (const auto& [low, cell_bits] : cells_of(f.width(), bits)) {
            const uint32_t cell_mask = ((1u << cell_bits) - 1u) << low;
            if (!(h.mask & cell_mask)) continue;
            ++hit_cells;
            const auto seq = level_bits(cell_bits, gray);
            const int level = level_in(seq, (old & cell_mask) >> low), top = (1 << cell_bits) - 1;
            const double u = b.next_double(), v = b.next_double();
            if (!(u < p[size_t(level)])) continue;
            const int now = level == 0     ? 1
                            : level == top ? top - 1
                            : v < 0.5      ? level + 1
                                           : level - 1;
            code = (code & ~cell_mask) | (seq[size_t(now)] << low);
          }
          code = (code & mask) | (old & ~mask);
          changed_bits += uint64_t(__builtin_popcount(code ^ old));
          if (code != old) want.push_back({h.index, code});
        }
        ASSERT_EQ(plan.size(), want.size());
        for (size_t i = 0; i < plan.size(); ++i) {
          ASSERT_EQ(plan[i].index, want[i].index);
          ASSERT_EQ(plan[i].code, want[i].code) << "value " << want[i].index;
          EXPECT_EQ((plan[i].code ^ codes[plan[i].index]) & ~mask, 0u) << "a protected bit changed";
        }
        EXPECT_LT(hit_cells, hits_a) << "some cells must have taken several hits";
        if (std::string(m).find("-gray") != std::string::npos &&
            std::string(m).find(':', 4) == std::string::npos && std::string(prot) == "none") {
          EXPECT_EQ(changed_bits, hit_cells);
        }
      }
    }
  }
}

// Per level: a hit cell errs with probability W_l / max(W) (0 and 1 exactly, the others within
// 5 binomial standard deviations), and a middle level goes up half the time (5 sd), over about
// 200,000 hit cells per model. Level 0 always goes up, the top level always down.
TEST(FaultModelTest, MlcLevelsErrAtTheirWeights) {
  const Format f = Format::parse("q2.6-2c");
  std::vector<uint32_t> codes(250000);
  Rng fill(stream_key(51, {}));
  for (auto& c : codes) c = uint32_t(fill.next_u64()) & 0xFFu;
  for (const char* m : {"mlc:2-gray:0.2,1,0.6,0", "mlc:3-bin:1,4,2,3,4,0,0.4,2"}) {
    SCOPED_TRACE(m);
    const auto model = FaultModel::parse(m);
    const int bits = model.mlc()->bits;
    const auto& w = model.mlc()->weights;
    const double top_w = *std::max_element(w.begin(), w.end());
    const auto seq = level_bits(bits, model.mlc()->gray);
    const int top = (1 << bits) - 1;
    std::vector<double> cells(w.size()), erred(w.size()), up(w.size());
    Rng rng(stream_key(52, {uint64_t(bits)}));
    const auto hits =
        sample_hits(rng, codes.size(), 0xFFu, 0.1, Semantics::kBernoulli, model, nullptr);
    for (const Hit& h : hits) {
      const uint32_t old = codes[h.index];
      const uint32_t now = apply_hit(rng, old, h, f, 0xFFu, model);
      for (const auto& [low, cell_bits] : cells_of(f.width(), bits)) {
        if (cell_bits != bits) continue;  // the short top cell of mlc:3 has other levels
        const uint32_t cell_mask = ((1u << cell_bits) - 1u) << low;
        if (!(h.mask & cell_mask)) continue;
        const int before = level_in(seq, (old & cell_mask) >> low);
        const int after = level_in(seq, (now & cell_mask) >> low);
        cells[size_t(before)] += 1;
        if (after != before) {
          ASSERT_EQ(std::abs(after - before), 1);
          erred[size_t(before)] += 1;
          if (after > before) up[size_t(before)] += 1;
        }
      }
    }
    for (int l = 0; l <= top; ++l) {
      SCOPED_TRACE("level " + std::to_string(l));
      const double n = cells[size_t(l)], k = erred[size_t(l)], p = w[size_t(l)] / top_w;
      ASSERT_GT(n, 5000);
      if (p == 0 || p == 1) {
        EXPECT_EQ(k, p * n);
      } else {
        EXPECT_LT(std::abs(k / n - p), 5 * std::sqrt(p * (1 - p) / n)) << k / n << " vs " << p;
      }
      if (l == 0) {
        EXPECT_EQ(up[0], k);
      }
      if (l == top) {
        EXPECT_EQ(up[size_t(top)], 0);
      }
      if (l > 0 && l < top && k > 0) {
        EXPECT_LT(std::abs(up[size_t(l)] / k - 0.5), 5 * std::sqrt(0.25 / k)) << up[size_t(l)] / k;
      }
    }
  }
}

// The same stream gives the same plan, another stream another plan.
TEST(FaultModelTest, MlcPlansAreReproducible) {
  const Format f = Format::parse("q2.6-sm");
  std::vector<uint32_t> codes(20000);
  for (size_t i = 0; i < codes.size(); ++i) codes[i] = uint32_t(i * 131 + 5) & 0xFFu;
  const auto model = FaultModel::parse("mlc:2-bin:1,2,2,1");
  auto plan = [&](uint64_t trial) {
    Rng rng(stream_key(61, {trial}));
    uint64_t n = 0;
    auto changes = sample_faults(rng, codes.data(), codes.size(), f, 0x7F, 1e-2,
                                 Semantics::kBernoulli, model, &n);
    std::vector<uint64_t> flat;
    for (const auto& c : changes) flat.insert(flat.end(), {c.index, c.code});
    return flat;
  };
  EXPECT_GT(plan(1).size(), 100u);
  EXPECT_EQ(plan(1), plan(1));
  EXPECT_NE(plan(1), plan(2));
}

// flip through sample_faults is exactly sample_flips grouped by value (same stream).
TEST(FaultModelTest, FlipEqualsSampleFlips) {
  const Format f = Format::parse("q4.4-sm");
  std::vector<uint32_t> codes(5000);
  for (size_t i = 0; i < codes.size(); ++i) codes[i] = uint32_t(i * 37) & f.code_mask();
  for (uint64_t seed : {1, 2, 3}) {
    SCOPED_TRACE(seed);
    Rng a(stream_key(seed, {0})), b(stream_key(seed, {0}));
    auto flips = sample_flips(a, codes.size(), 0xFF, 1e-2, Semantics::kBernoulli);
    uint64_t hits = 0;
    auto changes = sample_faults(b, codes.data(), codes.size(), f, 0xFF, 1e-2,
                                 Semantics::kBernoulli, FaultModel::parse("flip"), &hits);
    EXPECT_EQ(hits, flips.size());
    std::vector<uint32_t> x = codes, y = codes;
    for (const auto& fl : flips) x[fl.index] ^= 1u << fl.bit;
    for (const auto& c : changes) y[c.index] = c.code;
    EXPECT_EQ(x, y);
  }
}

// plan_of_flips (the dense sampler's way into a FaultPlan) gives sample_faults's plan for
// `flip` from the same stream: the same changes, value by value, and the same hit count.
TEST(FaultModelTest, PlanOfFlipsIsSampleFaultsForFlip) {
  const Format f = Format::parse("q2.6-2c");
  std::vector<uint32_t> codes(4000);
  for (size_t i = 0; i < codes.size(); ++i) codes[i] = uint32_t(i * 101 + 7) & f.code_mask();
  for (uint64_t seed : {4, 5, 6}) {
    SCOPED_TRACE(seed);
    Rng a(stream_key(seed, {1})), b(stream_key(seed, {1}));
    const auto flips = sample_flips(a, codes.size(), 0xFF, 3e-2, Semantics::kBernoulli);
    ASSERT_GT(flips.size(), 100u);
    const FaultPlan plan = plan_of_flips(flips, codes.data());
    FaultPlan expected;
    expected.changes =
        sample_faults(b, codes.data(), codes.size(), f, 0xFF, 3e-2, Semantics::kBernoulli,
                      FaultModel::parse("flip"), &expected.hits);
    EXPECT_EQ(plan.hits, expected.hits);
    ASSERT_EQ(plan.changes.size(), expected.changes.size());
    for (size_t i = 0; i < plan.changes.size(); ++i) {
      EXPECT_EQ(plan.changes[i].index, expected.changes[i].index);
      EXPECT_EQ(plan.changes[i].code, expected.changes[i].code);
    }
  }
  // Two flips of one value are one change; none is an empty plan.
  const FaultPlan two = plan_of_flips({{3, 0}, {3, 7}, {9, 2}}, codes.data());
  ASSERT_EQ(two.changes.size(), 2u);
  EXPECT_EQ(two.hits, 3u);
  EXPECT_EQ(two.changes[0].code, codes[3] ^ 0x81u);
  EXPECT_EQ(two.changes[1].code, codes[9] ^ 0x4u);
  EXPECT_TRUE(plan_of_flips({}, codes.data()).empty());
}

// The sparse path (what GPU tensors use): the hits are drawn without looking at any code, and
// applying them to the hit values' codes alone gives sample_faults's changes exactly, for
// every model.
TEST(FaultModelTest, HitsThenApplyReadOnlyTheHitCodes) {
  const Format f = Format::parse("q2.6-2c");
  std::vector<uint32_t> codes(4000);
  Rng fill(stream_key(9, {}));
  for (auto& c : codes) c = uint32_t(fill.next_u64()) & f.code_mask();
  for (const char* m : {"flip", "stuck0", "stuck1", "signflip", "zero", "uniform", "gaussian:0.3",
                        "mlc:2-gray", "mlc:3-bin:1,2,3,4,4,3,2,1"}) {
    for (auto sem : {Semantics::kBernoulli, Semantics::kExact}) {
      SCOPED_TRACE(std::string(m) + " " + to_string(sem));
      const auto model = FaultModel::parse(m);
      const double rate = model.bit_level() ? 1e-2 : 5e-2;
      Rng a(stream_key(4, {1})), b(stream_key(4, {1}));
      uint64_t hits_a = 0, hits_b = 0;
      const auto changes =
          sample_faults(a, codes.data(), codes.size(), f, 0x7F, rate, sem, model, &hits_a);
      const auto hits = sample_hits(b, codes.size(), 0x7F, rate, sem, model, &hits_b);
      EXPECT_EQ(hits_a, hits_b);
      ASSERT_FALSE(hits.empty());
      std::vector<CodeChange> sparse;
      for (size_t i = 0; i < hits.size(); ++i) {
        if (i > 0) {
          EXPECT_LT(hits[i - 1].index, hits[i].index);
        }
        if (model.bit_level()) {
          EXPECT_NE(hits[i].mask, 0u);
          EXPECT_EQ(hits[i].mask & ~0x7Fu, 0u) << "a protected bit was hit";
        } else {
          EXPECT_EQ(hits[i].mask, 0x7Fu);
        }
        const uint32_t old = codes[hits[i].index];  // the only code read
        const uint32_t code = apply_hit(b, old, hits[i], f, 0x7F, model);
        EXPECT_EQ(code & 0x80u, old & 0x80u) << "the protected sign bit changed";
        if (code != old) sparse.push_back({hits[i].index, code});
      }
      ASSERT_EQ(sparse.size(), changes.size());
      for (size_t i = 0; i < sparse.size(); ++i) {
        EXPECT_EQ(sparse[i].index, changes[i].index);
        EXPECT_EQ(sparse[i].code, changes[i].code);
      }
    }
  }
}

TEST(FaultModelTest, ValueModelsExhaustive) {
  for (const char* spec : {"q2.6-2c", "q2.6-sm", "q4.4-sm"}) {
    const Format f = Format::parse(spec);
    const uint32_t sign = Protection::parse("sign").faultable_mask(f);
    Rng rng(stream_key(5, {}));
    for (uint32_t c = 0; c <= f.code_mask(); ++c) {
      SCOPED_TRACE(std::string(spec) + " code " + std::to_string(c));
      const float v = f.decode(c);
      EXPECT_EQ(f.decode(value_fault(rng, c, f, f.code_mask(), FaultModel::parse("zero"))), 0.0f);
      EXPECT_EQ(f.decode(value_fault(rng, c, f, f.code_mask(), FaultModel::parse("signflip"))),
                f.quantize(-v));
      // Under sign protection a sign flip cannot change the sign bit.
      uint32_t p = value_fault(rng, c, f, sign, FaultModel::parse("signflip"));
      EXPECT_EQ(p >> f.sign_bit(), c >> f.sign_bit());
      uint32_t u = value_fault(rng, c, f, sign, FaultModel::parse("uniform"));
      EXPECT_EQ(u >> f.sign_bit(), c >> f.sign_bit());
      EXPECT_LE(u, f.code_mask());
    }
  }
}

// gaussian:S adds N(0, S^2) noise: over 20,000 fp32 values the mean shift is within 5
// standard errors of 0 and the standard deviation within 3% of S.
TEST(FaultModelTest, GaussianNoiseStatistics) {
  const Format f = Format::fp32();
  const auto model = FaultModel::parse("gaussian:0.05");
  Rng rng(stream_key(9, {}));
  const int n = 20000;
  double sum = 0, sq = 0;
  for (int i = 0; i < n; ++i) {
    float v = float(i % 100) / 100.0f;
    double d = double(f.decode(value_fault(rng, f.encode(v), f, f.code_mask(), model))) - v;
    sum += d;
    sq += d * d;
  }
  double mean = sum / n, sd = std::sqrt(sq / n - mean * mean);
  EXPECT_LT(std::fabs(mean), 5 * 0.05 / std::sqrt(double(n)));
  EXPECT_NEAR(sd, 0.05, 0.05 * 0.03);
}

// Value-level models hit each value with probability `rate`: the count's mean matches.
TEST(FaultModelTest, ValueLevelHitCount) {
  const Format f = Format::parse("q2.6-2c");
  std::vector<uint32_t> codes(10000, f.encode(0.5f));
  double total = 0;
  const int trials = 200;
  for (int t = 0; t < trials; ++t) {
    Rng rng(stream_key(4, {uint64_t(t)}));
    uint64_t hits = 0;
    auto changes = sample_faults(rng, codes.data(), codes.size(), f, f.code_mask(), 1e-2,
                                 Semantics::kBernoulli, FaultModel::parse("zero"), &hits);
    EXPECT_EQ(changes.size(), hits);  // zeroing 0.5 always changes it
    total += double(hits);
  }
  double mean = total / trials, mu = 100, se = std::sqrt(100 * 0.99 / trials);
  EXPECT_LT(std::fabs(mean - mu) / se, 5.0);
}

// Custom models: registered once per process (the registry is global), then parsed like the
// built-in ones. A bit-level model sees the hit bits and may change only those; a value-level
// model may change only the faultable bits. Exhaustive over all 8-bit codes at rate 1.
TEST(FaultModelTest, CustomModelsRegisterParseAndKeepProtectedBits) {
  static bool registered = false;
  if (!registered) {
    // Bit level: a hit bit becomes 1 when PARAM is 1, else 0; and it tries to flip every bit
    // that was not hit (protected ones, bits beyond the code) as well.
    register_fault_model({"test_stuck", true, 1.0,
                          [](uint32_t code, uint32_t hit, const Format&, double param, Rng&) {
                            return (param == 1.0 ? (code | hit) : (code & ~hit)) ^ ~hit;
                          }});
    // Value level: every bit set (the format's all-ones code, beyond it too).
    register_fault_model(
        {"test_ones", false, 0.0,
         [](uint32_t, uint32_t, const Format&, double, Rng&) { return 0xFFFFFFFFu; }});
    registered = true;
  }
  EXPECT_EQ(FaultModel::parse("test_stuck").kind(), FaultModel::Kind::kCustom);
  EXPECT_TRUE(FaultModel::parse("test_stuck").bit_level());
  EXPECT_FALSE(FaultModel::parse("test_ones").bit_level());
  EXPECT_EQ(FaultModel::parse("test_stuck").spec(), "test_stuck");
  EXPECT_EQ(FaultModel::parse("test_stuck:0").spec(), "test_stuck:0");
  EXPECT_EQ(FaultModel::parse("test_stuck:0").sigma(), 0.0);
  for (const char* bad : {"test_stuck:", "test_stuck:x", "test_stuck:inf", "test_stuckx"})
    EXPECT_THROW(FaultModel::parse(bad), InputError) << bad;
  // The unknown-model message lists the registered ones.
  try {
    FaultModel::parse("nope");
    ADD_FAILURE();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("test_ones"), std::string::npos) << e.what();
  }
  auto noop = [](uint32_t c, uint32_t, const Format&, double, Rng&) { return c; };
  EXPECT_THROW(register_fault_model({"test_stuck", true, 0, noop}), InputError);  // taken
  EXPECT_THROW(register_fault_model({"flip", true, 0, noop}), InputError);        // built in
  for (const char* built_in : {"asym", "mbu", "mlc"})  // names of built-ins with a parameter
    EXPECT_THROW(register_fault_model({built_in, true, 0, noop}), InputError) << built_in;
  EXPECT_THROW(register_fault_model({"Bad-Name", true, 0, noop}), InputError);
  EXPECT_THROW(register_fault_model({"test_empty", true, 0, nullptr}), InputError);

  const Format f = Format::parse("q2.6-sm");
  const auto codes = all_codes(f);
  for (const char* prot : {"none", "sign"}) {
    SCOPED_TRACE(prot);
    const uint32_t mask = Protection::parse(prot).faultable_mask(f);
    for (const char* m : {"test_stuck", "test_stuck:0", "test_ones"}) {
      SCOPED_TRACE(m);
      Rng rng(stream_key(9, {2}));
      uint64_t hits = 0;
      auto changes = sample_faults(rng, codes.data(), codes.size(), f, mask, 1.0,
                                   Semantics::kBernoulli, FaultModel::parse(m), &hits);
      std::vector<uint32_t> after = codes;
      for (const auto& c : changes) after[c.index] = c.code;
      // Every faultable bit is hit at rate 1: what a model did to any other bit is undone.
      size_t wrong = 0, first = 0;
      for (size_t i = 0; i < codes.size(); ++i) {
        const uint32_t expect =
            std::string(m) == "test_stuck:0" ? codes[i] & ~mask : codes[i] | mask;
        if (after[i] != expect && wrong++ == 0) first = i;
      }
      EXPECT_EQ(wrong, 0u) << "first wrong code " << first << " -> " << after[first];
    }
  }
}

}  // namespace
}  // namespace ares::fault

// Paired encodings (sample_paired_faults): with one stream, two's complement and sign-magnitude
// codes of the same values see exactly the same faulty cells (checked cell by cell, as the
// XOR of the old and new codes for bit flips); a protected bit never flips; and under bernoulli
// semantics the kept faults have the rate of an unpaired draw over the faultable bits.
namespace ares::fault {
namespace {

TEST(PairedFaultsTest, SameCellsAcrossEncodingsAndProtectedBitsNeverFlip) {
  const Format tc = Format::parse("q2.6-2c"), sm = Format::parse("q2.6-sm");
  const uint64_t n = 4000;
  std::vector<uint32_t> codes_tc(n), codes_sm(n);
  for (uint64_t i = 0; i < n; ++i) {
    const float x = float(int64_t(i % 255) - 127) / 64.0f;
    codes_tc[i] = tc.encode(x);
    codes_sm[i] = sm.encode(x);
  }
  const FaultModel flip = FaultModel::parse("flip");
  const uint32_t all = 0xFF, sign_protected = 0x7F;
  double kept_total = 0;
  const int trials = 400;
  const double rate = 1e-3;
  for (int t = 0; t < trials; ++t) {
    const uint64_t key = stream_key(9, {uint64_t(t)});
    Rng a(key), b(key), c(key);
    uint64_t ha = 0, hb = 0, hc = 0;
    const auto fa = sample_paired_faults(a, codes_tc.data(), n, tc, all, all, rate,
                                         Semantics::kBernoulli, flip, &ha);
    const auto fb = sample_paired_faults(b, codes_sm.data(), n, sm, all, all, rate,
                                         Semantics::kBernoulli, flip, &hb);
    const auto fc = sample_paired_faults(c, codes_tc.data(), n, tc, all, sign_protected, rate,
                                         Semantics::kBernoulli, flip, &hc);
    ASSERT_EQ(fa.size(), fb.size()) << t;
    EXPECT_EQ(ha, hb);
    for (size_t k = 0; k < fa.size(); ++k) {
      EXPECT_EQ(fa[k].index, fb[k].index);
      EXPECT_EQ(fa[k].code ^ codes_tc[fa[k].index], fb[k].code ^ codes_sm[fb[k].index]);
    }
    // Sign protection: the same cells less the sign bit's.
    size_t j = 0;
    for (const auto& f : fa) {
      const uint32_t cells = (f.code ^ codes_tc[f.index]) & sign_protected;
      if (!cells) continue;
      ASSERT_LT(j, fc.size());
      EXPECT_EQ(fc[j].index, f.index);
      EXPECT_EQ(fc[j].code ^ codes_tc[f.index], cells);
      ++j;
    }
    EXPECT_EQ(j, fc.size());
    for (const auto& f : fc) EXPECT_EQ((f.code ^ codes_tc[f.index]) & 0x80u, 0u);
    kept_total += double(hc);
  }
  // Expected kept faults: n * 7 bits * rate * trials = 11,200; Poisson sd 106: within 4 sd.
  const double expected = double(n) * 7 * rate * trials;
  EXPECT_NEAR(kept_total, expected, 4 * std::sqrt(expected));
  Rng r(1);
  EXPECT_THROW(sample_paired_faults(r, codes_tc.data(), n, tc, 0x7F, 0xFF, rate,
                                    Semantics::kBernoulli, flip, nullptr),
               InputError);
}

}  // namespace
}  // namespace ares::fault
