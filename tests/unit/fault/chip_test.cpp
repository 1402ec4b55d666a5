// Chips (fault/chip.h): persistent maps of stuck-at cells, nested across BERs, laid out over
// the words in memory order, and their text form.

#include "ares/fault/chip.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "ares/common/error.h"

namespace ares::fault {
namespace {

TEST(ChipTest, DrawnCellsAreBernoulliAtEveryBerAndNestedAcrossBers) {
  const uint64_t bits = 1 << 22;
  const double top = 1e-2;
  const ChipMap chip = draw_chip(stream_key(5, {1}), bits, top);
  ASSERT_FALSE(chip.cells.empty());
  for (size_t i = 1; i < chip.cells.size(); ++i) {
    ASSERT_LT(chip.cells[i - 1].address, chip.cells[i].address);
  }
  uint64_t ones = 0;
  for (const auto& c : chip.cells) {
    ASSERT_LT(c.address, bits);
    ASSERT_GT(c.threshold, 0.0);
    ASSERT_LT(c.threshold, top);
    ones += c.stuck;
  }
  // Faulty at b: threshold < b, so the count is Binomial(bits, b): within 5 sigma.
  for (double b : {1e-4, 1e-3, 5e-3, 1e-2}) {
    uint64_t n = 0;
    for (const auto& c : chip.cells) n += c.threshold < b;
    const double mean = double(bits) * b, sd = std::sqrt(mean * (1 - b));
    EXPECT_NEAR(double(n), mean, 5 * sd) << "BER " << b;
  }
  // Stuck values half ones.
  const double m = double(chip.cells.size());
  EXPECT_NEAR(double(ones), m / 2, 5 * std::sqrt(m / 4));
  // The same stream gives the same chip; another stream another chip.
  const ChipMap again = draw_chip(stream_key(5, {1}), bits, top);
  ASSERT_EQ(again.cells.size(), chip.cells.size());
  for (size_t i = 0; i < chip.cells.size(); ++i) {
    EXPECT_EQ(again.cells[i].address, chip.cells[i].address);
    EXPECT_EQ(again.cells[i].threshold, chip.cells[i].threshold);
  }
  EXPECT_NE(draw_chip(stream_key(5, {2}), bits, top).cells.size(), 0u);
  EXPECT_THROW(draw_chip(1, bits, 0), InputError);
}

TEST(ChipTest, FaultsForceTheStuckValueOfTheCellsAtTheirAddresses) {
  // Cells by hand: word = address / width, bit = address % width.
  ChipMap chip;
  chip.cells = {{3, 1, 0.0}, {8, 1, 5e-3}, {9, 0, 0.0}, {15, 1, 0.5}, {17, 1, 0.0}, {40, 1, 0.0}};
  const std::vector<uint32_t> codes = {0x00, 0xFF, 0x0F, 0xF0};
  uint64_t cells = 0;
  // Width 8, BER 1e-2: cells 3 (word 0 bit 3 -> 1), 8 (word 1 bit 0, already 1), 9 (word 1
  // bit 1 -> 0), 17 (word 2 bit 1, already 1); 15 is faulty only above 0.5, 40 beyond the words.
  auto plan = chip_faults(chip, codes.data(), codes.size(), 8, 0xFF, 1e-2, &cells);
  EXPECT_EQ(cells, 4u);
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0].index, 0u);
  EXPECT_EQ(plan[0].code, 0x08u);
  EXPECT_EQ(plan[1].index, 1u);
  EXPECT_EQ(plan[1].code, 0xFDu);
  // A lower BER drops cell 8 (threshold 5e-3); a protected bit 1 keeps cell 9 off.
  plan = chip_faults(chip, codes.data(), codes.size(), 8, 0xFD, 1e-3, &cells);
  EXPECT_EQ(cells, 1u);  // cell 3 only (17 is word 2 bit 1: protected)
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].code, 0x08u);
  // Width 16: the same cells land in other words (address 17 is word 1 bit 1).
  plan = chip_faults(chip, codes.data(), 2, 16, 0xFFFF, 0.9, &cells);
  EXPECT_EQ(cells, 5u);        // 3, 8, 9, 15, 17 (40 beyond the 32 bits)
  ASSERT_EQ(plan.size(), 1u);  // word 1: bit 1 of 0xFF is already 1, no change
  EXPECT_EQ(plan[0].code, 0x8108u);
}

TEST(ChipTest, TextFormRoundTripsAndBadFilesAreOneLine) {
  const ChipMap chip = draw_chip(stream_key(9, {3}), 1 << 16, 1e-2);
  const ChipMap back = parse_chip_map(chip_map_text(chip), "c.csv");
  ASSERT_EQ(back.cells.size(), chip.cells.size());
  for (size_t i = 0; i < chip.cells.size(); ++i) {
    EXPECT_EQ(back.cells[i].address, chip.cells[i].address);
    EXPECT_EQ(back.cells[i].stuck, chip.cells[i].stuck);
    EXPECT_EQ(back.cells[i].threshold, chip.cells[i].threshold);  // %.17g: exact
  }
  const ChipMap measured = parse_chip_map("address,stuck\n5,1\n7,0\n", "m.csv");
  ASSERT_EQ(measured.cells.size(), 2u);
  EXPECT_EQ(measured.cells[1].threshold, 0.0);  // faulty at every BER
  for (const char* bad :
       {"", "addr,stuck\n", "address,stuck\n5,2\n", "address,stuck\n-1,0\n",
        "address,stuck\n7,1\n5,0\n", "address,stuck,threshold\n5,1\n",
        "address,stuck,threshold\n5,1,1.5\n", "address,stuck\n5,1,0.1\n", "address,stuck\nx,1\n"}) {
    try {
      parse_chip_map(bad, "bad.csv");
      ADD_FAILURE() << "accepted: " << bad;
    } catch (const InputError& e) {
      const std::string msg = e.what();
      EXPECT_EQ(msg.rfind("bad.csv", 0), 0u) << msg;
      EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    }
  }
}

}  // namespace
}  // namespace ares::fault
