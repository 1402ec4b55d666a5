#include <cstdio>
#include <filesystem>

#include "ares/common/error.h"
#include "args.h"
#include "commands.h"
#include "report_common.h"

namespace ares::cli {

namespace {
const char* kHelp =
    "usage: ares report CAMPAIGN_DIR [CAMPAIGN_DIR...] [options]\n"
    "\n"
    "Reads campaign outputs (trials.csv, summary.csv, summary.json), computes error curves\n"
    "with 95% confidence intervals, thresholds under relative and absolute baselines, their\n"
    "spread across instances and the ratio between encodings, and writes OUT/index.html (one\n"
    "self-contained page), OUT/report.md, OUT/tables/*.csv and OUT/figures/*.png|svg (drawn\n"
    "with gnuplot). Several directories are analysed together: campaigns with the same\n"
    "targets pool their instances; campaigns with different targets (one layer each) give\n"
    "per-target vulnerability. Prints the spread table.\n"
    "\n"
    "  --out DIR        report directory (default FIRST_CAMPAIGN_DIR/report)\n"
    "  --levels LIST    degradation levels in % (default: the campaign's, else 0.5,1,5,10)\n"
    "  --title TEXT     page title\n"
    "  --no-plots       tables and the page only\n"
    "  --quiet          no news on stderr\n";
}  // namespace

int cmd_report(const std::vector<std::string>& argv) {
  Args args("report", argv, {"out", "levels", "title"}, {"help", "no-plots", "quiet"});
  if (args.has("help")) {
    std::fputs(kHelp, stdout);
    return 0;
  }
  ARES_CHECK(!args.positional().empty(),
             "report: expected one or more campaign directories (see 'ares report --help')");
  ReportRun run;
  run.campaigns = args.positional();
  run.out = args.get_or("out", (std::filesystem::path(run.campaigns[0]) / "report").string());
  for (const auto& l : split_list(args.get_or("levels", ""))) {
    run.levels.push_back(args.parse_double(l, "--levels"));
  }
  run.options.title(args.get_or("title", "")).plots(!args.has("no-plots"));
  run.quiet = args.has("quiet");
  run_report(run);
  return 0;
}

}  // namespace ares::cli
