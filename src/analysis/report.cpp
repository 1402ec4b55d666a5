#include "ares/analysis/report.h"

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "ares/analysis/csv.h"
#include "ares/common/error.h"
#include "ares/common/version.h"
#include "detail/document.h"
#include "detail/report_internal.h"

namespace ares::analysis {
namespace detail {

namespace fs = std::filesystem;

std::string strf(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  va_list ap2;
  va_copy(ap2, ap);
  int n = std::vsnprintf(nullptr, 0, fmt, ap);
  va_end(ap);
  std::string out(size_t(std::max(n, 0)) + 1, '\0');
  std::vsnprintf(out.data(), out.size(), fmt, ap2);
  va_end(ap2);
  out.resize(size_t(std::max(n, 0)));
  return out;
}

std::string sci(double v) { return strf("%.2e", v); }

std::string slug(const std::string& s) {
  std::string out;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-';
    out += ok ? c : '_';
  }
  return out;
}

bool shown(const Analysis& a, size_t gi) {
  const Group& g = a.groups[gi];
  if (g.single_bit < 0) return true;
  for (const auto& o : a.groups) {
    if (o.single_bit < 0 && o.key.subject() == g.key.subject()) return false;
  }
  return true;
}

std::vector<std::pair<std::string, std::vector<size_t>>> subjects(const Analysis& a) {
  std::vector<std::pair<std::string, std::vector<size_t>>> out;
  for (size_t gi = 0; gi < a.groups.size(); ++gi) {
    if (!shown(a, gi)) continue;
    std::string s = a.groups[gi].key.subject();
    auto it = std::find_if(out.begin(), out.end(), [&](const auto& p) { return p.first == s; });
    if (it == out.end()) {
      out.push_back({s, {gi}});
    } else {
      it->second.push_back(gi);
    }
  }
  return out;
}

std::vector<std::string> config_labels(const Analysis& a) {
  std::vector<std::string> out;
  for (const auto& sub : subjects(a)) {
    for (size_t gi : sub.second) {
      const std::string l = a.groups[gi].key.config_label();
      if (std::find(out.begin(), out.end(), l) == out.end()) out.push_back(l);
    }
  }
  return out;
}

std::string subject_tag(const Analysis& a, const GroupKey& key) {
  bool models = false, datasets = false, targets = false, sites = false;
  for (const auto& g : a.groups) {
    models = models || g.key.model != key.model;
    datasets = datasets || g.key.dataset != key.dataset;
    targets = targets || g.key.targets != key.targets;
    sites = sites || g.key.site != key.site;
  }
  std::vector<std::string> parts;
  if (models) parts.push_back(key.model);
  if (datasets) parts.push_back(fs::path(key.dataset).filename().string());
  if (targets) {
    std::string t;
    for (char c : key.targets) t += c == '*' ? std::string() : std::string(1, c);
    while (!t.empty() && (t.back() == '.' || t.back() == ',')) t.pop_back();
    while (!t.empty() && (t.front() == '.' || t.front() == ',')) t.erase(t.begin());
    parts.push_back(t.empty() ? "all" : t);
  }
  if (sites) parts.push_back(key.site);
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "_") + p;
  return slug(out);
}

std::string level_label(double pct) { return strf("+%g%%", pct); }

}  // namespace detail

