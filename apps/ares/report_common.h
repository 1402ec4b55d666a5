#pragma once
// Shared by `ares report` and `ares study`: reading campaigns, collecting checkpoint metadata
// and writing the report with one line of news on stderr.

#include <string>
#include <utility>
#include <vector>

#include "ares/analysis/report.h"

namespace ares::cli {

/// Settings of one report run.
struct ReportRun {
  std::vector<std::string> campaigns;  ///< campaign output directories
  std::string out;                     ///< report directory
  std::vector<double> levels;          ///< empty: the first campaign's
  analysis::ReportOptions options;
  bool quiet = false;
};

/// Reads and analyses every campaign (throwing ares::InputError before anything is written),
/// adds the checkpoints' metadata, writes the report and prints the spread table on stdout.
/// A missing gnuplot gives one line on stderr; the tables and the page are still written.
analysis::ReportResult run_report(ReportRun run);

}  // namespace ares::cli
