#pragma once
// Flags (and TOML spec files) -> CampaignSpec, shared by `ares campaign`, `ares study` and
// `ares bench`. The settings, their defaults and help are campaign/spec_options.h's table.

#include <set>
#include <string>
#include <vector>

#include "ares/campaign/spec.h"
#include "ares/campaign/spec_options.h"
#include "args.h"

namespace ares::cli {

/// Flags that take a value and describe a campaign: every setting, and --spec.
std::set<std::string> campaign_flags();

/// Help text for those flags.
std::string campaign_flags_help();

/// The campaign settings of a command line: the --spec file's (when given), overridden by the
/// flags; positional arguments are checkpoints, after --checkpoint's.
campaign::SpecSettings settings_from_args(const Args& args);

/// build_spec(settings_from_args(args)), with progress unless --quiet.
campaign::CampaignSpec spec_from_args(const Args& args);

}  // namespace ares::cli
