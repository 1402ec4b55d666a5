#include "ares/fault/chip.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "ares/common/error.h"
#include "ares/fault/rng.h"

namespace ares::fault {

ChipMap draw_chip(uint64_t stream, uint64_t bits, double max_ber) {
  ARES_CHECK(max_ber > 0 && max_ber <= 1, "chip: the largest BER ", max_ber, " is outside (0, 1]");
  ChipMap chip;
  if (bits == 0) return chip;
  Rng rng(stream);
  // The cells over 32-bit rows of the address space, then only those below `bits`.
  const uint64_t rows = (bits + 31) / 32;
  const auto flips = sample_flips(rng, rows, 0xFFFFFFFFu, max_ber, Semantics::kBernoulli);
  for (const Flip& f : flips) {
    const uint64_t address = f.index * 32 + f.bit;
    if (address < bits) chip.cells.push_back({address, 0, 0});
  }
  for (auto& c : chip.cells) {
    c.threshold = rng.next_double_open() * max_ber;
    c.stuck = uint32_t(rng.next_u64() & 1u);
  }
  return chip;
}

std::vector<CodeChange> chip_faults(const ChipMap& chip, const uint32_t* codes, uint64_t n,
                                    int width, uint32_t faultable_mask, double ber,
                                    uint64_t* cells) {
  std::vector<CodeChange> out;
  uint64_t used = 0;
  const uint64_t w = uint64_t(width), end = n * w;
  uint64_t word = UINT64_MAX;
  uint32_t code = 0;
  auto flush = [&] {
    if (word != UINT64_MAX && code != codes[word]) out.push_back({word, code});
  };
  for (const ChipCell& c : chip.cells) {
    if (c.address >= end) break;
    if (!(c.threshold < ber)) continue;  // a loaded cell without threshold has 0: always
    const uint64_t i = c.address / w;
    const uint32_t bit = uint32_t(c.address % w);
    if (!((faultable_mask >> bit) & 1u)) continue;
    if (i != word) {
      flush();
      word = i;
      code = codes[i];
    }
    code = (code & ~(1u << bit)) | (c.stuck << bit);
    ++used;
  }
  flush();
  if (cells) *cells = used;
  return out;
}

std::string chip_map_text(const ChipMap& chip) {
  std::ostringstream os;
  os << "address,stuck,threshold\n";
  char buf[64];
  for (const auto& c : chip.cells) {
    std::snprintf(buf, sizeof buf, "%.17g", c.threshold);
    os << c.address << ',' << c.stuck << ',' << buf << '\n';
  }
  return os.str();
}

ChipMap parse_chip_map(const std::string& text, const std::string& where) {
  std::istringstream in(text);
  std::string line;
  ARES_CHECK(std::getline(in, line), where,
             ": empty chip map (expected a header line "
             "'address,stuck,threshold' or 'address,stuck')");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  ARES_CHECK(line == "address,stuck,threshold" || line == "address,stuck", where,
             ": the header is '", line, "', expected 'address,stuck,threshold' or 'address,stuck'");
  const bool thresholds = line == "address,stuck,threshold";
  ChipMap chip;
  for (int number = 2; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const auto bad = [&](const char* what) {
      throw InputError(where + ":" + std::to_string(number) + ": " + what + " in '" + line + "'");
    };
    char* end = nullptr;
    const char* s = line.c_str();
    if (*s < '0' || *s > '9') bad("the address is not a non-negative integer");
    errno = 0;
    const unsigned long long address = std::strtoull(s, &end, 10);
    if (errno != 0 || *end != ',') bad("the address is not a non-negative integer");
    s = end + 1;
    if ((*s != '0' && *s != '1') || (s[1] != ',' && s[1] != '\0'))
      bad("the stuck value is not 0 or 1");
    const uint32_t stuck = uint32_t(*s - '0');
    double threshold = 0;
    if (thresholds) {
      if (s[1] != ',') bad("the threshold is missing");
      threshold = std::strtod(s + 2, &end);
      if (end == s + 2 || *end != '\0' || !(threshold >= 0 && threshold < 1)) {
        bad("the threshold is not a number in [0, 1)");
      }
    } else if (s[1] != '\0') {
      bad("a threshold after a header without one");
    }
    if (!chip.cells.empty() && address <= chip.cells.back().address) {
      bad("the addresses do not ascend");
    }
    chip.cells.push_back({uint64_t(address), stuck, threshold});
  }
  return chip;
}

}  // namespace ares::fault
