#pragma once
// Pieces shared by report.cpp (tables, findings, the document) and report_plots.cpp (gnuplot).

#include <cstddef>
#include <string>
#include <vector>

#include "ares/analysis/aggregate.h"

namespace ares::analysis::detail {

/// Both baselines, in the order the report shows them.
inline constexpr BaselineKind kBaselineKinds[] = {BaselineKind::kRelative, BaselineKind::kAbsolute};
/// The position of `kind` in aggregate.h's per-baseline arrays ([0] relative, [1] absolute):
/// the one place that turns a BaselineKind into a number.
constexpr size_t kind_index(BaselineKind kind) { return static_cast<size_t>(kind); }
/// `per_kind[kind]`, e.g. by_kind(group.spread, BaselineKind::kRelative)[level].
template <class T>
const T& by_kind(const T (&per_kind)[2], BaselineKind kind) {
  return per_kind[kind_index(kind)];
}

/// printf into a std::string.
std::string strf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
/// "4.71e-06".
std::string sci(double v);
/// A name safe for files: [A-Za-z0-9._-], others become '_'.
std::string slug(const std::string& s);
/// Whether group `gi` appears in the headline views (Figures 1-4, summary tables, curves):
/// single-bit groups of a per-bit study do not, unless their subject has nothing else.
bool shown(const Analysis& a, size_t gi);
/// The distinct subjects (GroupKey::subject) in group order, each with its shown groups.
std::vector<std::pair<std::string, std::vector<size_t>>> subjects(const Analysis& a);
/// The distinct configuration labels of the shown groups in order (they pick the colors).
std::vector<std::string> config_labels(const Analysis& a);
/// A short file-name tag telling `key`'s subject from the others of `a` ("" when there is one
/// subject): the model, dataset, targets and site where they differ, e.g. "fc1".
std::string subject_tag(const Analysis& a, const GroupKey& key);
/// "+0.5%".
std::string level_label(double pct);

/// One figure: an id (file stem), a caption, and the gnuplot text that draws it.
struct Figure {
  std::string id;
  std::string title;
  std::string caption;
  int width = 900, height = 520;
  std::string data;      ///< datablocks, defined once
  std::string commands;  ///< the drawing, run once per terminal
  bool drawn = false;    ///< set when gnuplot produced both files
};

/// Every figure of the report, in page order.
std::vector<Figure> make_figures(const Analysis& a);

/// Runs gnuplot on each figure in `dir` (PNG and SVG plus the .gp script). Returns the
/// problem, or "" when every figure was drawn.
std::string draw_figures(std::vector<Figure>& figures, const std::string& dir,
                         const std::string& gnuplot, int* failed);

}  // namespace ares::analysis::detail
