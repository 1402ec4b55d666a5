#include "report_common.h"

#include <cstdio>

namespace ares::cli {

void print_report(const campaign::CampaignReport& report, bool plots, bool quiet) {
  const auto& res = report.files;
  std::fputs(analysis::spread_text(report.analysis).c_str(), stdout);
  if (!res.plot_problem.empty() && plots) {
    std::fprintf(stderr, "ares report: %s; wrote the tables and the page without them\n",
                 res.plot_problem.c_str());
  }
  if (!quiet) {
    std::fprintf(stderr, "report: %s (%zu figures, %zu tables)\n", res.html.c_str(),
                 res.figures.size() / 2, res.tables.size());
  }
}

analysis::ReportResult run_report(const ReportRun& run) {
  const auto report = campaign::report_campaigns(run.campaigns, run.out, run.levels, run.options);
  print_report(report, run.options.plots_, run.quiet);
  return report.files;
}

}  // namespace ares::cli
