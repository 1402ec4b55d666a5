// Fuzzes the TOML campaign-spec reader (campaign/spec_options.h, on toml++): the file goes
// through read_toml_settings and build_spec, as `ares campaign CKPT --spec FILE` does.
//
// An accepted spec must also survive the result store's round trip: the store keeps
// to_text() and `--resume` rebuilds the spec with from_text(), so from_text(to_text()) must
// accept it and give the same text back (include/ares/campaign/spec.h promises an equal spec).

#include <cstdint>
#include <optional>
#include <string>

#include "ares/campaign/spec.h"
#include "ares/campaign/spec_options.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using ares::campaign::CampaignSpec;
  ares::fuzz::MemFile file(data, size);
  std::optional<CampaignSpec> spec;
  const bool ok = ares::fuzz::expect_input_error("read_toml_settings/build_spec", [&] {
    // A checkpoint first, as on the command line, so that most specs get past validate();
    // the file's own `checkpoint` key overrides it.
    ares::campaign::SpecSettings settings;
    settings.set("checkpoint", "fuzz.ckpt", "--checkpoint");
    settings.override_with(ares::campaign::read_toml_settings(file.path()));
    spec = ares::campaign::build_spec(settings);
  });
  if (!ok) return 0;
  const std::string text = spec->to_text();
  std::optional<CampaignSpec> back;
  try {
    back = CampaignSpec::from_text(text);
  } catch (const std::exception& e) {
    ares::fuzz::finding("CampaignSpec::from_text",
                        std::string("rejects to_text() of an accepted spec: ") + e.what() +
                            "\n--- to_text() ---\n" + text);
  }
  if (back->to_text() != text) {
    ares::fuzz::finding("CampaignSpec::from_text",
                        "from_text(to_text()) differs:\n--- to_text() ---\n" + text +
                            "--- after the round trip ---\n" + back->to_text());
  }
  return 0;
}
