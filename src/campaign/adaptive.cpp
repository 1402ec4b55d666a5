#include "ares/campaign/adaptive.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "ares/campaign/campaign.h"
#include "ares/campaign/store.h"
#include "ares/common/error.h"
#include "ares/common/files.h"
#include "ares/common/text.h"
#include "ares/fault/rng.h"

namespace ares::campaign {
namespace fs = std::filesystem;

namespace {

// Keys the bootstrap streams of the search apart from every other stream of the seed.
constexpr uint64_t kSearchTag = 0x5eac4e5ull;

using RunFn = std::function<CampaignResult(const CampaignSpec&, ResultStore*)>;

// Every trial so far of one (instance, configuration): errors by BER.
using Pooled = std::map<double, std::vector<double>>;

void check(const CampaignSpec& spec, const SearchOptions& o) {
  spec.validate();
  ARES_CHECK(o.precision > 1, "find-thresholds: --precision must be > 1, got ", o.precision);
  ARES_CHECK(o.coarse_points >= 2 && o.coarse_trials >= 1 && o.refine_points >= 1 &&
                 o.refine_trials >= 1 && o.max_rounds >= 1,
             "find-thresholds: points, trials and rounds must be positive");
  ARES_CHECK(o.budget >= int64_t(o.coarse_points) * o.coarse_trials, "find-thresholds: --budget ",
             o.budget, " is below the first round's ", int64_t(o.coarse_points) * o.coarse_trials,
             " trials per configuration");
  ARES_CHECK(spec.shard_count == 1,
             "find-thresholds: shards are not supported (rounds depend "
             "on the rounds before them)");
}

// The thresholds and intervals of one pooled curve at the spec's levels.
std::vector<SearchThreshold> evaluate(const CampaignSpec& spec, const SearchOptions& o,
                                      const Pooled& pooled, double baseline, int inst, int cfg) {
  std::vector<double> bers;
  std::vector<std::vector<double>> errors;
  for (const auto& [ber, errs] : pooled) {
    bers.push_back(ber);
    errors.push_back(errs);
  }
  analysis::BootstrapOptions boot;
  boot.seed =
      fault::stream_key(spec.seed, {kSearchTag, uint64_t(inst), uint64_t(cfg), bers.size()});
  const auto intervals = analysis::threshold_intervals(bers, errors, baseline, spec.levels, boot);
  std::vector<SearchThreshold> out;
  for (size_t l = 0; l < spec.levels.size(); ++l) {
    SearchThreshold t;
    t.instance = inst;
    t.config = cfg;
    t.level = spec.levels[l];
    t.interval = intervals[l];
    t.point = t.interval.fitted;
    using S = analysis::Threshold::Status;
    t.crossing_lo = t.interval.lo.ber;
    auto next = pooled.upper_bound(t.interval.hi.ber);
    t.crossing_hi = next == pooled.end() ? t.interval.hi.ber : next->first;
    t.converged = t.interval.lo.status == S::kWithin && t.interval.hi.status == S::kWithin &&
                  next != pooled.end() &&
                  t.crossing_hi / t.crossing_lo <= o.precision * (1 + 1e-12);
    out.push_back(t);
  }
  return out;
}

// The next round's BERs for one configuration. For each unresolved interval of any instance,
// the range where its curve crosses the bound: from the interval's lower end to the grid
// point after its upper end. The round runs new BERs that split the widest log gaps of that
// range (`refine_points` of them), and more trials at the fitted threshold and the point
// after it, where the curve crosses; points inside the range that are far from the crossing
// get no more trials.
std::vector<double> refine_grid(const std::vector<SearchThreshold>& unresolved,
                                const std::vector<Pooled>& pooled, int refine_points) {
  std::set<double> grid;
  using S = analysis::Threshold::Status;
  for (const auto& t : unresolved) {
    const Pooled& p = pooled[size_t(t.instance)];
    if (t.interval.hi.status == S::kBelowGrid || t.interval.lo.status == S::kAboveGrid) {
      continue;  // the crossing lies outside the searched range: nothing to refine
    }
    auto after = [&](double ber) {
      auto it = p.upper_bound(ber);
      return it == p.end() ? p.rbegin()->first : it->first;
    };
    const double lo = t.interval.lo.ber, hi = after(t.interval.hi.ber);
    std::vector<double> pts;
    for (auto it = p.lower_bound(lo); it != p.end() && it->first <= hi; ++it) {
      pts.push_back(it->first);
    }
    for (int k = 0; k < refine_points && pts.size() >= 2; ++k) {
      size_t widest = 0;
      for (size_t i = 1; i + 1 < pts.size(); ++i) {
        if (pts[i + 1] / pts[i] > pts[widest + 1] / pts[widest]) widest = i;
      }
      const double mid = std::sqrt(pts[widest] * pts[widest + 1]);
      if (!(mid > pts[widest] && mid < pts[widest + 1])) break;
      pts.insert(pts.begin() + long(widest) + 1, mid);
      grid.insert(mid);
    }
    grid.insert(t.interval.fitted.ber);
    grid.insert(after(t.interval.fitted.ber));
  }
  return {grid.begin(), grid.end()};
}

SearchResult search(const CampaignSpec& spec, const SearchOptions& o, const std::string& dir,
                    const RunFn& run) {
  check(spec, o);
  const size_t I = spec.checkpoints.size(), C = spec.configs.size();
  SearchResult res;
  res.trials.assign(I, std::vector<int64_t>(C, 0));
  res.baselines.assign(I * C, 0);
  std::vector<std::vector<Pooled>> pooled(C, std::vector<Pooled>(I));  // [config][instance]
  std::vector<std::vector<SearchThreshold>> current(C);
  std::vector<std::vector<double>> grids(
      C, log_grid(spec.bers.front(), spec.bers.back(), o.coarse_points));
  std::vector<bool> active(C, true);
  for (int round = 0; round < o.max_rounds; ++round) {
    bool ran = false;
    for (size_t c = 0; c < C; ++c) {
      if (!active[c]) continue;
      CampaignSpec r = spec;
      r.configs = {spec.configs[c]};
      r.bers = grids[c];
      r.trials = round == 0 ? o.coarse_trials : o.refine_trials;
      r.seed = fault::stream_key(spec.seed, {uint64_t(round)});
      r.shard_count = 1;
      r.shard_index = 0;
      const int64_t adds = int64_t(r.bers.size()) * r.trials;
      int64_t used = 0;
      for (size_t i = 0; i < I; ++i) used = std::max(used, res.trials[i][c]);
      if (round > 0 && used + adds > o.budget) {
        active[c] = false;  // the budget would be exceeded: stop with what there is
        continue;
      }
      const std::string sub =
          (fs::path(dir) / ("round-" + std::to_string(round)) / spec.configs[c].label()).string();
      fs::create_directories(sub);
      CampaignResult result;
      {
        ResultStore store((fs::path(sub) / "campaign.db").string());
        result = run(r, &store);
      }
      write_results(result, sub);
      res.campaigns.push_back(sub);
      ran = true;
      for (const auto& row : result.rows) {
        pooled[c][size_t(row.instance)][r.bers[size_t(row.ber_index)]].push_back(
            double(row.errors) / double(row.samples));
        ++res.trials[size_t(row.instance)][c];
      }
      for (const auto& s : result.summaries)
        res.baselines[size_t(s.instance) * C + c] = s.baseline_error;
      current[c].clear();
      std::vector<SearchThreshold> unresolved;
      for (size_t i = 0; i < I; ++i) {
        auto ts = evaluate(spec, o, pooled[c][i], res.baselines[i * C + c], int(i), int(c));
        for (auto& t : ts) {
          t.config = int(c);
          if (!t.converged) unresolved.push_back(t);
          current[c].push_back(t);
        }
      }
      grids[c] = refine_grid(unresolved, pooled[c], o.refine_points);
      active[c] = !grids[c].empty();
      if (spec.progress) {
        std::fprintf(stderr, "find-thresholds: round %d, %s: %zu of %zu thresholds unresolved\n",
                     round, spec.configs[c].label().c_str(), unresolved.size(), current[c].size());
      }
    }
    res.rounds = round + 1;
    if (!ran) {
      res.rounds = round;
      break;
    }
  }
  for (size_t i = 0; i < I; ++i) {
    for (size_t c = 0; c < C; ++c) {
      for (const auto& t : current[c]) {
        if (t.instance == int(i)) res.thresholds.push_back(t);
      }
    }
  }
  return res;
}

}  // namespace

SearchResult find_thresholds(const CampaignSpec& spec, const SearchOptions& options,
                             const std::string& dir) {
  return search(spec, options, dir,
                [](const CampaignSpec& s, ResultStore* store) { return run_campaign(s, store); });
}

SearchResult find_thresholds(const CampaignSpec& spec, const CampaignInputs& inputs,
                             const SearchOptions& options, const std::string& dir) {
  return search(spec, options, dir, [&](const CampaignSpec& s, ResultStore* store) {
    return run_campaign(s, inputs, store);
  });
}

std::string search_csv(const CampaignSpec& spec, const SearchResult& res) {
  std::ostringstream os;
  os << "instance,checkpoint,format,protection,level_pct,ber,status,ber_lo,status_lo,ber_hi,"
        "status_hi,crossing_lo,crossing_hi,ratio,converged,trials\n";
  for (const auto& t : res.thresholds) {
    const Config& cfg = spec.configs[size_t(t.config)];
    os << t.instance << ',' << csv_field(spec.checkpoints[size_t(t.instance)]) << ',' << cfg.format
       << ',' << cfg.protection << ',' << exact_number(t.level) << ',' << exact_number(t.point.ber)
       << ',' << analysis::to_string(t.point.status) << ',' << exact_number(t.interval.lo.ber)
       << ',' << analysis::to_string(t.interval.lo.status) << ',' << exact_number(t.interval.hi.ber)
       << ',' << analysis::to_string(t.interval.hi.status) << ',' << exact_number(t.crossing_lo)
       << ',' << exact_number(t.crossing_hi) << ',' << exact_number(t.crossing_hi / t.crossing_lo)
       << ',' << (t.converged ? 1 : 0) << ',' << res.trials[size_t(t.instance)][size_t(t.config)]
       << '\n';
  }
  return os.str();
}

std::string search_table(const CampaignSpec& spec, const SearchResult& res) {
  std::ostringstream os;
  char buf[320];
  std::snprintf(buf, sizeof buf, "%-4s %-16s %7s %10s %22s %22s %6s %s\n", "inst", "config",
                "level", "threshold", "95% interval", "crossing (95%)", "ratio", "trials");
  os << buf;
  for (const auto& t : res.thresholds) {
    const std::string interval =
        "[" + t.interval.lo.to_string() + ", " + t.interval.hi.to_string() + "]";
    char crossing[64];
    std::snprintf(crossing, sizeof crossing, "[%.2e, %.2e)", t.crossing_lo, t.crossing_hi);
    std::snprintf(buf, sizeof buf, "%-4d %-16s %6g%% %10s %22s %22s %6.2f %lld%s\n", t.instance,
                  spec.configs[size_t(t.config)].label().c_str(), t.level,
                  t.point.to_string().c_str(), interval.c_str(), crossing,
                  t.crossing_hi / t.crossing_lo,
                  (long long)res.trials[size_t(t.instance)][size_t(t.config)],
                  t.converged ? "" : "  (not within the precision)");
    os << buf;
  }
  std::snprintf(buf, sizeof buf, "%d rounds\n", res.rounds);
  os << buf;
  return os.str();
}

}  // namespace ares::campaign
