#include "ares/analysis/campaign_data.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "ares/analysis/csv.h"
#include "ares/common/error.h"

namespace ares::analysis {
namespace fs = std::filesystem;

std::string CampaignData::setting(const std::string& key, const std::string& fallback) const {
  for (const auto& kv : settings) {
    if (kv.first == key) return kv.second;
  }
  return fallback;
}

std::string CampaignData::targets_label() const {
  std::string out;
  for (const auto& t : targets) out += (out.empty() ? "" : ",") + t;
  return out.empty() ? "*" : out;
}

namespace {

void read_trials(CampaignData& data, const std::string& path) {
  auto t = CsvTable::read(path);
  const size_t c_inst = t.column("instance"), c_fmt = t.column("format"),
               c_prot = t.column("protection"), c_bi = t.column("ber_index"),
               c_ber = t.column("ber"), c_trial = t.column("trial");
  const bool has_counts = t.has("errors") && t.has("samples");
  const size_t c_err = has_counts ? t.column("errors") : t.column("error");
  const size_t c_smp = has_counts ? t.column("samples") : 0;
  const bool has_site = t.has("site"), has_faults = t.has("faults");
  const size_t c_site = has_site ? t.column("site") : 0;
  const size_t c_faults = has_faults ? t.column("faults") : 0;
  const bool has_outcomes = has_counts && t.has("changed") && t.has("nonfinite");
  const size_t c_changed = has_outcomes ? t.column("changed") : 0;
  const size_t c_nonfinite = has_outcomes ? t.column("nonfinite") : 0;
  const bool has_nll = t.has("nll");
  const size_t c_nll = has_nll ? t.column("nll") : 0;
  ARES_CHECK(t.rows() > 0, path, ": no trials");
  data.trials.reserve(t.rows());
  std::map<int, double> ber_of_index;
  for (size_t r = 0; r < t.rows(); ++r) {
    TrialRecord rec;
    rec.instance = int(t.integer(r, c_inst));
    rec.format = t.at(r, c_fmt);
    rec.protection = t.at(r, c_prot);
    if (has_site) rec.site = t.at(r, c_site);
    rec.ber_index = int(t.integer(r, c_bi));
    rec.ber = t.number(r, c_ber);
    rec.trial = int(t.integer(r, c_trial));
    ARES_CHECK(rec.instance >= 0 && rec.ber_index >= 0 && rec.trial >= 0, path, ":", t.line_of(r),
               ": negative instance, BER index or trial");
    ARES_CHECK(rec.ber > 0 && rec.ber <= 1, path, ":", t.line_of(r),
               ": BER must be in (0, 1], got ", t.at(r, c_ber));
    if (has_counts) {
      rec.errors = t.integer(r, c_err);
      rec.samples = t.integer(r, c_smp);
      ARES_CHECK(rec.samples > 0 && rec.errors >= 0 && rec.errors <= rec.samples, path, ":",
                 t.line_of(r), ": errors must be in [0, samples] with samples > 0");
      rec.error = double(rec.errors) / double(rec.samples);
    } else {
      rec.error = t.number(r, c_err);
      ARES_CHECK(rec.error >= 0 && rec.error <= 1, path, ":", t.line_of(r),
                 ": error must be in [0, 1], got ", rec.error);
    }
    if (has_faults) rec.faults = uint64_t(t.integer(r, c_faults));
    if (has_outcomes) {
      rec.changed = t.integer(r, c_changed);
      rec.nonfinite = t.integer(r, c_nonfinite);
      ARES_CHECK(
          rec.changed >= -1 && rec.nonfinite >= -1 && rec.changed + rec.nonfinite <= rec.samples,
          path, ":", t.line_of(r),
          ": changed and nonfinite must be -1 or counts within the samples");
    }
    if (has_nll) {
      rec.nll = t.number(r, c_nll);  // "nan" (not recorded) and "inf" read as such
      ARES_CHECK(!(rec.nll < 0), path, ":", t.line_of(r), ": nll must be >= 0, got ",
                 t.at(r, c_nll));
    }
    auto [it, fresh] = ber_of_index.emplace(rec.ber_index, rec.ber);
    ARES_CHECK(fresh || it->second == rec.ber, path, ":", t.line_of(r), ": BER index ",
               rec.ber_index, " has BER ", rec.ber, " here but ", it->second, " before");
    data.trials.push_back(std::move(rec));
  }
}

void read_summary(CampaignData& data, const std::string& path) {
  auto t = CsvTable::read(path);
  const size_t c_inst = t.column("instance"), c_fmt = t.column("format"),
               c_prot = t.column("protection"), c_base = t.column("baseline_error");
  ARES_CHECK(t.rows() > 0, path, ": no summary rows");
  auto opt = [&](const char* col, size_t r) -> std::string {
    return t.has(col) ? t.at(r, t.column(col)) : std::string();
  };
  for (size_t r = 0; r < t.rows(); ++r) {
    SummaryRecord s;
    s.instance = int(t.integer(r, c_inst));
    s.format = t.at(r, c_fmt);
    s.protection = t.at(r, c_prot);
    s.baseline_error = t.number(r, c_base);
    ARES_CHECK(s.baseline_error >= 0 && s.baseline_error <= 1, path, ":", t.line_of(r),
               ": baseline_error must be in [0, 1]");
    s.checkpoint = opt("checkpoint", r);
    s.model = opt("model", r);
    s.dataset = opt("dataset", r);
    if (t.has("site")) s.site = opt("site", r);
    s.float_error = t.has("float_error") ? t.number(r, t.column("float_error")) : std::nan("");
    if (t.has("values")) s.values = uint64_t(t.integer(r, t.column("values")));
    if (t.has("bits")) s.bits = uint64_t(t.integer(r, t.column("bits")));
    if (s.model.empty()) s.model = "model";
    data.summaries.push_back(std::move(s));
  }
  // Levels from the header when summary.json does not give them: ber_at_<X>pct.
  for (const auto& h : t.header()) {
    if (h.size() > 10 && h.compare(0, 7, "ber_at_") == 0 &&
        h.compare(h.size() - 3, 3, "pct") == 0) {
      data.levels.push_back(std::strtod(h.substr(7, h.size() - 10).c_str(), nullptr));
    }
  }
}

void read_json(CampaignData& data, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  ARES_CHECK(in, path, ": cannot open");
  std::ostringstream ss;
  ss << in.rdbuf();
  data.json = parse_json(ss.str(), path);
  ARES_CHECK(data.json.type == JsonValue::Type::kObject, path, ": expected a JSON object");
  for (const auto& m : data.json.members) {
    if (m.second.is_scalar()) data.settings.emplace_back(m.first, m.second.scalar_text());
  }
  if (const JsonValue* t = data.json.find("targets");
      t && t->type == JsonValue::Type::kArray && !t->items.empty()) {
    data.targets.clear();
    for (const auto& item : t->items) data.targets.push_back(item.scalar_text());
  }
  if (const JsonValue* l = data.json.find("levels_pct"); l && l->type == JsonValue::Type::kArray) {
    data.levels.clear();
    for (const auto& item : l->items) {
      ARES_CHECK(item.type == JsonValue::Type::kNumber, path, ": levels_pct must hold numbers");
      data.levels.push_back(item.number);
    }
  }
}

}  // namespace

CampaignData load_campaign(const std::string& dir) {
  CampaignData data;
  data.dir = dir;
  ARES_CHECK(fs::is_directory(dir), dir, ": no such campaign directory");
  const std::string trials = (fs::path(dir) / "trials.csv").string();
  const std::string summary = (fs::path(dir) / "summary.csv").string();
  const std::string json = (fs::path(dir) / "summary.json").string();
  ARES_CHECK(fs::is_regular_file(trials), dir,
             ": no trials.csv (not a campaign output directory; see 'ares campaign --help')");
  ARES_CHECK(fs::is_regular_file(summary), dir,
             ": no summary.csv (not a campaign output directory)");
  read_trials(data, trials);
  read_summary(data, summary);
  if (fs::is_regular_file(json)) read_json(data, json);

  // Every trial belongs to a summarized (instance, configuration, site).
  std::set<std::tuple<int, std::string, std::string, std::string>> known;
  bool summary_has_site = false;
  for (const auto& s : data.summaries) {
    auto key = std::make_tuple(s.instance, s.format, s.protection, s.site);
    ARES_CHECK(known.insert(key).second, summary, ": instance ", s.instance, " ", s.format, "+",
               s.protection, " appears twice");
    summary_has_site = summary_has_site || s.site != "weights";
  }
  for (const auto& r : data.trials) {
    auto key = std::make_tuple(r.instance, r.format, r.protection,
                               summary_has_site ? r.site : std::string("weights"));
    ARES_CHECK(known.count(key), trials, ": trials of instance ", r.instance, " ", r.format,
               " protection ", r.protection, " have no row in summary.csv");
  }
  return data;
}

}  // namespace ares::analysis
