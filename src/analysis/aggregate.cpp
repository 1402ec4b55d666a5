#include "ares/analysis/aggregate.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <tuple>

#include "ares/common/error.h"
#include "ares/common/text.h"
#include "ares/fault/protection.h"
#include "ares/format/format.h"

namespace ares::analysis {

namespace {
// FNV-1a: a string's hash that is the same on every platform (bootstrap seeds).
uint64_t fnv1a(const std::string& text) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : text) h = (h ^ c) * 0x100000001b3ull;
  return h;
}
}  // namespace

const char* to_string(BaselineKind kind) {
  return kind == BaselineKind::kRelative ? "relative" : "absolute";
}

std::string GroupKey::config_label() const {
  return protection.empty() || protection == "none" ? format : format + "+" + protection;
}

std::string GroupKey::subject() const {
  std::string s = model;
  // A dataset given as a directory shows as its last component.
  if (!dataset.empty()) {
    std::string d = dataset;
    while (d.size() > 1 && d.back() == '/') d.pop_back();
    s += " on " + d.substr(d.find_last_of('/') == std::string::npos ? 0 : d.find_last_of('/') + 1);
  }
  if (!targets.empty() && targets != "*") s += " [" + targets + "]";
  if (!site.empty() && site != "weights") s += " @" + site;
  return s;
}

bool operator==(const GroupKey& a, const GroupKey& b) {
  return std::tie(a.model, a.dataset, a.targets, a.site, a.format, a.protection) ==
         std::tie(b.model, b.dataset, b.targets, b.site, b.format, b.protection);
}

std::vector<double> Curve::mean_errors() const {
  std::vector<double> m;
  m.reserve(errors.size());
  for (const auto& e : errors) m.push_back(e.mean);
  return m;
}

namespace {

using CurveId = std::tuple<int, std::string, std::string, std::string>;  // inst, fmt, prot, site

struct Building {
  const SummaryRecord* summary = nullptr;
  std::map<int, std::pair<double, std::vector<std::pair<int, double>>>> by_ber;  // (trial, err)
  std::map<int, std::pair<double, double>> outcomes;  // per BER index: summed rates (NaN: unknown)
  std::map<int, std::vector<double>> nll;             // per BER index: the trials' NLLs
};

std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The two's-complement counterpart of a format: "q2.6-sm" -> "q2.6-2c"; others unchanged.
std::string reference_format(const std::string& fmt) {
  std::string f = lower(fmt);
  if (has_suffix(f, "-sm")) f.replace(f.size() - 3, 3, "-2c");
  return f;
}

void single_bit(Group& g) {
  try {
    auto fmt = format::Format::parse(g.key.format);
    uint32_t mask = fault::Protection::parse(g.key.protection).faultable_mask(fmt);
    if (mask != 0 && (mask & (mask - 1)) == 0) {
      g.single_bit = __builtin_ctz(mask);
      g.bit_role = format::to_string(fmt.role(g.single_bit));
    }
  } catch (const InputError&) {
    // A format or protection this build does not know: not a per-bit group, nothing more.
  }
}

// The key that pairs an instance across groups: its checkpoint, else its place.
std::string pair_key(const Curve& c) {
  return c.checkpoint.empty() ? std::to_string(c.campaign) + "/" + std::to_string(c.instance)
                              : c.checkpoint;
}

}  // namespace

