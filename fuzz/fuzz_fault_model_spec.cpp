// Fuzzes ares::fault::FaultModel::parse, the reader of --fault-model.
// An accepted spec's canonical spec() must parse back to the same canonical spec.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ares/fault/fault_model.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using ares::fault::FaultModel;
  const std::string_view spec(reinterpret_cast<const char*>(data), size);
  std::optional<FaultModel> m;
  if (!ares::fuzz::expect_input_error("FaultModel::parse", [&] { m = FaultModel::parse(spec); })) {
    return 0;
  }
  std::optional<FaultModel> again;
  if (!ares::fuzz::expect_input_error("FaultModel::parse(spec())",
                                      [&] { again = FaultModel::parse(m->spec()); }) ||
      again->spec() != m->spec()) {
    ares::fuzz::finding("FaultModel::parse", "fault model '" + std::string(spec) + "' (" +
                                                 m->spec() + "): spec() does not parse back");
  }
  return 0;
}
