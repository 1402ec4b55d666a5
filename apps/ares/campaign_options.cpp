#include "campaign_options.h"

namespace ares::cli {

std::set<std::string> campaign_flags() {
  std::set<std::string> out = {"spec"};
  for (const auto& k : campaign::spec_keys()) out.insert(campaign::flag_name(k));
  return out;
}

std::string campaign_flags_help() {
  return campaign::spec_flags_help() +
         "  --spec FILE.toml    read these settings from a TOML file (keys as above, '_' or '-';\n"
         "                      flags override it)\n";
}

campaign::SpecSettings settings_from_args(const Args& args) {
  campaign::SpecSettings settings;
  if (auto file = args.get("spec")) settings = campaign::read_toml_settings(*file);
  for (const auto& k : campaign::spec_keys()) {
    const std::string flag = campaign::flag_name(k);
    if (auto v = args.get(flag)) settings.set(k.key, *v, "--" + flag);
  }
  if (!args.positional().empty()) {
    std::string list;
    if (auto* given = settings.find("checkpoint")) list = given->text;
    for (const auto& p : args.positional()) list += (list.empty() ? "" : ",") + p;
    settings.set("checkpoint", list, "the checkpoint arguments");
  }
  return settings;
}

campaign::CampaignSpec spec_from_args(const Args& args) {
  auto spec = campaign::build_spec(settings_from_args(args));
  spec.progress = !args.has("quiet");
  return spec;
}

}  // namespace ares::cli