Analysis analyze(const std::vector<CampaignData>& campaigns, const std::vector<double>& levels) {
  ARES_CHECK(!campaigns.empty(), "analysis: no campaign given");
  Analysis a;
  a.levels = levels;
  if (a.levels.empty()) a.levels = campaigns[0].levels;
  if (a.levels.empty()) a.levels = default_levels();
  for (double l : a.levels) {
    ARES_CHECK(l >= 0 && l < 1e6, "analysis: degradation levels must be >= 0 percent, got ", l);
  }

  for (size_t ci = 0; ci < campaigns.size(); ++ci) {
    const CampaignData& c = campaigns[ci];
    std::map<CurveId, const SummaryRecord*> summaries;
    for (const auto& s : c.summaries) {
      summaries[{s.instance, s.format, s.protection, s.site}] = &s;
    }
    std::map<int, double> grid;  // the campaign's BERs by index
    std::map<CurveId, Building> building;
    std::vector<CurveId> order;
    for (const auto& r : c.trials) {
      grid[r.ber_index] = r.ber;
      CurveId id{r.instance, r.format, r.protection, r.site};
      auto it = building.find(id);
      if (it == building.end()) {
        it = building.emplace(id, Building{}).first;
        auto s = summaries.find(id);
        if (s == summaries.end())
          s = summaries.find({r.instance, r.format, r.protection, "weights"});
        ARES_CHECK(s != summaries.end(), c.dir, ": trials of instance ", r.instance, " ", r.format,
                   "+", r.protection, " have no summary row");
        it->second.summary = s->second;
        order.push_back(id);
      }
      auto& slot = it->second.by_ber[r.ber_index];
      slot.first = r.ber;
      slot.second.emplace_back(r.trial, r.error);
      auto& o = it->second.outcomes[r.ber_index];
      const bool known = r.changed >= 0 && r.nonfinite >= 0 && r.samples > 0;
      o.first += known ? double(r.changed) / double(r.samples) : std::nan("");
      o.second += known ? double(r.nonfinite) / double(r.samples) : std::nan("");
      it->second.nll[r.ber_index].push_back(r.nll);
    }
    std::vector<double> bers;
    bers.reserve(grid.size());
    for (const auto& kv : grid) bers.push_back(kv.second);
    for (size_t i = 1; i < bers.size(); ++i) {
      ARES_CHECK(bers[i] > bers[i - 1], c.dir, "/trials.csv: BERs must ascend with ber_index, got ",
                 bers[i - 1], " then ", bers[i]);
    }
    for (const auto& id : order) {
      Building& b = building[id];
      const SummaryRecord& s = *b.summary;
      Curve curve;
      curve.campaign = int(ci);
      curve.instance = std::get<0>(id);
      curve.checkpoint = s.checkpoint;
      curve.float_error = s.float_error;
      curve.baseline_error = s.baseline_error;
      curve.values = s.values;
      curve.bits = s.bits;
      curve.bers = bers;
      const std::string what = c.dir + ": instance " + std::to_string(curve.instance) + " " +
                               std::get<1>(id) + "+" + std::get<2>(id);
      ARES_CHECK(b.by_ber.size() == grid.size(), what, ": has trials at ", b.by_ber.size(),
                 " of the campaign's ", grid.size(), " BERs (incomplete campaign?)");
      size_t trials = b.by_ber.begin()->second.second.size();
      for (auto& [index, slot] : b.by_ber) {
        auto& tr = slot.second;
        ARES_CHECK(tr.size() == trials, what, ": ", tr.size(), " trials at BER index ", index,
                   " but ", trials, " at others (incomplete campaign?)");
        std::sort(tr.begin(), tr.end());
        for (size_t k = 1; k < tr.size(); ++k) {
          ARES_CHECK(tr[k].first != tr[k - 1].first, what, ": trial ", tr[k].first,
                     " appears twice at BER index ", index);
        }
        std::vector<double> errs;
        errs.reserve(tr.size());
        for (const auto& p : tr) errs.push_back(p.second);
        curve.errors.push_back(error_stats(errs));
        curve.trial_errors.push_back(std::move(errs));
        const auto& o = b.outcomes[index];
        curve.changed_rate.push_back(o.first / double(trials));
        curve.nonfinite_rate.push_back(o.second / double(trials));
        const auto ppl = perplexities(b.nll[index]);  // NaN (not recorded) makes both NaN
        curve.perplexity.push_back(ppl.pooled);
        curve.median_perplexity.push_back(ppl.median);
      }
      GroupKey key{s.model, s.dataset, c.targets_label(), std::get<3>(id), s.format, s.protection};
      size_t g = 0;
      while (g < a.groups.size() && !(a.groups[g].key == key)) ++g;
      if (g == a.groups.size()) {
        Group grp;
        grp.key = key;
        grp.bers = bers;
        a.groups.push_back(grp);
      }
      ARES_CHECK(a.groups[g].bers == bers, c.dir, ": ", key.subject(), " ", key.config_label(),
                 ": instances were run over different BER grids; analyse them separately");
      curve.group = g;
      a.groups[g].curves.push_back(a.curves.size());
      a.curves.push_back(std::move(curve));
    }
  }

  // Thresholds, across-instance curves and spread.
  for (Group& g : a.groups) {
    std::sort(g.curves.begin(), g.curves.end(), [&](size_t x, size_t y) {
      return std::tie(a.curves[x].campaign, a.curves[x].instance) <
             std::tie(a.curves[y].campaign, a.curves[y].instance);
    });
    g.worst_baseline = 0;
    for (size_t ci : g.curves)
      g.worst_baseline = std::max(g.worst_baseline, a.curves[ci].baseline_error);
    for (size_t ci : g.curves) {
      Curve& c = a.curves[ci];
      auto means = c.mean_errors();
      c.thresholds[0] = tolerable_bers(c.bers, means, c.baseline_error, a.levels);
      c.thresholds[1] = tolerable_bers(c.bers, means, g.worst_baseline, a.levels);
      // Seeded by where the curve comes from: the same campaigns give the same intervals.
      BootstrapOptions boot;
      boot.seed = (uint64_t(c.campaign) << 40) ^ (uint64_t(c.instance) << 20) ^
                  fnv1a(g.key.config_label()) ^ 0xA11A5ull;
      // Both baselines' bounds from one set of resamples (the same seed drew them twice).
      std::vector<double> bounds;
      for (double base : {c.baseline_error, g.worst_baseline}) {
        for (double l : a.levels) bounds.push_back(base * (1.0 + l / 100.0));
      }
      const auto both = threshold_intervals_at(c.bers, c.trial_errors, bounds, boot);
      const auto L = std::ptrdiff_t(a.levels.size());
      c.intervals[0].assign(both.begin(), both.begin() + L);
      c.intervals[1].assign(both.begin() + L, both.end());
    }
    for (size_t b = 0; b < g.bers.size(); ++b) {
      std::vector<double> m;
      for (size_t ci : g.curves) m.push_back(a.curves[ci].errors[b].mean);
      g.across.push_back(error_stats(m));
    }
    for (int k = 0; k < 2; ++k) {
      for (size_t l = 0; l < a.levels.size(); ++l) {
        Spread sp;
        std::vector<double> v;
        for (size_t ci : g.curves) {
          const Threshold& t = a.curves[ci].thresholds[k][l];
          v.push_back(t.ber);
          sp.below_grid += t.status == Threshold::Status::kBelowGrid;
          sp.above_grid += t.status == Threshold::Status::kAboveGrid;
        }
        sp.stats = geo_stats(v);
        std::vector<double> crossings, vars;
        for (size_t ci : g.curves) {
          crossings.push_back(a.curves[ci].intervals[k][l].log_crossing);
          vars.push_back(a.curves[ci].intervals[k][l].log_var);
        }
        sp.split = split_spread(crossings, vars);
        g.spread[k].push_back(sp);
      }
    }
    single_bit(g);
    a.per_bit = a.per_bit || g.single_bit >= 0;
  }

  // References and ratios.
  for (size_t gi = 0; gi < a.groups.size(); ++gi) {
    Group& g = a.groups[gi];
    std::string rf = reference_format(g.key.format);
    for (size_t r = 0; r < a.groups.size(); ++r) {
      const GroupKey& k = a.groups[r].key;
      if (r != gi && k.model == g.key.model && k.dataset == g.key.dataset &&
          k.targets == g.key.targets && k.site == g.key.site && lower(k.format) == rf &&
          k.protection == "none") {
        g.reference = int(r);
        break;
      }
    }
    if (g.reference < 0) continue;
    const Group& ref = a.groups[size_t(g.reference)];
    std::map<std::string, size_t> ref_by_key;
    for (size_t ci : ref.curves) ref_by_key[pair_key(a.curves[ci])] = ci;
    // The pairs for the ratio intervals: each instance present in both, with the bounds of
    // both baselines (relative levels, then absolute), so that one set of resamples serves both.
    std::vector<RatioPair> pairs;
    bool all_paired = true;
    for (size_t ci : g.curves) {
      auto it = ref_by_key.find(pair_key(a.curves[ci]));
      if (it == ref_by_key.end()) continue;
      const Curve &num = a.curves[ci], &den = a.curves[it->second];
      RatioPair p;
      p.bers = &num.bers;
      p.num = &num.trial_errors;
      p.den = &den.trial_errors;
      p.paired = num.campaign == den.campaign &&
                 campaigns[size_t(num.campaign)].setting("pairing") == "paired";
      all_paired = all_paired && p.paired;
      for (int k = 0; k < 2; ++k) {
        const double nb = k == 0 ? num.baseline_error : g.worst_baseline;
        const double db = k == 0 ? den.baseline_error : ref.worst_baseline;
        for (double l : a.levels) {
          p.num_bounds.push_back(nb * (1.0 + l / 100.0));
          p.den_bounds.push_back(db * (1.0 + l / 100.0));
        }
      }
      pairs.push_back(std::move(p));
    }
    BootstrapOptions boot;
    boot.seed = fnv1a(g.key.config_label() + "/" + ref.key.config_label());
    const auto intervals = ratio_intervals(pairs, boot);
    for (int k = 0; k < 2; ++k) {
      for (size_t l = 0; l < a.levels.size(); ++l) {
        std::vector<double> ratios;
        for (size_t ci : g.curves) {
          auto it = ref_by_key.find(pair_key(a.curves[ci]));
          if (it == ref_by_key.end()) continue;
          ratios.push_back(a.curves[ci].thresholds[k][l].ber /
                           a.curves[it->second].thresholds[k][l].ber);
        }
        Ratio r;
        if (!ratios.empty()) {
          GeoStats gs = geo_stats(ratios);
          r.pairs = gs.n;
          r.geo_mean = gs.geo_mean;
          r.min = gs.min;
          r.max = gs.max;
          r.interval = intervals[size_t(k) * a.levels.size() + l];
          r.paired = all_paired;
        }
        g.ratio[k].push_back(r);
      }
    }
  }

  for (size_t x = 0; x < a.groups.size() && !a.per_target; ++x) {
    for (size_t y = x + 1; y < a.groups.size(); ++y) {
      const GroupKey &p = a.groups[x].key, &q = a.groups[y].key;
      if (p.targets != q.targets && p.model == q.model && p.dataset == q.dataset &&
          p.site == q.site && p.format == q.format && p.protection == q.protection) {
        a.per_target = true;
        break;
      }
    }
  }
  return a;
}

}  // namespace ares::analysis
