// Fuzzes ares::format::Format::parse, the reader of every --formats item.
//
// Beyond "InputError or a format": an accepted spec must have a canonical spec() that parses
// back to the same format, a width in 2..32, a role for every bit, and every code must decode
// to a value that encodes back to itself (decode(encode(decode(c))) == decode(c)).

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ares/format/format.h"
#include "fuzz_common.h"

namespace {

using ares::format::Format;

void check_invariants(const Format& f, std::string_view input) {
  const std::string where = "format '" + std::string(input) + "' (" + f.spec() + ")";
  std::optional<Format> again;
  if (!ares::fuzz::expect_input_error("Format::parse(spec())",
                                      [&] { again = Format::parse(f.spec()); }) ||
      *again != f) {
    ares::fuzz::finding("Format::parse", where + ": spec() does not parse back to it");
  }
  if (f.width() < 2 || f.width() > 32) ares::fuzz::finding("Format::parse", where + ": width");
  for (int bit = 0; bit < f.width(); ++bit) (void)ares::format::to_string(f.role(bit));
  // Every code of a narrow format; a spread of codes of a wide one.
  const uint64_t n = uint64_t{1} << f.width();
  const uint64_t step = n <= 4096 ? 1 : n / 4093;
  for (uint64_t c = 0; c < n; c += step) {
    const float v = f.decode(static_cast<uint32_t>(c));
    // A saturating format stores Inf as its largest value: fp8-e5m2's Inf codes, which only a
    // fault writes, do not quantize back to themselves.
    if (std::isnan(v) || (std::isinf(v) && f.saturates())) continue;
    const float q = f.quantize(v);
    if (!(q == v)) {
      ares::fuzz::finding("Format::parse", where + ": code " + std::to_string(c) + " decodes to " +
                                               std::to_string(v) + " which quantizes to " +
                                               std::to_string(q));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view spec(reinterpret_cast<const char*>(data), size);
  std::optional<Format> f;
  if (ares::fuzz::expect_input_error("Format::parse", [&] { f = Format::parse(spec); })) {
    check_invariants(*f, spec);
  }
  return 0;
}
