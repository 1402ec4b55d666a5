// Fuzzes ares::fault::Protection::parse, the reader of --protections and "FORMAT+PROTECTION".
//
// Beyond "InputError or a protection": the canonical spec() parses back to the same spec, and
// protected_mask() against formats of 2, 8, 16 and 32 bits is either an InputError or a mask
// inside the format's width.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ares/fault/protection.h"
#include "ares/format/format.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using ares::fault::Protection;
  using ares::format::Format;
  const std::string_view spec(reinterpret_cast<const char*>(data), size);
  std::optional<Protection> p;
  if (!ares::fuzz::expect_input_error("Protection::parse", [&] { p = Protection::parse(spec); })) {
    return 0;
  }
  const std::string where = "protection '" + std::string(spec) + "' (" + p->spec() + ")";
  std::optional<Protection> again;
  if (!ares::fuzz::expect_input_error("Protection::parse(spec())",
                                      [&] { again = Protection::parse(p->spec()); }) ||
      again->spec() != p->spec()) {
    ares::fuzz::finding("Protection::parse", where + ": spec() does not parse back to it");
  }
  for (const Format& f :
       {Format::fixed(1, 1, true), Format::fixed(2, 6, false), Format::fp16(), Format::fp32()}) {
    uint32_t mask = 0;
    if (ares::fuzz::expect_input_error("Protection::protected_mask",
                                       [&] { mask = p->protected_mask(f); }) &&
        (mask & ~f.code_mask()) != 0) {
      ares::fuzz::finding("Protection::protected_mask",
                          where + ": mask has bits outside " + f.spec());
    }
  }
  return 0;
}
