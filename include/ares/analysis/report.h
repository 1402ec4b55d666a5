#pragma once
/// The report of one or more campaigns: tables (CSV and Markdown), figures (PNG and SVG, drawn
/// by gnuplot) and one self-contained HTML page. See docs/report.md for every file.
///
/// Layout of the output directory:
///   index.html            the page: findings, Figures 1-4, curves, tables, settings; every
///                         figure embedded (SVG as a data URI), so the file stands alone
///   report.md             the same findings and tables in Markdown, figures linked
///   tables/*.csv          curves, thresholds, spread, ratios, instances (+ targets, bits)
///   figures/*.png, *.svg  fig1_tolerable_ber, fig2_error_vs_ber, fig3_thresholds,
///                         fig4_geo_std, curves_<config> (+ targets, bits_<format>)
///   figures/*.gp          the gnuplot scripts (with their data inline), to redraw by hand

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "ares/analysis/aggregate.h"
#include "ares/analysis/campaign_data.h"

namespace ares::analysis {

/// Report settings. Example: ReportOptions().title("LeNet-5, 20 instances").plots(false)
struct ReportOptions {
#define ARES_ARG(T, name, init) \
  T name##_ = init;             \
  ReportOptions& name(T v) {    \
    name##_ = std::move(v);     \
    return *this;               \
  }
  /// Page title; empty: "Ares report: " and the subjects.
  ARES_ARG(std::string, title, "")
  /// Draw figures with gnuplot. Without (or when gnuplot is missing) the tables and the page
  /// are still written, and the page says that figures are unavailable.
  ARES_ARG(bool, plots, true)
  /// The gnuplot program (a name looked up in PATH, or a path).
  ARES_ARG(std::string, gnuplot, "gnuplot")
#undef ARES_ARG
  /// Metadata per checkpoint path (seed, epochs, test_error, versions, ...), shown on the page;
  /// missing entries are simply not shown.
  std::map<std::string, std::map<std::string, std::string>> checkpoint_meta;
  /// Extra (name, value) lines for the settings table, e.g. the study's command line.
  std::vector<std::pair<std::string, std::string>> notes;
};

/// What write_report produced.
struct ReportResult {
  std::string html;                  ///< path of index.html
  std::string markdown;              ///< path of report.md
  std::vector<std::string> tables;   ///< CSV paths
  std::vector<std::string> figures;  ///< PNG and SVG paths that were drawn
  int figures_failed = 0;            ///< figures gnuplot did not draw
  /// Empty when every figure was drawn; else why not (gnuplot missing, a script failed).
  std::string plot_problem;
};

/// Writes the report of `analysis` (from `campaigns`) into `dir` (created if needed; files
/// are replaced atomically one by one). Throws ares::InputError when `dir` cannot be written.
/// A missing or failing gnuplot is not an error: see ReportResult::plot_problem.
ReportResult write_report(const Analysis& analysis, const std::vector<CampaignData>& campaigns,
                          const std::string& dir, const ReportOptions& options = ReportOptions());

/// A plain-text table of the spread (relative and absolute baselines): per configuration and
/// level the geometric mean threshold, geometric standard deviation, max/min ratio and the
/// ratio to the reference encoding. What `ares report` and `ares study` print.
std::string spread_text(const Analysis& analysis);

/// Base64 (RFC 4648, with padding) of `bytes`; used for the page's data URIs.
std::string base64(const std::string& bytes);

}  // namespace ares::analysis