namespace {

namespace fs = std::filesystem;
using detail::by_kind;
using detail::kBaselineKinds;
using detail::level_label;
using detail::sci;
using detail::strf;
using detail::Table;

std::string g17(double v) { return strf("%.17g", v); }

// Where the figures lie, relative to the report's directory (and so to its pages).
const char* kFigureDir = "figures";

std::string threshold_cell(const Threshold& t) { return t.to_string(); }

std::string gm_cell(const Spread& s) {
  std::string v = sci(s.stats.geo_mean);
  if (s.above_grid == s.stats.n) return ">=" + v;
  if (s.below_grid == s.stats.n) return "<" + v;
  std::string out = v + " [" + sci(s.stats.min) + ", " + sci(s.stats.max) + "]";
  if (s.below_grid || s.above_grid) out += " *";
  return out;
}

std::string key_columns_csv(const GroupKey& k) {
  return csv_field(k.model) + "," + csv_field(k.dataset) + "," + csv_field(k.targets) + "," +
         csv_field(k.site) + "," + csv_field(k.format) + "," + csv_field(k.protection);
}

const char* kKeyHeader = "model,dataset,targets,site,format,protection";

std::string basename_of(const std::string& path) {
  return path.empty() ? std::string("-") : fs::path(path).filename().string();
}

// ---- CSV tables --------------------------------------------------------------------------

std::string curves_csv(const Analysis& a) {
  std::ostringstream os;
  os << "campaign," << kKeyHeader
     << ",instance,checkpoint,ber_index,ber,trials,mean_error,min_error,max_error,stddev,"
        "ci95_low,ci95_high,changed_rate,nonfinite_rate,perplexity,"
        "median_perplexity\n";
  for (const auto& g : a.groups) {
    for (size_t ci : g.curves) {
      const Curve& c = a.curves[ci];
      for (size_t b = 0; b < c.bers.size(); ++b) {
        const ErrorStats& e = c.errors[b];
        os << c.campaign << ',' << key_columns_csv(g.key) << ',' << c.instance << ','
           << csv_field(c.checkpoint) << ',' << b << ',' << g17(c.bers[b]) << ',' << e.n << ','
           << g17(e.mean) << ',' << g17(e.min) << ',' << g17(e.max) << ',' << g17(e.stddev) << ','
           << g17(e.ci_low) << ',' << g17(e.ci_high) << ',' << g17(c.changed_rate[b]) << ','
           << g17(c.nonfinite_rate[b]) << ',' << g17(c.perplexity[b]) << ','
           << g17(c.median_perplexity[b]) << '\n';
      }
    }
  }
  return os.str();
}

std::string thresholds_csv(const Analysis& a) {
  std::ostringstream os;
  os << "campaign," << kKeyHeader
     << ",instance,checkpoint,baseline,baseline_error,level_pct,ber,status,ber_lo,status_lo,"
        "ber_hi,status_hi\n";
  for (const auto& g : a.groups) {
    for (size_t ci : g.curves) {
      const Curve& c = a.curves[ci];
      for (BaselineKind kind : kBaselineKinds) {
        double base = kind == BaselineKind::kRelative ? c.baseline_error : g.worst_baseline;
        for (size_t l = 0; l < a.levels.size(); ++l) {
          const Threshold& t = by_kind(c.thresholds, kind)[l];
          os << c.campaign << ',' << key_columns_csv(g.key) << ',' << c.instance << ','
             << csv_field(c.checkpoint) << ',' << to_string(kind) << ',' << g17(base) << ','
             << g17(a.levels[l]) << ',' << g17(t.ber) << ',' << to_string(t.status);
          const ThresholdInterval& iv = by_kind(c.intervals, kind)[l];
          os << ',' << g17(iv.lo.ber) << ',' << to_string(iv.lo.status) << ',' << g17(iv.hi.ber)
             << ',' << to_string(iv.hi.status) << '\n';
        }
      }
    }
  }
  return os.str();
}

std::string spread_csv(const Analysis& a) {
  std::ostringstream os;
  os << kKeyHeader
     << ",baseline,level_pct,instances,geo_mean,geo_std,min,max,max_min_ratio,below_grid,"
        "above_grid,observed_log_var,sampling_log_var,between_log_var,corrected_geo_std,"
        "corrected_geo_std_lo,corrected_geo_std_hi,cochran_q,p_value,instances_differ\n";
  for (const auto& g : a.groups) {
    for (BaselineKind kind : kBaselineKinds) {
      for (size_t l = 0; l < a.levels.size(); ++l) {
        const Spread& s = by_kind(g.spread, kind)[l];
        os << key_columns_csv(g.key) << ',' << to_string(kind) << ',' << g17(a.levels[l]) << ','
           << s.stats.n << ',' << g17(s.stats.geo_mean) << ',' << g17(s.stats.geo_std) << ','
           << g17(s.stats.min) << ',' << g17(s.stats.max) << ',' << g17(s.stats.max_min_ratio)
           << ',' << s.below_grid << ',' << s.above_grid << ',' << g17(s.split.observed) << ','
           << g17(s.split.within) << ',' << g17(s.split.between) << ','
           << g17(s.split.corrected_geo_std) << ',' << g17(s.split.corrected_lo) << ','
           << g17(s.split.corrected_hi) << ',' << g17(s.split.q) << ',' << g17(s.split.p_value)
           << ',' << (s.split.significant() ? 1 : 0) << '\n';
      }
    }
  }
  return os.str();
}

// The geometric std of `g`'s thresholds over that of its reference `r` at one level: below 1,
// the encoding spreads less.
double gsd_ratio(const Group& g, const Group& r, BaselineKind kind, size_t level) {
  return by_kind(g.spread, kind)[level].stats.geo_std /
         by_kind(r.spread, kind)[level].stats.geo_std;
}

std::string ratios_csv(const Analysis& a) {
  std::ostringstream os;
  os << kKeyHeader
     << ",reference_format,reference_protection,baseline,level_pct,pairs,ratio_geo_mean,"
        "ratio_min,ratio_max,geo_std_ratio,crossing_ratio,crossing_ratio_lo,crossing_ratio_hi,"
        "crossing_ratio_censored,paired\n";
  for (const auto& g : a.groups) {
    if (g.reference < 0) continue;
    const Group& r = a.groups[size_t(g.reference)];
    for (BaselineKind kind : kBaselineKinds) {
      for (size_t l = 0; l < a.levels.size(); ++l) {
        const Ratio& q = by_kind(g.ratio, kind)[l];
        os << key_columns_csv(g.key) << ',' << csv_field(r.key.format) << ','
           << csv_field(r.key.protection) << ',' << to_string(kind) << ',' << g17(a.levels[l])
           << ',' << q.pairs << ',' << g17(q.geo_mean) << ',' << g17(q.min) << ',' << g17(q.max)
           << ',' << g17(gsd_ratio(g, r, kind, l)) << ',' << g17(q.interval.ratio) << ','
           << g17(q.interval.lo) << ',' << g17(q.interval.hi) << ','
           << (q.interval.censored ? 1 : 0) << ',' << (q.paired ? 1 : 0) << '\n';
      }
    }
  }
  return os.str();
}

std::string instances_csv(const Analysis& a) {
  std::ostringstream os;
  os << "campaign," << kKeyHeader
     << ",instance,checkpoint,float_error,baseline_error,worst_baseline_error,values,bits\n";
  for (const auto& g : a.groups) {
    for (size_t ci : g.curves) {
      const Curve& c = a.curves[ci];
      os << c.campaign << ',' << key_columns_csv(g.key) << ',' << c.instance << ','
         << csv_field(c.checkpoint) << ',' << g17(c.float_error) << ',' << g17(c.baseline_error)
         << ',' << g17(g.worst_baseline) << ',' << c.values << ',' << c.bits << '\n';
    }
  }
  return os.str();
}

std::string bits_csv(const Analysis& a) {
  std::ostringstream os;
  os << kKeyHeader << ",bit,role,level_pct,instances,geo_mean,geo_std,min,max\n";
  for (const auto& g : a.groups) {
    if (g.single_bit < 0) continue;
    for (size_t l = 0; l < a.levels.size(); ++l) {
      const GeoStats& s = by_kind(g.spread, BaselineKind::kRelative)[l].stats;
      os << key_columns_csv(g.key) << ',' << g.single_bit << ',' << g.bit_role << ','
         << g17(a.levels[l]) << ',' << s.n << ',' << g17(s.geo_mean) << ',' << g17(s.geo_std) << ','
         << g17(s.min) << ',' << g17(s.max) << '\n';
    }
  }
  return os.str();
}

// ---- tables and findings for people ------------------------------------------------------

std::vector<std::string> level_headers(const Analysis& a, const std::string& prefix = "") {
  std::vector<std::string> h;
  for (double l : a.levels) h.push_back(prefix + level_label(l));
  return h;
}

double mean_baseline(const Analysis& a, const Group& g) {
  double s = 0;
  for (size_t ci : g.curves) s += a.curves[ci].baseline_error;
  return g.curves.empty() ? 0 : s / double(g.curves.size());
}

Table threshold_table(const Analysis& a, const std::vector<size_t>& groups, BaselineKind kind,
                      const std::string& subject) {
  const bool relative = kind == BaselineKind::kRelative;
  Table t;
  t.title = std::string("Tolerable BER, ") + to_string(kind) + " baseline" +
            (subject.empty() ? "" : ": " + subject);
  t.note = relative ? "Geometric mean over instances [min, max] of the highest BER whose mean "
                      "error stays within +X% of the instance's own clean error."
                    : "The same against the worst clean error of all instances of the "
                      "configuration.";
  t.note +=
      " * marks statistics that include thresholds outside the BER grid (entered at the "
      "grid's edge).";
  t.header = {"configuration", "instances", relative ? "clean error (mean)" : "worst clean error"};
  for (auto& h : level_headers(a)) t.header.push_back(h);
  for (size_t gi : groups) {
    const Group& g = a.groups[gi];
    std::vector<std::string> row = {
        g.key.config_label(), std::to_string(g.curves.size()),
        strf("%.4f", relative ? mean_baseline(a, g) : g.worst_baseline)};
    for (size_t l = 0; l < a.levels.size(); ++l) row.push_back(gm_cell(by_kind(g.spread, kind)[l]));
    t.rows.push_back(row);
  }
  return t;
}

Table spread_table(const Analysis& a, const std::vector<size_t>& groups,
                   const std::string& subject) {
  Table t;
  t.title = "Spread across instances" + (subject.empty() ? "" : ": " + subject);
  t.note =
      "Geometric standard deviation of the threshold BERs / max-min ratio. Smaller is a "
      "more predictable encoding.";
  t.header = {"configuration", "baseline"};
  for (auto& h : level_headers(a)) t.header.push_back(h);
  for (BaselineKind kind : kBaselineKinds) {
    for (size_t gi : groups) {
      const Group& g = a.groups[gi];
      std::vector<std::string> row = {g.key.config_label(), to_string(kind)};
      for (size_t l = 0; l < a.levels.size(); ++l) {
        const Spread& s = by_kind(g.spread, kind)[l];
        std::string cell = strf("%.2f / %.1fx", s.stats.geo_std, s.stats.max_min_ratio);
        if (s.below_grid || s.above_grid) {
          cell += strf(" (%d below, %d above grid)", s.below_grid, s.above_grid);
        }
        row.push_back(cell);
      }
      t.rows.push_back(row);
    }
  }
  return t;
}

Table ratio_table(const Analysis& a, const std::vector<size_t>& groups,
                  const std::string& subject) {
  Table t;
  t.title = "Encoding effect" + (subject.empty() ? "" : ": " + subject);
  t.note =
      "Threshold of each configuration over that of its two's-complement, unprotected "
      "counterpart, per instance: geometric mean [min, max] over instances of the grid "
      "thresholds' ratios; the ratio of the interpolated crossings with its 95% bootstrap "
      "interval over trials (\"paired\": the encodings saw the same faulty cells per trial; "
      "\"bound\": a crossing lies at the grid's end); then the ratio of the geometric "
      "standard deviations (below 1: a smaller spread).";
  t.header = {"configuration", "reference", "baseline"};
  for (auto& h : level_headers(a)) t.header.push_back(h);
  for (BaselineKind kind : kBaselineKinds) {
    for (size_t gi : groups) {
      const Group& g = a.groups[gi];
      if (g.reference < 0) continue;
      const Group& r = a.groups[size_t(g.reference)];
      std::vector<std::string> row = {g.key.config_label(), r.key.config_label(), to_string(kind)};
      for (size_t l = 0; l < a.levels.size(); ++l) {
        const Ratio& q = by_kind(g.ratio, kind)[l];
        if (q.pairs == 0) {
          row.push_back("-");
          continue;
        }
        row.push_back(strf("x%.2f [%.2f, %.2f]; crossings x%.2f, CI %.2f-%.2f%s%s; gsd x%.2f",
                           q.geo_mean, q.min, q.max, q.interval.ratio, q.interval.lo, q.interval.hi,
                           q.paired ? " paired" : "", q.interval.censored ? " (bound)" : "",
                           gsd_ratio(g, r, kind, l)));
      }
      t.rows.push_back(row);
    }
  }
  return t;
}

Table per_instance_table(const Analysis& a, const std::vector<size_t>& groups, BaselineKind kind,
                         const std::string& subject) {
  Table t;
  t.title = std::string("Per-instance thresholds, ") + to_string(kind) + " baseline" +
            (subject.empty() ? "" : ": " + subject);
  t.note =
      "Each threshold with its 95% interval [lo, hi] (bootstrap over the trials, "
      "monotone fit; docs/analysis.md).";
  t.header = {"instance", "checkpoint"};
  for (size_t gi : groups) {
    for (double l : a.levels)
      t.header.push_back(a.groups[gi].key.config_label() + " " + level_label(l));
  }
  // Rows: the instances of the first group; other groups' curves matched by (campaign, inst).
  std::vector<std::pair<int, int>> ids;
  std::vector<std::string> ckpts;
  for (size_t gi : groups) {
    for (size_t ci : a.groups[gi].curves) {
      std::pair<int, int> id{a.curves[ci].campaign, a.curves[ci].instance};
      if (std::find(ids.begin(), ids.end(), id) == ids.end()) {
        ids.push_back(id);
        ckpts.push_back(a.curves[ci].checkpoint);
      }
    }
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    std::vector<std::string> row = {
        (a.curves.empty() || ids[i].first == 0 ? "" : std::to_string(ids[i].first) + "/") +
            std::to_string(ids[i].second),
        basename_of(ckpts[i])};
    for (size_t gi : groups) {
      const Curve* c = nullptr;
      for (size_t ci : a.groups[gi].curves) {
        if (a.curves[ci].campaign == ids[i].first && a.curves[ci].instance == ids[i].second) {
          c = &a.curves[ci];
        }
      }
      for (size_t l = 0; l < a.levels.size(); ++l) {
        if (!c) {
          row.push_back("-");
          continue;
        }
        const ThresholdInterval& iv = by_kind(c->intervals, kind)[l];
        row.push_back(threshold_cell(by_kind(c->thresholds, kind)[l]) + " [" +
                      threshold_cell(iv.lo) + ", " + threshold_cell(iv.hi) + "]");
      }
    }
    t.rows.push_back(row);
  }
  return t;
}

Table instances_table(const Analysis& a, const std::vector<size_t>& groups,
                      const ReportOptions& opts, const std::string& subject) {
  Table t;
  t.title = "Instances" + (subject.empty() ? "" : ": " + subject);
  t.note =
      "Clean errors: the float model, then each configuration's quantized model (the "
      "relative baseline). Training metadata from the checkpoints where readable.";
  static const char* kMeta[] = {"seed", "epochs", "batch", "learning_rate", "train_limit"};
  std::vector<std::string> meta_keys;
  for (const char* k : kMeta) {
    for (const auto& [path, m] : opts.checkpoint_meta) {
      (void)path;
      if (m.count(k)) {
        meta_keys.push_back(k);
        break;
      }
    }
  }
  t.header = {"instance", "checkpoint"};
  for (const auto& k : meta_keys) t.header.push_back(k);
  t.header.push_back("float error");
  for (size_t gi : groups) t.header.push_back(a.groups[gi].key.config_label());
  if (groups.empty()) return t;
  for (size_t ci0 : a.groups[groups[0]].curves) {
    const Curve& c0 = a.curves[ci0];
    std::vector<std::string> row = {std::to_string(c0.instance), basename_of(c0.checkpoint)};
    auto it = opts.checkpoint_meta.find(c0.checkpoint);
    for (const auto& k : meta_keys) {
      std::string v = "-";
      if (it != opts.checkpoint_meta.end() && it->second.count(k)) v = it->second.at(k);
      row.push_back(v);
    }
    row.push_back(std::isnan(c0.float_error) ? "-" : strf("%.4f", c0.float_error));
    for (size_t gi : groups) {
      std::string v = "-";
      for (size_t ci : a.groups[gi].curves) {
        if (a.curves[ci].campaign == c0.campaign && a.curves[ci].instance == c0.instance) {
          v = strf("%.4f", a.curves[ci].baseline_error);
        }
      }
      row.push_back(v);
    }
    t.rows.push_back(row);
  }
  return t;
}

Table targets_table(const Analysis& a) {
  Table t;
  t.title = "Per-target vulnerability";
  t.note =
      "Geometric-mean tolerable BER [min, max] over instances, relative baseline, per "
      "target set (campaigns that targeted parameters separately).";
  t.header = {"subject", "targets", "configuration", "values"};
  for (auto& h : level_headers(a)) t.header.push_back(h);
  for (size_t gi = 0; gi < a.groups.size(); ++gi) {
    if (!detail::shown(a, gi)) continue;
    const Group& g = a.groups[gi];
    std::vector<std::string> row = {
        g.key.model + (g.key.dataset.empty() ? "" : " on " + g.key.dataset), g.key.targets,
        g.key.config_label(),
        g.curves.empty() ? "-" : std::to_string(a.curves[g.curves[0]].values)};
    for (size_t l = 0; l < a.levels.size(); ++l)
      row.push_back(gm_cell(by_kind(g.spread, BaselineKind::kRelative)[l]));
    t.rows.push_back(row);
  }
  return t;
}

Table bits_table(const Analysis& a) {
  Table t;
  t.title = "Per-bit vulnerability";
  t.note =
      "Configurations in which exactly one bit of each value may flip: geometric-mean "
      "tolerable BER [min, max] over instances, relative baseline.";
  t.header = {"subject", "format", "bit", "role"};
  for (auto& h : level_headers(a)) t.header.push_back(h);
  std::vector<const Group*> gs;
  for (const auto& g : a.groups) {
    if (g.single_bit >= 0) gs.push_back(&g);
  }
  std::stable_sort(gs.begin(), gs.end(), [](const Group* x, const Group* y) {
    return std::tie(x->key.format, y->single_bit) < std::tie(y->key.format, x->single_bit);
  });
  for (const Group* g : gs) {
    std::vector<std::string> row = {g->key.subject(), g->key.format, std::to_string(g->single_bit),
                                    g->bit_role};
    for (size_t l = 0; l < a.levels.size(); ++l)
      row.push_back(gm_cell(by_kind(g->spread, BaselineKind::kRelative)[l]));
    t.rows.push_back(row);
  }
  return t;
}

// "x1.33 / x3.09 / x2.33 / x2.33" over the levels.
std::string per_level(const std::vector<double>& v, const char* fmt) {
  std::string out;
  for (size_t l = 0; l < v.size(); ++l) out += (l ? " / " : "") + strf(fmt, v[l]);
  return out;
}

// Findings in plain sentences: the encoding effect and the spread, per subject.
std::vector<std::string> findings(const Analysis& a) {
  std::vector<std::string> out;
  std::string levels;
  for (size_t l = 0; l < a.levels.size(); ++l)
    levels += (l ? " / " : "") + level_label(a.levels[l]);
  auto subs = detail::subjects(a);
  for (const auto& [subject, groups] : subs) {
    std::string pre = subs.size() > 1 ? subject + ": " : "";
    // Encoding effect on the threshold.
    for (size_t gi : groups) {
      const Group& g = a.groups[gi];
      if (g.reference < 0) continue;
      const Group& r = a.groups[size_t(g.reference)];
      std::vector<double> rel, abs;
      std::string crossings;
      bool paired = true;
      for (size_t l = 0; l < a.levels.size(); ++l) {
        const Ratio& q = by_kind(g.ratio, BaselineKind::kRelative)[l];
        rel.push_back(q.geo_mean);
        abs.push_back(by_kind(g.ratio, BaselineKind::kAbsolute)[l].geo_mean);
        crossings += strf("%sx%.2f (%.2f-%.2f%s)", l ? " / " : "", q.interval.ratio, q.interval.lo,
                          q.interval.hi, q.interval.censored ? ", bound" : "");
        paired = paired && q.paired;
      }
      out.push_back(
          strf("%sEncoding: %s tolerates %s the BER of %s at %s (geometric mean of "
               "the per-instance ratios, relative baseline; absolute baseline: %s). Ratio of the "
               "interpolated crossings with its 95%% interval over %s trials: %s.",
               pre.c_str(), g.key.config_label().c_str(), per_level(rel, "x%.2f").c_str(),
               r.key.config_label().c_str(), levels.c_str(), per_level(abs, "x%.2f").c_str(),
               paired ? "paired" : "independent", crossings.c_str()));
    }
    // Spread across instances.
    for (BaselineKind kind : kBaselineKinds) {
      std::string parts;
      double worst = 0;
      std::string worst_at;
      for (size_t gi : groups) {
        const Group& g = a.groups[gi];
        std::vector<double> gsd;
        for (size_t l = 0; l < a.levels.size(); ++l) {
          const GeoStats& st = by_kind(g.spread, kind)[l].stats;
          gsd.push_back(st.geo_std);
          if (st.max_min_ratio > worst) {
            worst = st.max_min_ratio;
            worst_at = g.key.config_label() + " at " + level_label(a.levels[l]);
          }
        }
        parts += (parts.empty() ? "" : "; ") + g.key.config_label() + " " + per_level(gsd, "%.2f");
      }
      size_t n = groups.empty() ? 0 : a.groups[groups[0]].curves.size();
      out.push_back(strf(
          "%sSpread over %zu instances (%s baseline): geometric std of the "
          "thresholds at %s: %s. Largest max/min ratio %.1fx (%s).",
          pre.c_str(), n, to_string(kind), levels.c_str(), parts.c_str(), worst, worst_at.c_str()));
    }
    // Is the spread real? Per configuration (relative baseline): the spread of the fitted
    // crossings against the sampling noise of each (interval.h, SpreadSplit).
    for (size_t gi : groups) {
      const Group& g = a.groups[gi];
      if (g.curves.size() < 2) continue;
      std::string real, noise;
      for (size_t l = 0; l < a.levels.size(); ++l) {
        const SpreadSplit& sp = by_kind(g.spread, BaselineKind::kRelative)[l].split;
        if (sp.significant()) {
          real += strf("%s%s (corrected geometric std %.3g [%.3g, %.3g], p = %.2g)",
                       real.empty() ? "" : ", ", level_label(a.levels[l]).c_str(),
                       sp.corrected_geo_std, sp.corrected_lo, sp.corrected_hi, sp.p_value);
        } else {
          noise += strf("%s%s (p = %.2g)", noise.empty() ? "" : ", ",
                        level_label(a.levels[l]).c_str(), sp.p_value);
        }
      }
      std::string text = pre + g.key.config_label() + ": ";
      if (!real.empty()) text += "the instances differ beyond sampling noise at " + real;
      if (!real.empty() && !noise.empty()) text += "; ";
      if (!noise.empty()) {
        text += "the spread at " + noise +
                " is within what the trials' sampling noise alone would give";
      }
      out.push_back(text + " (relative baseline; docs/analysis.md, \"Is the spread real\").");
    }
    // Verdict per comparison.
    for (size_t gi : groups) {
      const Group& g = a.groups[gi];
      if (g.reference < 0) continue;
      const Group& r = a.groups[size_t(g.reference)];
      std::string parts;
      for (BaselineKind kind : kBaselineKinds) {
        int higher = 0, tighter = 0;
        for (size_t l = 0; l < a.levels.size(); ++l) {
          const Ratio& q = by_kind(g.ratio, kind)[l];
          higher += q.pairs > 0 && q.geo_mean > 1.0;
          tighter +=
              by_kind(g.spread, kind)[l].stats.geo_std < by_kind(r.spread, kind)[l].stats.geo_std;
        }
        parts += strf("%s%d of %zu levels higher threshold, %d of %zu smaller spread (%s)",
                      parts.empty() ? "" : "; ", higher, a.levels.size(), tighter, a.levels.size(),
                      to_string(kind));
      }
      out.push_back(strf("%s%s vs %s: %s.", pre.c_str(), g.key.config_label().c_str(),
                         r.key.config_label().c_str(), parts.c_str()));
    }
    int censored = 0;
    for (size_t gi : groups) {
      for (BaselineKind kind : kBaselineKinds) {
        for (const auto& sp : by_kind(a.groups[gi].spread, kind))
          censored += sp.below_grid + sp.above_grid;
      }
    }
    if (censored) {
      out.push_back(
          strf("%s%d thresholds lie outside the BER grid; statistics that include "
               "them are bounds (marked *). Widen the grid to resolve them.",
               pre.c_str(), censored));
    }
  }
  return out;
}

// The settings, versions and seeds of the campaigns, and this report's own.
Table settings_table(const Analysis& a, const std::vector<CampaignData>& campaigns,
                     const ReportOptions& opts) {
  Table t;
  t.title = "Settings, versions and seeds";
  t.header = {"setting", "value"};
  for (size_t c = 0; c < campaigns.size(); ++c) {
    const CampaignData& d = campaigns[c];
    std::string pre = campaigns.size() > 1 ? strf("campaign %zu: ", c) : "";
    t.rows.push_back({pre + "directory", d.dir});
    t.rows.push_back({pre + "targets", d.targets_label()});
    for (const auto& [k, v] : d.settings) t.rows.push_back({pre + k, v});
    if (const JsonValue* tm = d.json.find("timing"); tm && tm->type == JsonValue::Type::kObject) {
      for (const auto& [k, v] : tm->members) {
        if (v.is_scalar()) t.rows.push_back({pre + "timing." + k, v.scalar_text()});
      }
    }
    // Where it ran: the timings mean little without the CPU, the BLAS kernel and the threads.
    if (const JsonValue* pf = d.json.find("platform"); pf && pf->type == JsonValue::Type::kObject) {
      for (const auto& [k, v] : pf->members) {
        if (v.is_scalar()) t.rows.push_back({pre + "platform." + k, v.scalar_text()});
      }
    }
  }
  if (!a.groups.empty()) {
    const auto& b = a.groups[0].bers;
    t.rows.push_back({"BER grid", strf("%zu BERs from %s to %s", b.size(), sci(b.front()).c_str(),
                                       sci(b.back()).c_str())});
  }
  std::string levels;
  for (double l : a.levels) levels += (levels.empty() ? "" : ", ") + level_label(l);
  t.rows.push_back({"degradation levels", levels});
  t.rows.push_back({"threshold rule",
                    "highest grid BER before the mean error first exceeds baseline * (1 + X/100); "
                    "no interpolation; later dips back under the bound do not count"});
  t.rows.push_back({"report by", strf("ares %s (git %s)", ares::version(), ares::git_revision())});
  for (const auto& [k, v] : opts.notes) t.rows.push_back({k, v});
  return t;
}

std::string lead_line(const Analysis& a, const std::vector<CampaignData>& campaigns) {
  std::set<std::pair<int, int>> inst;
  for (const auto& c : a.curves) inst.insert({c.campaign, c.instance});
  std::string configs;
  for (const auto& l : detail::config_labels(a)) configs += (configs.empty() ? "" : ", ") + l;
  std::string subjects;
  for (const auto& s : detail::subjects(a)) {
    subjects += (subjects.empty() ? "" : "; ") + s.first;
  }
  std::string out = subjects + " · " + std::to_string(inst.size()) + " instances · " + configs;
  if (!a.groups.empty()) {
    const auto& b = a.groups[0].bers;
    out += strf(" · %zu BERs in [%s, %s]", b.size(), sci(b.front()).c_str(), sci(b.back()).c_str());
    if (!a.curves.empty() && !a.curves[0].errors.empty()) {
      out += strf(" · %d trials per BER", a.curves[0].errors[0].n);
    }
  }
  if (!campaigns.empty()) {
    std::string seed = campaigns[0].setting("seed");
    if (!seed.empty()) out += " · campaign seed " + seed;
  }
  return out;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const char* kStyle = R"(
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1400px;
       padding: 0 1.5em; color: #222; line-height: 1.4; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 2em; }
p.lead { color: #555; margin-top: 0; }
ul.findings li { margin: 0.35em 0; }
figure { margin: 1.5em 0; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #444; font-size: 0.92em; max-width: 1100px; }
.missing { padding: 1em; background: #fff4e5; border: 1px solid #f0c36d; }
div.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0 1em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.5em; text-align: right; white-space: nowrap; }
td.l, th:first-child { text-align: left; } thead th { background: #f4f4f4; }
p.note { color: #555; font-size: 0.9em; max-width: 1100px; }
details { margin: 1em 0; } summary { cursor: pointer; font-weight: bold; }
)";

// Marks the page once every figure decoded: the integration test reads these attributes.
const char* kLoadCheck = R"(
<script>
window.addEventListener('load', function () {
  var imgs = document.querySelectorAll('img.figure');
  var ok = 0;
  for (var i = 0; i < imgs.length; ++i) {
    if (imgs[i].complete && imgs[i].naturalWidth > 0) { ok++; } else { imgs[i].className += ' broken'; }
  }
  document.body.setAttribute('data-figures-loaded', String(ok));
  document.body.setAttribute('data-figures-total', String(imgs.length));
});
</script>
)";

// The tables for people, by where the report puts them.
struct PeopleTables {
  std::vector<Table> glance;  ///< relative thresholds, spread and encoding effect
  std::vector<Table> main;    ///< absolute thresholds, per target, per bit
  std::vector<Table> detail;  ///< per instance: long, so the page folds them away
};

PeopleTables people_tables(const Analysis& a, const ReportOptions& opts) {
  PeopleTables out;
  auto subs = detail::subjects(a);
  for (const auto& [subject, groups] : subs) {
    std::string shown = subs.size() > 1 ? subject : "";
    out.glance.push_back(threshold_table(a, groups, BaselineKind::kRelative, shown));
    out.glance.push_back(spread_table(a, groups, shown));
    out.glance.push_back(ratio_table(a, groups, shown));
    out.main.push_back(threshold_table(a, groups, BaselineKind::kAbsolute, shown));
    for (BaselineKind kind : kBaselineKinds)
      out.detail.push_back(per_instance_table(a, groups, kind, shown));
    out.detail.push_back(instances_table(a, groups, opts, shown));
  }
  if (a.per_target) out.main.push_back(targets_table(a));
  if (a.per_bit) out.main.push_back(bits_table(a));
  return out;
}

std::string page_title(const Analysis& a, const ReportOptions& opts) {
  if (!opts.title_.empty()) return opts.title_;
  std::string title = "Ares report:";
  auto subs = detail::subjects(a);
  for (const auto& s : subs) title += " " + s.first + (&s == &subs.back() ? "" : ";");
  return title;
}

// Figures 1-4 (ids "fig...") show the encoding effect and the spread at a glance.
bool headline(const detail::Figure& f) { return f.id.compare(0, 3, "fig") == 0; }

detail::FigureBlock figure_block(const detail::Figure& f) {
  return {f.id, std::string(kFigureDir) + "/" + f.id, f.title, f.caption, f.width, f.drawn};
}

// The one document both report.md and index.html are rendered from. Markdown reads top to
// bottom: findings, every figure, every table. The page puts Figures 1-4 and the summary
// tables first, then the other figures and the remaining tables, the long ones folded.
// make_figures lists Figures 1-4 first, so the Markdown keeps its order of the figures.
detail::Document report_document(const Analysis& a, const std::vector<CampaignData>& campaigns,
                                 const ReportOptions& opts,
                                 const std::vector<detail::Figure>& figures,
                                 const std::string& plot_problem) {
  using detail::Audience;
  using detail::Heading;
  using detail::Paragraph;
  const PeopleTables tables = people_tables(a, opts);
  detail::Document doc;
  doc.title = page_title(a, opts);
  doc.html_style = kStyle;
  doc.add(Paragraph{lead_line(a, campaigns), "lead"});
  doc.add(Heading{2, "Findings"});
  doc.add(detail::BulletList{findings(a), "findings"});

  doc.add(Heading{2, "Figures"}, Audience::kMarkdown);
  doc.add(Heading{2, "Figures 1-4"}, Audience::kHtml);
  if (!plot_problem.empty()) doc.add(detail::Notice{plot_problem + "."});
  for (const auto& f : figures) {
    if (headline(f)) doc.add(figure_block(f));
  }
  doc.add(Heading{2, "Summary tables"}, Audience::kHtml);
  for (const auto& t : tables.glance) doc.add(t, Audience::kHtml);
  doc.add(Heading{2, "Error curves and further figures"}, Audience::kHtml);
  for (const auto& f : figures) {
    if (!headline(f)) doc.add(figure_block(f));
  }

  doc.add(Heading{2, "Tables"});
  doc.add(Paragraph{"Machine-readable: `tables/*.csv`.", ""}, Audience::kMarkdown);
  doc.add(Paragraph{"The same data as CSV: tables/curves.csv (mean, min, max and 95% CI of the "
                    "error per BER and instance), thresholds.csv, spread.csv, ratios.csv, "
                    "instances.csv.",
                    "note"},
          Audience::kHtml);
  for (const auto& t : tables.glance) doc.add(t, Audience::kMarkdown);
  for (const auto& t : tables.main) doc.add(t);
  for (const auto& t : tables.detail) doc.add(detail::Details{t});
  doc.add(Heading{2, "Settings"});
  doc.add(settings_table(a, campaigns, opts));
  doc.add(detail::RawHtml{kLoadCheck});
  return doc;
}

}  // namespace

std::string base64(const std::string& bytes) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t v = (uint32_t(uint8_t(bytes[i])) << 16) | (uint32_t(uint8_t(bytes[i + 1])) << 8) |
                 uint32_t(uint8_t(bytes[i + 2]));
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < bytes.size()) {
    uint32_t v = uint32_t(uint8_t(bytes[i])) << 16;
    if (i + 1 < bytes.size()) v |= uint32_t(uint8_t(bytes[i + 1])) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string spread_text(const Analysis& a) {
  std::ostringstream os;
  for (const auto& [subject, groups] : detail::subjects(a)) {
    os << subject << "\n";
    for (BaselineKind kind : kBaselineKinds) {
      os << strf(
          "  %s baseline: geometric-mean threshold BER / geometric std / max-min ratio "
          "[/ ratio to reference]\n",
          to_string(kind));
      os << strf("  %-18s", "config");
      for (double l : a.levels) os << strf(" %30s", level_label(l).c_str());
      os << "\n";
      for (size_t gi : groups) {
        const Group& g = a.groups[gi];
        os << strf("  %-18s", g.key.config_label().c_str());
        for (size_t l = 0; l < a.levels.size(); ++l) {
          const Spread& s = by_kind(g.spread, kind)[l];
          std::string cell =
              strf("%s%s/%.2f/%.1f", s.above_grid == s.stats.n ? ">=" : "",
                   sci(s.stats.geo_mean).c_str(), s.stats.geo_std, s.stats.max_min_ratio);
          // Groups without a reference have no ratios at all (an empty vector).
          if (g.reference >= 0 && by_kind(g.ratio, kind)[l].pairs) {
            cell += strf("/x%.2f", by_kind(g.ratio, kind)[l].geo_mean);
          }
          os << strf(" %30s", cell.c_str());
        }
        os << "\n";
      }
    }
  }
  return os.str();
}

ReportResult write_report(const Analysis& a, const std::vector<CampaignData>& campaigns,
                          const std::string& dir, const ReportOptions& opts) {
  ReportResult res;
  std::error_code ec;
  const fs::path root(dir), tables = root / "tables", figdir = root / kFigureDir;
  for (const auto& d : {root, tables, figdir}) {
    fs::create_directories(d, ec);
    ARES_CHECK(fs::is_directory(d), d.string(), ": cannot create report directory");
  }

  // Machine-readable tables.
  std::vector<std::pair<std::string, std::string>> csvs = {{"curves.csv", curves_csv(a)},
                                                           {"thresholds.csv", thresholds_csv(a)},
                                                           {"spread.csv", spread_csv(a)},
                                                           {"ratios.csv", ratios_csv(a)},
                                                           {"instances.csv", instances_csv(a)}};
  if (a.per_bit) csvs.push_back({"bits.csv", bits_csv(a)});
  for (const auto& [name, text] : csvs) {
    std::string p = (tables / name).string();
    write_file_atomic(p, text);
    res.tables.push_back(p);
  }

  // Figures.
  std::vector<detail::Figure> figures = detail::make_figures(a);
  if (opts.plots_) {
    res.plot_problem =
        detail::draw_figures(figures, figdir.string(), opts.gnuplot_, &res.figures_failed);
  } else {
    res.plot_problem = "figures not drawn (plots disabled)";
    res.figures_failed = int(figures.size());
  }
  for (const auto& f : figures) {
    if (!f.drawn) continue;
    res.figures.push_back((figdir / (f.id + ".png")).string());
    res.figures.push_back((figdir / (f.id + ".svg")).string());
  }

  detail::Document doc = report_document(a, campaigns, opts, figures, res.plot_problem);
  res.markdown = (root / "report.md").string();
  write_file_atomic(res.markdown, detail::render_markdown(doc));
  res.html = (root / "index.html").string();
  write_file_atomic(res.html, detail::render_html(doc, [&root](const std::string& path) {
                      return read_file(root / path);
                    }));
  return res;
}

}  // namespace ares::analysis
