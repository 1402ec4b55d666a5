#pragma once
/// Chips: persistent fault maps. A chip is a memory whose faulty cells are fixed: drawn once
/// (or measured and loaded), then applied to whatever is stored at their addresses, so one
/// chip can be compared across formats, encodings and BERs.
///
/// Memory layout: the stored words one after another, bit 0 first, so memory bit address a
/// holds bit a % w of word a / w for a format of w bits (a chip stores more words of a narrow
/// format than of a wide one in the same bits).
///
/// Each faulty cell has a threshold t in [0, 1) and a stuck value: the cell is faulty at every
/// BER above t and then reads its stuck value whatever was written. A drawn chip places its
/// cells over `bits` addresses at the grid's largest BER B (each cell faulty independently
/// with probability B: the count from the binomial, then distinct positions, O(faults)), then
/// gives each cell, in address order, a threshold uniform in (0, B) and a stuck value 0 or 1
/// (one draw each from the chip's stream). At BER b <= B the faulty cells are those with
/// t < b: each cell is faulty with probability b independently, and a chip's faulty cells at a
/// lower BER are a subset of those at a higher one.
///
/// Text form (one chip; `ares campaign --save-chips DIR` writes DIR/chip-K.csv, `--load-chips
/// DIR` reads them): a header line `address,stuck,threshold`, then one line per faulty cell,
/// ascending by address; the threshold column may be left out (a header `address,stuck`),
/// for maps measured on a memory: every cell is then faulty at every BER.

#include <cstdint>
#include <string>
#include <vector>

#include "ares/fault/fault_model.h"

namespace ares::fault {

struct ChipCell {
  uint64_t address;  ///< memory bit address
  uint32_t stuck;    ///< 0 or 1
  double threshold;  ///< faulty at BERs above this (0: at every BER)
};

/// One chip's faulty cells, ascending by address.
struct ChipMap {
  std::vector<ChipCell> cells;
};

/// Draws the chip of stream `stream` over `bits` memory bits for BERs up to `max_ber` (see
/// above). Throws ares::InputError when max_ber is outside (0, 1].
ChipMap draw_chip(uint64_t stream, uint64_t bits, double max_ber);

/// A chip's faults in `n` words of `width` bits at BER `ber`: the words whose code its
/// faulty cells change, with their new codes (sorted by index, one entry per word), over
/// the clean codes `codes`; a cell outside `faultable_mask` (a protected bit) or beyond the
/// n words is not used. `cells` receives the faulty cells used, changed or not.
std::vector<CodeChange> chip_faults(const ChipMap& chip, const uint32_t* codes, uint64_t n,
                                    int width, uint32_t faultable_mask, double ber,
                                    uint64_t* cells);

/// The text form of a chip (above).
std::string chip_map_text(const ChipMap& chip);
/// Reads the text form; `where` names the file in errors (one line, ares::InputError).
ChipMap parse_chip_map(const std::string& text, const std::string& where);

}  // namespace ares::fault
