#include <cstdio>

#include "ares/campaign/campaign.h"
#include "ares/common/error.h"
#include "campaign_options.h"
#include "commands.h"

namespace ares::cli {

int cmd_campaign(const std::vector<std::string>& argv) {
  auto flags = campaign_flags();
  // A --spec file is read first; flags given on the command line override its values.
  std::vector<std::string> all = argv;
  {
    Args pre("campaign", argv, flags, {"help", "quiet"});
    if (pre.has("help")) {
      std::printf(
          "usage: ares campaign [CHECKPOINT...] [options]\n\n"
          "Sweeps bit error rates over the weights of each checkpoint in each format,\n"
          "writes OUT/trials.csv, OUT/summary.csv and OUT/summary.json, and prints the\n"
          "highest tolerable BER per degradation level.\n\n%s"
          "  --out DIR           output directory (default results/campaign)\n"
          "  --quiet             no progress on stderr\n",
          campaign_flags_help());
      return 0;
    }
    if (auto spec_file = pre.get("spec")) {
      all = toml_to_args(*spec_file);
      all.insert(all.end(), argv.begin(), argv.end());
    }
  }
  Args args("campaign", all, flags, {"help", "quiet"});
  auto spec = spec_from_args(args);
  std::string out = args.get_or("out", "results/campaign");
  auto result = campaign::run_campaign(spec);
  campaign::write_results(result, out);
  std::fputs(campaign::summary_table(result).c_str(), stdout);
  std::fprintf(stderr,
               "%zu trials (%lld evaluated) in %.1fs; mean evaluated trial %.2f ms, clean "
               "forward %.2f ms; results in %s/\n",
               result.rows.size(), (long long)result.evaluated_trials, result.seconds,
               result.evaluated_trials ? 1e3 * result.eval_seconds / result.evaluated_trials : 0.0,
               1e3 * result.clean_forward_seconds, out.c_str());
  return 0;
}

}  // namespace ares::cli
