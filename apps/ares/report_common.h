#pragma once
// Shared by `ares report` and `ares study`: reading campaigns, collecting checkpoint metadata
// and writing the report with one line of news on stderr.

#include <string>
#include <utility>
#include <vector>

#include "ares/analysis/report.h"
#include "ares/campaign/study.h"

namespace ares::cli {

/// Settings of one report run.
struct ReportRun {
  std::vector<std::string> campaigns;  ///< campaign output directories
  std::string out;                     ///< report directory
  std::vector<double> levels;          ///< empty: the first campaign's
  analysis::ReportOptions options;
  bool quiet = false;
};

/// Prints a written report's news: the spread table on stdout; a missing gnuplot (one line
/// on stderr: the tables and the page were still written) and, unless quiet, where it went.
void print_report(const campaign::CampaignReport& report, bool plots, bool quiet);

/// campaign::report_campaigns on the run's settings, then print_report.
analysis::ReportResult run_report(const ReportRun& run);

}  // namespace ares::cli
