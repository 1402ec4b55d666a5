#include <cstdio>

#include "ares/campaign/campaign.h"
#include "ares/campaign/threads.h"
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
        "usage: ares bench CHECKPOINT [campaign options] [--engines LIST]\n\n"
        "Runs the same campaign through each engine and prints, per engine: trials, evaluated\n"
        "trials, the campaign's wall time, trials per second, the mean evaluated trial in ms,\n"
        "its ratio to one clean forward pass over the evaluation set (trial/fwd) and to the\n"
        "clean suffix from the trial's first faulty stage (trial/floor), and how many trials'\n"
        "errors differ from the first engine's.\n\n"
        "Engines: fast, prefix, reference (see docs/campaign.md) and ares-dense (the reference\n"
        "engine fed by the original Ares's sampler: one random draw per stored bit; its plans\n"
        "differ, so its errors are not compared). Default: fast,prefix,reference,ares-dense.\n\n%s",
        campaign_flags_help().c_str());
    return 0;
  }
  auto base = spec_from_args(args);
  base.measure_floor = true;
  auto engines = split_list(args.get_or("engines", "fast,prefix,reference,ares-dense"));
  // Where these figures come from, first: they mean little without the CPU, the BLAS kernel
  // and the threads (a campaign runs each trial on one LibTorch and one OpenBLAS thread).
  campaign::set_compute_threads(1, 1);
  for (const auto& [k, v] : campaign::describe_platform(base.threads)) {
    std::printf("# %-24s %s\n", k.c_str(), v.c_str());
  }
  std::printf("%-10s %7s %9s %9s %9s %10s %9s %9s %11s %s\n", "engine", "trials", "evaluated",
              "wall_s", "trials/s", "trial_ms", "fwd_ms", "trial/fwd", "trial/floor",
              "errors_differ");
  std::vector<campaign::CampaignResult> results;
  for (const auto& e : engines) {
    auto spec = base;
    spec.engine = e == "ares-dense" ? campaign::Engine::kReference : campaign::parse_engine(e);
    spec.sampler = e == "ares-dense" ? campaign::Sampler::kDense : campaign::Sampler::kSparse;
    spec.validate();
    auto r = campaign::run_campaign(spec);
    double trial_ms = r.evaluated_trials ? 1e3 * r.eval_seconds / double(r.evaluated_trials) : 0;
    std::string differ = "-";
    if (!results.empty() && spec.sampler == results[0].spec.sampler) {
      size_t diff = 0;
      for (size_t i = 0; i < r.rows.size(); ++i)
        diff += r.rows[i].errors != results[0].rows[i].errors;
      differ = std::to_string(diff);
    }
    std::printf("%-10s %7zu %9lld %9.2f %9.1f %10.3f %9.2f %9.3f %11.3f %s\n", e.c_str(),
                r.rows.size(), (long long)r.evaluated_trials, r.seconds,
                double(r.rows.size()) / r.seconds, trial_ms, 1e3 * r.clean_forward_seconds,
                r.clean_forward_seconds > 0 ? trial_ms / (1e3 * r.clean_forward_seconds) : 0.0,
                r.floor_seconds > 0 ? r.eval_seconds / r.floor_seconds : 0.0, differ.c_str());
    std::fflush(stdout);
    results.push_back(std::move(r));
  }
  for (size_t k = 1; k < results.size(); ++k) {
    std::printf("%s is %.2fx faster than %s (whole campaign)\n", engines[0].c_str(),
                results[k].seconds / results[0].seconds, engines[k].c_str());
  }
  return 0;
}

}  // namespace ares::cli
