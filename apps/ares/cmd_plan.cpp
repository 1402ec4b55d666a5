// `ares plan`: how many trials a campaign needs (analysis/plan.h).

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "ares/analysis/csv.h"
#include "ares/analysis/plan.h"
#include "ares/common/error.h"
#include "args.h"
#include "commands.h"

namespace ares::cli {

namespace {

const char* kHelp =
    "usage: ares plan --population N --margin E [--confidence C] [--rate P]\n"
    "       ares plan PILOT_DIR [--factor F]\n\n"
    "How many trials a result needs.\n\n"
    "With --population: the sample size of statistical fault injection (Leveugle et al.,\n"
    "DATE 2009), n = N / (1 + E^2 (N - 1) / (t^2 P (1 - P))), for a failure rate measured\n"
    "within +-E at confidence C over N possible faults.\n"
    "  --population N   possible faults (e.g. a model's stored bits)\n"
    "  --margin E       margin of error of the rate, e.g. 0.01\n"
    "  --confidence C   default 0.95\n"
    "  --rate P         expected failure rate (default 0.5, the worst case)\n\n"
    "With a pilot campaign's directory (its summary.csv): per instance, configuration and\n"
    "level, the trials per BER for a threshold interval hi/lo within the factor F, from the\n"
    "pilot's interval (its width shrinks as 1/sqrt(trials)).\n"
    "  --factor F       target ratio of the interval's ends (default 1.5)\n";

int plan_pilot(const Args& args) {
  const std::string dir = args.positional()[0];
  const std::string path = (std::filesystem::path(dir) / "summary.csv").string();
  const auto t = analysis::CsvTable::read(path);
  const double factor = args.get_double("factor", 1.5);
  ARES_CHECK(factor > 1, "plan: --factor must be > 1, got ", factor);
  // The pilot's trials per BER: the highest trial index in its trials.csv, plus one.
  const auto trials_csv =
      analysis::CsvTable::read((std::filesystem::path(dir) / "trials.csv").string());
  int64_t trials = 0;
  const size_t c_trial = trials_csv.column("trial");
  for (size_t r = 0; r < trials_csv.rows(); ++r) {
    trials = std::max<int64_t>(trials, trials_csv.integer(r, c_trial) + 1);
  }
  ARES_CHECK(trials >= 1, dir, "/trials.csv: no trials");
  std::vector<std::string> levels;
  for (const auto& h : t.header()) {
    if (h.size() > 13 && h.compare(0, 7, "ber_at_") == 0 &&
        h.compare(h.size() - 6, 6, "pct_lo") == 0) {
      levels.push_back(h.substr(7, h.size() - 13));
    }
  }
  ARES_CHECK(!levels.empty(), path,
             ": no threshold intervals (ber_at_Xpct_lo); rerun the pilot with this Ares");
  std::printf("pilot: %s, %lld trials per BER; target: 95%% interval hi/lo <= %g\n", dir.c_str(),
              (long long)trials, factor);
  std::printf("%-4s %-16s %-8s %21s %8s %10s\n", "inst", "config", "level", "pilot interval",
              "hi/lo", "trials");
  int64_t worst = trials;
  bool unreachable = false;
  for (size_t r = 0; r < t.rows(); ++r) {
    std::string config = t.at(r, t.column("format"));
    const std::string prot = t.at(r, t.column("protection"));
    if (prot != "none") config += "+" + prot;
    for (const auto& l : levels) {
      const std::string lo_s = t.at(r, t.column("ber_at_" + l + "pct_lo"));
      const std::string hi_s = t.at(r, t.column("ber_at_" + l + "pct_hi"));
      char interval[64];
      std::snprintf(interval, sizeof interval, "%s..%s", lo_s.c_str(), hi_s.c_str());
      const double lo = t.number(r, t.column("ber_at_" + l + "pct_lo"));
      const double hi = hi_s == "inf" ? INFINITY : t.number(r, t.column("ber_at_" + l + "pct_hi"));
      std::string need;
      if (!(lo > 0) || !std::isfinite(hi)) {
        need = "grid";  // the interval reaches past the grid: widen it first
        unreachable = true;
        std::snprintf(interval, sizeof interval, "%.2e..%.2e", lo, hi);
        std::printf("%-4s %-16s +%-7s %21s %8s %10s\n", t.at(r, t.column("instance")).c_str(),
                    config.c_str(), (l + "%").c_str(), interval, "-", need.c_str());
        continue;
      }
      const int64_t n = analysis::trials_for_factor(trials, lo, hi, factor);
      worst = std::max(worst, n);
      std::snprintf(interval, sizeof interval, "%.2e..%.2e", lo, hi);
      std::printf("%-4s %-16s +%-7s %21s %8.2f %10lld\n", t.at(r, t.column("instance")).c_str(),
                  config.c_str(), (l + "%").c_str(), interval, hi / lo, (long long)n);
    }
  }
  std::printf("trials per BER for every interval: %lld\n", (long long)worst);
  if (unreachable) {
    std::printf(
        "grid: the interval reaches past the BER grid; widen the grid (--ber-min, "
        "--ber-max) before adding trials\n");
  }
  std::printf(
      "(an interval's ends are grid points: a factor below the grid's step needs a "
      "finer grid, not more trials)\n");
  return 0;
}

}  // namespace

int cmd_plan(const std::vector<std::string>& argv) {
  Args args("plan", argv, {"population", "margin", "confidence", "rate", "factor"}, {"help"});
  if (args.has("help")) {
    std::fputs(kHelp, stdout);
    return 0;
  }
  if (args.has("population")) {
    ARES_CHECK(args.positional().empty(), "plan: --population takes no pilot directory");
    ARES_CHECK(args.has("margin"), "plan: --population needs --margin E");
    const double n = args.get_double("population", 0);
    const double e = args.get_double("margin", 0);
    const double c = args.get_double("confidence", 0.95);
    const double p = args.get_double("rate", 0.5);
    const int64_t size = analysis::fault_sample_size(n, e, c, p);
    std::printf("%lld faults (population %.17g, margin %g, confidence %g, rate %g, t %.4f)\n",
                (long long)size, n, e, c, p, analysis::normal_quantile_two_sided(c));
    return 0;
  }
  ARES_CHECK(args.positional().size() == 1,
             "plan: give --population N --margin E, or one pilot campaign directory (see 'ares "
             "plan --help')");
  return plan_pilot(args);
}

}  // namespace ares::cli
