#include "report_common.h"

#include <cstdio>
#include <filesystem>

#include "ares/analysis/aggregate.h"
#include "ares/analysis/campaign_data.h"
#include "ares/models/checkpoint.h"

namespace ares::cli {

analysis::ReportResult run_report(ReportRun run) {
  std::vector<analysis::CampaignData> data;
  for (const auto& dir : run.campaigns) data.push_back(analysis::load_campaign(dir));
  analysis::Analysis a = analysis::analyze(data, run.levels);
  // Training seeds and epochs for the page; a checkpoint that moved or is unreadable is
  // simply not described.
  for (const auto& c : a.curves) {
    if (c.checkpoint.empty() || run.options.checkpoint_meta.count(c.checkpoint)) continue;
    try {
      auto loaded = models::load_checkpoint(c.checkpoint);
      run.options.checkpoint_meta[c.checkpoint] = loaded.meta;
    } catch (const std::exception&) {
      run.options.checkpoint_meta[c.checkpoint] = {};
    }
  }
  auto res = analysis::write_report(a, data, run.out, run.options);
  std::fputs(analysis::spread_text(a).c_str(), stdout);
  if (!res.plot_problem.empty() && run.options.plots_) {
    std::fprintf(stderr, "ares report: %s; wrote the tables and the page without them\n",
                 res.plot_problem.c_str());
  }
  if (!run.quiet) {
    std::fprintf(stderr, "report: %s (%zu figures, %zu tables)\n", res.html.c_str(),
                 res.figures.size() / 2, res.tables.size());
  }
  return res;
}

}  // namespace ares::cli
