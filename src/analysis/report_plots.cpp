// Figures of the report: gnuplot scripts with their data inline, drawn to PNG and SVG.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <sstream>

#include "ares/analysis/csv.h"
#include "detail/report_internal.h"

namespace ares::analysis::detail {
namespace {

namespace fs = std::filesystem;

const char* const kColors[] = {"#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd",
                               "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

std::string color(size_t i) { return kColors[i % (sizeof kColors / sizeof kColors[0])]; }

// The place of a configuration's label among config_labels(a): its bar slot, and its colour,
// the same in every figure.
size_t label_index(const std::vector<std::string>& labels, const std::string& label) {
  return size_t(std::find(labels.begin(), labels.end(), label) - labels.begin());
}
std::string config_color(const std::vector<std::string>& labels, const std::string& label) {
  return color(label_index(labels, label));
}

// A gnuplot string literal (double-quoted; noenhanced text, so only quotes and backslashes).
std::string q(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// A tic label: gnuplot reads it as a format string, so '%' is doubled.
std::string tic(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '%' ? std::string("%%") : std::string(1, c);
  return q(out);
}

std::string g(double v) { return strf("%.10g", v); }

// Powers of ten around [lo, hi] for a log axis.
std::pair<double, double> log_range(double lo, double hi) {
  if (!(lo > 0)) lo = 1e-12;
  if (!(hi > 0)) hi = lo;
  // Strictly below the lowest value, so that a bar at the minimum still shows.
  double a = std::pow(10.0, std::floor(std::log10(lo) - 1e-9));
  double b = std::pow(10.0, std::ceil(std::log10(hi) - 1e-9));
  if (b <= a) b = a * 10;
  return {a, b};
}

struct Bar {
  bool present = false;
  double value = 0, lo = 0, hi = 0;
  std::string label;  // text above the bar, optional
};

// Grouped bars: clusters along x, one colored series per cluster slot. Log y: bars rise from
// the bottom of the axis; linear: from `base`.
void bar_panel(Figure& f, const std::string& prefix, const std::string& title,
               const std::string& ylabel, const std::vector<std::string>& clusters,
               const std::vector<std::string>& series, const std::vector<std::string>& colors,
               const std::vector<std::vector<Bar>>& bars, bool logy, double base, bool errorbars) {
  const size_t S = series.size();
  double lo = 1e300, hi = -1e300;
  std::ostringstream cmd;
  for (size_t s = 0; s < S; ++s) {
    f.data += "$" + prefix + "s" + std::to_string(s) + " << EOD\n";
    for (size_t k = 0; k < clusters.size(); ++k) {
      const Bar& b = bars[k][s];
      if (!b.present) continue;
      double x = double(k * (S + 1) + s + 1);
      f.data += g(x) + " " + g(b.value) + " " + g(errorbars ? b.lo : b.value) + " " +
                g(errorbars ? b.hi : b.value) + " " + q(b.label.empty() ? " " : b.label) + "\n";
      lo = std::min(lo, errorbars ? b.lo : b.value);
      hi = std::max(hi, errorbars ? b.hi : b.value);
    }
    f.data += "EOD\n";
  }
  cmd << "reset\nset title " << q(title) << "\nset ylabel " << q(ylabel) << "\n";
  cmd << "set key outside top center horizontal\nset grid ytics\nset border 3\nset tics nomirror\n";
  cmd << "set style fill solid 0.85 noborder\nset xtics (";
  for (size_t k = 0; k < clusters.size(); ++k) {
    cmd << (k ? ", " : "") << tic(clusters[k]) << " " << g(double(k * (S + 1)) + (S + 1) / 2.0);
  }
  cmd << ") scale 0\n";
  cmd << "set xrange [0.3:" << g(double(clusters.size() * (S + 1)) - 0.3) << "]\n";
  double bottom = base;
  if (logy) {
    auto r = log_range(lo, hi);
    bottom = r.first;
    cmd << "set logscale y\nset format y \"%.0e\"\nset yrange [" << g(r.first) << ":" << g(r.second)
        << "]\n";
  } else {
    cmd << "set yrange [" << g(base) << ":" << g(std::max(hi, base) * 1.12 + 1e-9) << "]\n";
  }
  cmd << "plot ";
  for (size_t s = 0; s < S; ++s) {
    std::string d = "$" + prefix + "s" + std::to_string(s);
    cmd << (s ? ", \\\n     " : "") << d << " using 1:2:($1-0.42):($1+0.42):(" << g(bottom)
        << "):2 with boxxyerror lc rgb " << q(colors[s]) << " title " << q(series[s]);
    if (errorbars) {
      cmd << ", \\\n     " << d
          << " using 1:2:3:4 with yerrorbars lc rgb \"black\" pt 7 ps 0.2 notitle";
    } else {
      cmd << ", \\\n     " << d << " using 1:2:5 with labels offset 0,0.6 font \",8\" notitle";
    }
  }
  cmd << "\n";
  f.commands += cmd.str();
}

std::string level_cluster(const Analysis& a, size_t l) { return level_label(a.levels[l]); }

// Figure 1: geometric-mean tolerable BER per configuration (relative baseline), min-max bars.
Figure fig1(const Analysis& a) {
  Figure f;
  f.id = "fig1_tolerable_ber";
  f.title = "Figure 1. Highest tolerable BER per encoding";
  f.caption =
      "Highest BER whose mean error stays within +X% of the instance's own clean error "
      "(relative baseline). Bars: geometric mean over instances; whiskers: min and max "
      "instance. Higher is more fault tolerant.";
  auto labels = config_labels(a);
  auto subs = subjects(a);
  std::vector<std::string> clusters;
  std::vector<std::vector<Bar>> bars;
  for (const auto& [subject, groups] : subs) {
    for (size_t l = 0; l < a.levels.size(); ++l) {
      clusters.push_back((subs.size() > 1 ? subject_tag(a, a.groups[groups[0]].key) + " " : "") +
                         level_cluster(a, l));
      std::vector<Bar> row(labels.size());
      for (size_t gi : groups) {
        const Group& grp = a.groups[gi];
        size_t s = label_index(labels, grp.key.config_label());
        const GeoStats& st = by_kind(grp.spread, BaselineKind::kRelative)[l].stats;
        row[s] = {true, st.geo_mean, st.min, st.max, ""};
      }
      bars.push_back(row);
    }
  }
  std::vector<std::string> colors;
  for (size_t s = 0; s < labels.size(); ++s) colors.push_back(color(s));
  size_t n = a.groups[subs[0].second[0]].curves.size();
  for (const auto& sub : subs) {
    for (size_t gi : sub.second) n = a.groups[gi].curves.size() == n ? n : 0;
  }
  bar_panel(f, "f1",
            n ? strf("Tolerable BER (geometric mean over %zu instances)", n)
              : std::string("Tolerable BER (geometric mean over instances)"),
            "bit error rate", clusters, labels, colors, bars, true, 0, true);
  f.width = std::max(900, int(clusters.size() * (labels.size() + 1) * 22 + 260));
  return f;
}

// The set-up of a plot against the BER: title, labels, a log x axis over `bers`, grid.
std::string ber_axes(const std::string& title, const std::string& ylabel,
                     const std::vector<double>& bers) {
  std::ostringstream os;
  os << "reset\nset title " << q(title) << "\nset xlabel \"bit error rate\"\nset ylabel "
     << q(ylabel) << "\nset logscale x\nset format x \"%.0e\"\nset key left top\nset grid\n"
     << "set xrange [" << g(bers.front()) << ":" << g(bers.back()) << "]\n";
  return os.str();
}

// Figure 2: across instances, mean error vs BER with the min-max band, per configuration.
Figure fig2(const Analysis& a, const std::vector<size_t>& groups, const std::string& subject,
            const std::string& id) {
  Figure f;
  f.id = id;
  f.title = "Figure 2. Error vs BER across instances" + (subject.empty() ? "" : ": " + subject);
  f.caption =
      "Test error against bit error rate. Line: mean over instances of each instance's mean "
      "error over its trials; band: the lowest and highest instance.";
  auto labels = config_labels(a);
  std::ostringstream cmd;
  cmd << ber_axes(subject.empty() ? "Error vs BER" : subject, "test error",
                  a.groups[groups[0]].bers)
      << "set style fill transparent solid 0.18 noborder\nplot ";
  bool first = true;
  for (size_t gi : groups) {
    const Group& grp = a.groups[gi];
    std::string d = "$f2g" + std::to_string(gi);
    f.data += d + " << EOD\n";
    for (size_t b = 0; b < grp.bers.size(); ++b) {
      f.data += g(grp.bers[b]) + " " + g(grp.across[b].mean) + " " + g(grp.across[b].min) + " " +
                g(grp.across[b].max) + "\n";
    }
    f.data += "EOD\n";
    std::string c = config_color(labels, grp.key.config_label());
    cmd << (first ? "" : ", \\\n     ") << d << " using 1:3:4 with filledcurves lc rgb " << q(c)
        << " notitle, \\\n     " << d << " using 1:2 with lines lw 2 lc rgb " << q(c) << " title "
        << q(strf("%s (%zu instances)", grp.key.config_label().c_str(), grp.curves.size()));
    first = false;
  }
  cmd << "\n";
  f.commands = cmd.str();
  return f;
}

// Figure 3 panel: every instance's threshold per level and configuration, and the geometric
// mean; censored thresholds drawn as triangles.
void fig3_panel(Figure& f, const Analysis& a, const std::vector<size_t>& groups, BaselineKind kind,
                const std::string& title) {
  auto labels = config_labels(a);
  const size_t S = groups.size(), L = a.levels.size();
  double lo = 1e300, hi = -1e300;
  std::ostringstream cmd;
  std::string prefix = "$f3k" + std::to_string(kind_index(kind));
  for (size_t s = 0; s < S; ++s) {
    const Group& grp = a.groups[groups[s]];
    std::string pts, gm;
    const size_t n = grp.curves.size();
    for (size_t l = 0; l < L; ++l) {
      double center = double(l * (S + 1) + s + 1);
      for (size_t i = 0; i < n; ++i) {
        const Curve& c = a.curves[grp.curves[i]];
        const Threshold& t = by_kind(c.thresholds, kind)[l];
        const ThresholdInterval& iv = by_kind(c.intervals, kind)[l];
        double x = center + (n > 1 ? -0.32 + 0.64 * double(i) / double(n - 1) : 0.0);
        int pt = t.status == Threshold::Status::kWithin
                     ? 7
                     : (t.status == Threshold::Status::kAboveGrid ? 9 : 11);
        // x, threshold, point type, and the 95% interval's ends (error bars).
        pts += g(x) + " " + g(t.ber) + " " + std::to_string(pt) + " " + g(iv.lo.ber) + " " +
               g(iv.hi.ber) + "\n";
        lo = std::min({lo, t.ber, iv.lo.ber});
        hi = std::max({hi, t.ber, iv.hi.ber});
      }
      gm += g(center - 0.4) + " " + g(by_kind(grp.spread, kind)[l].stats.geo_mean) + "\n";
    }
    f.data += prefix + "p" + std::to_string(s) + " << EOD\n" + pts + "EOD\n";
    f.data += prefix + "m" + std::to_string(s) + " << EOD\n" + gm + "EOD\n";
  }
  auto r = log_range(lo, hi);
  cmd << "reset\nset title " << q(title) << "\nset ylabel \"threshold BER\"\n"
      << "set logscale y\nset format y \"%.0e\"\nset yrange [" << g(r.first) << ":" << g(r.second)
      << "]\nset grid ytics\nset key outside top center horizontal\nset border 3\n"
      << "set tics nomirror\nset xtics (";
  for (size_t l = 0; l < L; ++l) {
    cmd << (l ? ", " : "") << tic(level_label(a.levels[l])) << " "
        << g(double(l * (S + 1)) + (S + 1) / 2.0);
  }
  cmd << ") scale 0\nset xrange [0.3:" << g(double(L * (S + 1)) - 0.3) << "]\nplot ";
  for (size_t s = 0; s < S; ++s) {
    const Group& grp = a.groups[groups[s]];
    std::string c = config_color(labels, grp.key.config_label());
    std::string p = prefix + "p" + std::to_string(s), m = prefix + "m" + std::to_string(s);
    cmd << (s ? ", \\\n     " : "") << m
        << " using 1:2:(0.8):(0) with vectors nohead lw 2.5 lc rgb \"black\" "
        << (s == 0 ? "title \"geometric mean\"" : "notitle") << ", \\\n     " << p
        << " using 1:2:4:5 with yerrorbars ps 0 lw 0.7 lc rgb " << q(c) << " notitle, \\\n     "
        << p << " using 1:2:3 with points pt variable ps 0.7 lc rgb " << q(c)
        << " notitle, \\\n     NaN with points pt 7 lc rgb " << q(c) << " title "
        << q(grp.key.config_label());
  }
  cmd << "\n";
  f.commands += cmd.str();
}

Figure fig3(const Analysis& a, const std::vector<size_t>& groups, const std::string& subject,
            const std::string& id) {
  Figure f;
  f.id = id;
  f.title = "Figure 3. Per-instance thresholds" + (subject.empty() ? "" : ": " + subject);
  f.caption =
      "Each point is one instance's threshold BER at +X% degradation; left: relative to the "
      "instance's own clean error, right: relative to the worst clean error of all instances "
      "(absolute), with its 95% interval as an error bar (bootstrap over the trials; "
      "docs/analysis.md). Black bars: geometric means. Triangles: outside the BER grid (up: at "
      "least the highest BER, down: below the lowest).";
  f.width = 1300;
  f.commands = "set multiplot layout 1,2\n";
  fig3_panel(f, a, groups, BaselineKind::kRelative, "relative baseline (own clean error)");
  fig3_panel(f, a, groups, BaselineKind::kAbsolute, "absolute baseline (worst clean error)");
  f.commands += "unset multiplot\n";
  return f;
}

// Figure 4: geometric standard deviation of the thresholds, per configuration and level.
Figure fig4(const Analysis& a, const std::vector<size_t>& groups, const std::string& subject,
            const std::string& id) {
  Figure f;
  f.id = id;
  f.title =
      "Figure 4. Spread of thresholds across instances" + (subject.empty() ? "" : ": " + subject);
  f.caption =
      "Geometric standard deviation of the instances' threshold BERs (1 = every instance "
      "tolerates the same BER; 2 = a typical instance is within a factor 2 of the geometric "
      "mean). Left: relative baseline, right: absolute baseline. * marks values that include "
      "thresholds outside the BER grid (entered at its edge), which understate the spread.";
  f.width = 1300;
  auto labels = config_labels(a);
  std::vector<std::string> series, colors, clusters;
  for (size_t gi : groups) {
    series.push_back(a.groups[gi].key.config_label());
    colors.push_back(config_color(labels, series.back()));
  }
  for (double l : a.levels) clusters.push_back(level_label(l));
  f.commands = "set multiplot layout 1,2\n";
  for (BaselineKind kind : kBaselineKinds) {
    std::vector<std::vector<Bar>> bars(a.levels.size(), std::vector<Bar>(groups.size()));
    for (size_t l = 0; l < a.levels.size(); ++l) {
      for (size_t s = 0; s < groups.size(); ++s) {
        const Spread& sp = by_kind(a.groups[groups[s]].spread, kind)[l];
        double v = sp.stats.geo_std;
        bars[l][s] = {true, v, v, v, strf("%.2f%s", v, sp.below_grid + sp.above_grid ? "*" : "")};
      }
    }
    bar_panel(f, "f4k" + std::to_string(kind_index(kind)),
              std::string(to_string(kind)) + " baseline", "geometric std of threshold BER",
              clusters, series, colors, bars, false, 1.0, false);
  }
  f.commands += "unset multiplot\n";
  return f;
}

// Per configuration: every instance's mean error with its 95% confidence band over trials.
Figure curves(const Analysis& a, size_t gi) {
  const Group& grp = a.groups[gi];
  auto labels = config_labels(a);
  std::string c = config_color(labels, grp.key.config_label());
  const std::string tag = subject_tag(a, grp.key);
  Figure f;
  f.id = "curves_" + (tag.empty() ? "" : tag + "_") + slug(grp.key.config_label());
  f.title = "Error vs BER per instance: " + grp.key.config_label() +
            (tag.empty() ? "" : " (" + grp.key.subject() + ")");
  f.caption = strf(
      "%s: each line is one instance's mean error over its trials; the band around it is the "
      "95%% confidence interval of that mean (Student t over trials). %zu instances.",
      grp.key.config_label().c_str(), grp.curves.size());
  std::ostringstream cmd;
  cmd << "reset\nset title " << q(grp.key.subject() + ": " + grp.key.config_label())
      << "\nset xlabel \"bit error rate\"\nset ylabel \"test error\"\nset logscale x\n"
      << "set format x \"%.0e\"\nset key left top\nset grid\nset xrange [" << g(grp.bers.front())
      << ":" << g(grp.bers.back()) << "]\n"
      << "set style fill transparent solid 0.10 noborder\nplot ";
  for (size_t i = 0; i < grp.curves.size(); ++i) {
    const Curve& cv = a.curves[grp.curves[i]];
    std::string d = "$cv" + std::to_string(i);
    f.data += d + " << EOD\n";
    for (size_t b = 0; b < cv.bers.size(); ++b) {
      f.data += g(cv.bers[b]) + " " + g(cv.errors[b].mean) + " " + g(cv.errors[b].ci_low) + " " +
                g(cv.errors[b].ci_high) + "\n";
    }
    f.data += "EOD\n";
    cmd << (i ? ", \\\n     " : "") << d << " using 1:3:4 with filledcurves lc rgb " << q(c)
        << " notitle, \\\n     " << d << " using 1:2 with lines lw 1 lc rgb " << q(c) << " "
        << (i == 0 ? "title \"instances (mean, 95% CI)\"" : "notitle");
  }
  cmd << "\n";
  f.commands = cmd.str();
  return f;
}

// Per-target (per-layer) vulnerability: geometric-mean threshold per target set and level.
Figure targets_figure(const Analysis& a) {
  Figure f;
  f.id = "targets";
  f.title = "Per-target vulnerability";
  f.caption =
      "Campaigns that targeted parameter sets separately (for example one layer each): "
      "geometric-mean tolerable BER (relative baseline) per target set, configuration and "
      "level; whiskers: min and max instance. A lower bar marks a more vulnerable target.";
  auto labels = config_labels(a);
  std::vector<std::string> targets;
  for (size_t gi = 0; gi < a.groups.size(); ++gi) {
    if (!shown(a, gi)) continue;
    const Group& grp = a.groups[gi];
    if (std::find(targets.begin(), targets.end(), grp.key.targets) == targets.end()) {
      targets.push_back(grp.key.targets);
    }
  }
  std::vector<std::string> clusters;
  std::vector<std::vector<Bar>> bars;
  for (const auto& t : targets) {
    for (size_t l = 0; l < a.levels.size(); ++l) {
      clusters.push_back(t + " " + level_label(a.levels[l]));
      std::vector<Bar> row(labels.size());
      for (size_t gi = 0; gi < a.groups.size(); ++gi) {
        const Group& grp = a.groups[gi];
        if (grp.key.targets != t || !shown(a, gi)) continue;
        size_t s = label_index(labels, grp.key.config_label());
        const GeoStats& st = by_kind(grp.spread, BaselineKind::kRelative)[l].stats;
        row[s] = {true, st.geo_mean, st.min, st.max, ""};
      }
      bars.push_back(row);
    }
  }
  std::vector<std::string> colors;
  for (size_t s = 0; s < labels.size(); ++s) colors.push_back(color(s));
  f.width = std::max(900, int(clusters.size() * (labels.size() + 1) * 18 + 260));
  bar_panel(f, "ft", "Tolerable BER per target set", "bit error rate", clusters, labels, colors,
            bars, true, 0, true);
  // bar_panel starts with reset; rotate the labels after it.
  auto pos = f.commands.find("plot ");
  f.commands.insert(pos, "set xtics rotate by -30\nset bmargin 6\n");
  return f;
}

// Per-bit vulnerability of one format: threshold when only that bit may flip.
Figure bits_figure(const Analysis& a, const std::string& format, const std::string& tag,
                   const std::vector<size_t>& groups) {
  Figure f;
  f.id = "bits_" + slug(format) + (tag.empty() ? "" : "_" + tag);
  f.title = "Per-bit vulnerability: " + format + " (" + a.groups[groups[0]].key.subject() + ")";
  f.caption =
      "Campaigns in which only one bit of each " + format +
      " value could flip (all others protected): geometric-mean tolerable BER (relative "
      "baseline) per bit and level; whiskers: min and max instance. The most vulnerable bits "
      "have the lowest bars.";
  std::vector<size_t> order = groups;
  std::sort(order.begin(), order.end(),
            [&](size_t x, size_t y) { return a.groups[x].single_bit > a.groups[y].single_bit; });
  std::vector<std::string> clusters, series, colors;
  for (size_t l = 0; l < a.levels.size(); ++l) {
    series.push_back(level_label(a.levels[l]));
    colors.push_back(color(l + 3));
  }
  std::vector<std::vector<Bar>> bars;
  for (size_t gi : order) {
    const Group& grp = a.groups[gi];
    clusters.push_back(strf("bit %d (%s)", grp.single_bit, grp.bit_role.c_str()));
    std::vector<Bar> row;
    for (size_t l = 0; l < a.levels.size(); ++l) {
      const GeoStats& st = by_kind(grp.spread, BaselineKind::kRelative)[l].stats;
      row.push_back({true, st.geo_mean, st.min, st.max, ""});
    }
    bars.push_back(row);
  }
  f.width = std::max(900, int(clusters.size() * (series.size() + 1) * 18 + 260));
  bar_panel(f, "fb", "Tolerable BER when only one bit may flip: " + format, "bit error rate",
            clusters, series, colors, bars, true, 0, true);
  return f;
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

// Whether every curve of `groups` recorded its outcome classes (trials.csv from an Ares that
// counts them) at every BER.
bool has_outcomes(const Analysis& a, const std::vector<size_t>& groups) {
  for (size_t gi : groups) {
    for (size_t ci : a.groups[gi].curves) {
      const Curve& c = a.curves[ci];
      for (size_t b = 0; b < c.bers.size(); ++b) {
        if (!std::isfinite(c.changed_rate[b]) || !std::isfinite(c.nonfinite_rate[b])) return false;
      }
    }
  }
  return true;
}

// Outcome classes vs BER: per configuration, the mean over instances of the share of samples
// whose prediction the faults changed (silent corruption, solid) and of those with NaN or Inf
// logits (detectable, dashed).
Figure outcomes_figure(const Analysis& a, const std::vector<size_t>& groups,
                       const std::string& subject, const std::string& id) {
  Figure f;
  f.id = id;
  f.title = "Outcomes vs BER" + (subject.empty() ? "" : ": " + subject);
  f.caption =
      "Share of test samples per trial whose prediction the faults changed from the clean "
      "model's with finite logits (silent data corruption, solid) and whose logits turned NaN "
      "or Inf (detectable, dashed), mean over trials and instances. The other samples are "
      "masked. Per trial in trials.csv (changed, nonfinite, changed_correct).";
  auto labels = config_labels(a);
  std::ostringstream cmd;
  cmd << ber_axes(subject.empty() ? "Outcomes vs BER" : subject, "share of samples",
                  a.groups[groups[0]].bers)
      << "plot ";
  bool first = true;
  for (size_t gi : groups) {
    const Group& grp = a.groups[gi];
    const std::string d = "$out" + std::to_string(gi);
    f.data += d + " << EOD\n";
    for (size_t b = 0; b < grp.bers.size(); ++b) {
      double changed = 0, nonfinite = 0;
      for (size_t ci : grp.curves) {
        changed += a.curves[ci].changed_rate[b];
        nonfinite += a.curves[ci].nonfinite_rate[b];
      }
      const double n = double(grp.curves.size());
      f.data += g(grp.bers[b]) + " " + g(changed / n) + " " + g(nonfinite / n) + "\n";
    }
    f.data += "EOD\n";
    const std::string c = config_color(labels, grp.key.config_label());
    const std::string label = grp.key.config_label();
    cmd << (first ? "" : ", \\\n     ") << d << " using 1:2 with lines lw 2 lc rgb " << q(c)
        << " title " << q(label + " changed") << ", \\\n     " << d
        << " using 1:3 with lines lw 2 dt 2 lc rgb " << q(c) << " title "
        << q(label + " non-finite");
    first = false;
  }
  cmd << "\n";
  f.commands = cmd.str();
  return f;
}

namespace {

// Per BER, the geometric mean over the group's instances of their pooled perplexity
// (`median` false) or of their trials' median perplexity (true): +Inf when one is infinite,
// NaN when one was not recorded.
std::vector<double> group_perplexity(const Analysis& a, const Group& grp, bool median) {
  std::vector<double> out;
  for (size_t b = 0; b < grp.bers.size(); ++b) {
    double log_sum = 0;
    for (size_t ci : grp.curves) {
      const Curve& c = a.curves[ci];
      log_sum += std::log(median ? c.median_perplexity[b] : c.perplexity[b]);
    }
    out.push_back(std::exp(log_sum / double(grp.curves.size())));
  }
  return out;
}

bool any_finite(const std::vector<double>& v) {
  return std::any_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); });
}

// Whether every curve of `groups` recorded its trials' NLL (trials.csv from an Ares that
// writes it) at every BER, and some configuration has a finite perplexity to draw.
bool has_perplexity(const Analysis& a, const std::vector<size_t>& groups) {
  bool finite = false;
  for (size_t gi : groups) {
    const auto pooled = group_perplexity(a, a.groups[gi], false);
    if (std::any_of(pooled.begin(), pooled.end(), [](double p) { return std::isnan(p); }))
      return false;
    finite = finite || any_finite(pooled) || any_finite(group_perplexity(a, a.groups[gi], true));
  }
  return finite;
}

// Perplexity vs BER on a log axis: per configuration, the geometric mean over instances of
// each instance's pooled perplexity (solid) and of its trials' median perplexity (dashed), as
// in curves.csv. A BER where the value is infinite has no point; a series without a finite
// point is not drawn (gnuplot refuses a plot of undefined points only).
Figure perplexity_figure(const Analysis& a, const std::vector<size_t>& groups,
                         const std::string& subject, const std::string& id) {
  Figure f;
  f.id = id;
  f.title = "Perplexity vs BER" + (subject.empty() ? "" : ": " + subject);
  f.caption =
      "Perplexity of the labels under the faulty model (next-token perplexity for a language "
      "model). Solid: per instance exp of the mean over trials of their mean negative "
      "log-likelihood (the trials pooled: infinite once one trial's logits turned NaN or Inf); "
      "dashed: per instance the median over trials of their perplexity (what most trials "
      "saw); geometric means over instances. A BER without a point is infinite there. Per "
      "trial in trials.csv (nll, perplexity).";
  auto labels = config_labels(a);
  std::ostringstream cmd;
  cmd << ber_axes(subject.empty() ? "Perplexity vs BER" : subject, "perplexity",
                  a.groups[groups[0]].bers)
      << "set logscale y\nplot ";
  bool first = true;
  for (size_t gi : groups) {
    const Group& grp = a.groups[gi];
    const auto pooled = group_perplexity(a, grp, false);
    const auto median = group_perplexity(a, grp, true);
    const std::string d = "$ppl" + std::to_string(gi);
    f.data += d + " << EOD\n";
    const auto value = [](double p) { return std::isfinite(p) ? g(p) : std::string("NaN"); };
    for (size_t b = 0; b < grp.bers.size(); ++b) {
      f.data += g(grp.bers[b]) + " " + value(pooled[b]) + " " + value(median[b]) + "\n";
    }
    f.data += "EOD\n";
    const std::string c = config_color(labels, grp.key.config_label());
    const std::string label = grp.key.config_label();
    if (any_finite(pooled)) {
      cmd << (first ? "" : ", \\\n     ") << d << " using 1:2 with linespoints lw 2 pt 7 lc rgb "
          << q(c) << " title " << q(label + " pooled");
      first = false;
    }
    if (any_finite(median)) {
      cmd << (first ? "" : ", \\\n     ") << d
          << " using 1:3 with linespoints lw 2 dt 2 pt 6 lc rgb " << q(c) << " title "
          << q(label + " median");
      first = false;
    }
  }
  cmd << "\n";
  f.commands = cmd.str();
  return f;
}

}  // namespace

std::vector<Figure> make_figures(const Analysis& a) {
  std::vector<Figure> figs;
  if (subjects(a).empty()) return figs;
  figs.push_back(fig1(a));
  auto subs = subjects(a);
  for (const auto& [subject, groups] : subs) {
    const std::string tag = subject_tag(a, a.groups[groups[0]].key);
    std::string suffix = tag.empty() ? "" : "_" + tag;
    std::string shown = subs.size() > 1 ? subject : "";
    figs.push_back(fig2(a, groups, subject, "fig2_error_vs_ber" + suffix));
    figs.push_back(fig3(a, groups, shown, "fig3_thresholds" + suffix));
    figs.push_back(fig4(a, groups, shown, "fig4_geo_std" + suffix));
  }
  for (const auto& sub : subs) {
    for (size_t gi : sub.second) figs.push_back(curves(a, gi));
  }
  for (const auto& [subject, groups] : subs) {
    if (!has_outcomes(a, groups)) continue;  // campaigns from before the outcome classes
    const std::string tag = subject_tag(a, a.groups[groups[0]].key);
    figs.push_back(outcomes_figure(a, groups, subs.size() > 1 ? subject : "",
                                   "outcomes_vs_ber" + (tag.empty() ? "" : "_" + tag)));
  }
  for (const auto& [subject, groups] : subs) {
    if (!has_perplexity(a, groups)) continue;  // campaigns from before the NLL
    const std::string tag = subject_tag(a, a.groups[groups[0]].key);
    figs.push_back(perplexity_figure(a, groups, subs.size() > 1 ? subject : "",
                                     "perplexity_vs_ber" + (tag.empty() ? "" : "_" + tag)));
  }
  if (a.per_target) figs.push_back(targets_figure(a));
  if (a.per_bit) {
    std::map<std::pair<std::string, std::string>, std::vector<size_t>> by_format;
    std::vector<std::pair<std::string, std::string>> formats;  // (format, subject tag)
    for (size_t gi = 0; gi < a.groups.size(); ++gi) {
      const Group& grp = a.groups[gi];
      if (grp.single_bit < 0) continue;
      std::pair<std::string, std::string> key{grp.key.format, subject_tag(a, grp.key)};
      if (!by_format.count(key)) formats.push_back(key);
      by_format[key].push_back(gi);
    }
    for (const auto& k : formats) figs.push_back(bits_figure(a, k.first, k.second, by_format[k]));
  }
  return figs;
}

std::string draw_figures(std::vector<Figure>& figures, const std::string& dir,
                         const std::string& gnuplot, int* failed) {
  *failed = 0;
  if (figures.empty()) return "";
  std::string probe = "command -v " + shell_quote(gnuplot) + " >/dev/null 2>&1";
  if (std::system(probe.c_str()) != 0) {
    *failed = int(figures.size());
    return "gnuplot not found (install Debian's gnuplot-nox); figures are unavailable";
  }
  // pngcairo draws antialiased, translucent bands; the libgd png terminal is the fallback.
  std::string png_term = "pngcairo";
  std::string probe_cairo = shell_quote(gnuplot) + " -e 'set terminal pngcairo' >/dev/null 2>&1";
  if (std::system(probe_cairo.c_str()) != 0) png_term = "png";
  std::string problem;
  for (Figure& f : figures) {
    const std::string size = std::to_string(f.width) + "," + std::to_string(f.height);
    std::string script = "# " + f.title + "\n# Drawn by Ares; run 'gnuplot " + f.id +
                         ".gp' in this directory to redraw.\n" + f.data;
    script += "set terminal " + png_term + " size " + size +
              " noenhanced font \"DejaVu Sans,10\" background rgb \"white\"\nset output " +
              q(f.id + ".png") + "\n" + f.commands;
    script += "set terminal svg size " + size +
              " noenhanced font \"DejaVu Sans,10\" background rgb \"white\"\nset output " +
              q(f.id + ".svg") + "\n" + f.commands + "unset output\n";
    write_file_atomic((fs::path(dir) / (f.id + ".gp")).string(), script);
    std::error_code ec;
    fs::remove(fs::path(dir) / (f.id + ".png"), ec);
    fs::remove(fs::path(dir) / (f.id + ".svg"), ec);
    std::string cmd = "cd " + shell_quote(dir) + " && " + shell_quote(gnuplot) + " " +
                      shell_quote(f.id + ".gp") + " > " + shell_quote(f.id + ".log") + " 2>&1";
    int rc = std::system(cmd.c_str());
    f.drawn = rc == 0 && fs::is_regular_file(fs::path(dir) / (f.id + ".png")) &&
              fs::is_regular_file(fs::path(dir) / (f.id + ".svg")) &&
              fs::file_size(fs::path(dir) / (f.id + ".svg"), ec) > 0;
    if (f.drawn) {
      fs::remove(fs::path(dir) / (f.id + ".log"), ec);
    } else {
      ++*failed;
      if (problem.empty()) {
        problem = "gnuplot failed on " + (fs::path(dir) / (f.id + ".gp")).string() + " (see " +
                  f.id + ".log)";
      }
    }
  }
  return problem;
}

}  // namespace ares::analysis::detail
