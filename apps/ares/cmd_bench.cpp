#include <cstdio>

#include "ares/campaign/campaign.h"
#include "ares/common/error.h"
#include "campaign_options.h"
#include "commands.h"

namespace ares::cli {

int cmd_bench(const std::vector<std::string>& argv) {
  auto flags = campaign_flags();
  flags.insert("engines");
  Args args("bench", argv, flags, {"help", "quiet"});
  if (args.has("help")) {
    std::printf(
        "usage: ares bench CHECKPOINT [campaign options] [--engines fast,prefix,reference]\n\n"
        "Runs the same campaign through each engine and prints trials per second, the\n"
        "whole campaign's wall time, the mean evaluated trial against one clean forward\n"
        "pass, and whether every engine produced the same errors.\n\n%s",
        campaign_flags_help());
    return 0;
  }
  auto base = spec_from_args(args);
  auto engines = split_list(args.get_or("engines", "fast,prefix,reference"));
  std::printf("%-10s %8s %10s %10s %12s %12s %10s %s\n", "engine", "trials", "evaluated",
              "wall_s", "trials/s", "trial_ms", "fwd_ms", "trial/fwd");
  std::vector<campaign::CampaignResult> results;
  for (const auto& e : engines) {
    auto spec = base;
    spec.engine = e;
    spec.validate();
    auto r = campaign::run_campaign(spec);
    double trial_ms = r.evaluated_trials ? 1e3 * r.eval_seconds / double(r.evaluated_trials) : 0;
    std::printf("%-10s %8zu %10lld %10.2f %12.1f %12.3f %10.2f %.3f\n", e.c_str(), r.rows.size(),
                (long long)r.evaluated_trials, r.seconds, double(r.rows.size()) / r.seconds,
                trial_ms, 1e3 * r.clean_forward_seconds,
                r.clean_forward_seconds > 0 ? trial_ms / (1e3 * r.clean_forward_seconds) : 0.0);
    std::fflush(stdout);
    results.push_back(std::move(r));
  }
  for (size_t k = 1; k < results.size(); ++k) {
    size_t diff = 0;
    for (size_t i = 0; i < results[0].rows.size(); ++i) {
      diff += results[0].rows[i].errors != results[k].rows[i].errors;
    }
    std::printf("%s vs %s: %zu of %zu trials differ in errors; speedup %.2fx\n",
                engines[0].c_str(), engines[k].c_str(), diff, results[0].rows.size(),
                results[k].seconds / results[0].seconds);
  }
  return 0;
}

}  // namespace ares::cli
