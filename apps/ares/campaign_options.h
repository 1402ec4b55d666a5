#pragma once
// Flags (and TOML spec files) -> CampaignSpec, shared by `ares campaign` and `ares bench`.

#include <set>
#include <string>
#include <vector>

#include "ares/campaign/spec.h"
#include "args.h"

namespace ares::cli {

/// Flags that take a value and describe a campaign.
std::set<std::string> campaign_flags();

/// Help text for those flags.
const char* campaign_flags_help();

/// Reads a TOML campaign file (a flat subset: `key = value` with strings, numbers, booleans
/// and arrays; `#` comments; an optional `[campaign]` header) into flag-style arguments
/// `--key value` (arrays joined with commas, '_' in keys read as '-').
std::vector<std::string> toml_to_args(const std::string& path);

/// Builds the spec from parsed arguments. Checkpoints come from --checkpoint and positionals.
campaign::CampaignSpec spec_from_args(const Args& args);

}  // namespace ares::cli
