// Fuzzes CampaignSpec::from_text, the reader of the spec a result store keeps (`ares campaign
// --resume`, `ares export`): a corrupt store must give an InputError, never another exception
// or undefined behaviour. A spec it accepts and that validates must round-trip through
// to_text().

#include <cstdint>
#include <optional>
#include <string>

#include "ares/campaign/spec.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using ares::campaign::CampaignSpec;
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::optional<CampaignSpec> spec;
  if (!ares::fuzz::expect_input_error("CampaignSpec::from_text", [&] {
        spec = CampaignSpec::from_text(text);
        spec->validate();
      })) {
    return 0;
  }
  const std::string canonical = spec->to_text();
  std::optional<CampaignSpec> back;
  try {
    back = CampaignSpec::from_text(canonical);
  } catch (const std::exception& e) {
    ares::fuzz::finding("CampaignSpec::from_text",
                        std::string("rejects its own to_text(): ") + e.what());
  }
  if (back->to_text() != canonical) {
    ares::fuzz::finding("CampaignSpec::from_text",
                        "from_text(to_text()) differs:\n" + canonical + "---\n" + back->to_text());
  }
  return 0;
}
