#include "ares/campaign/study.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "ares/analysis/campaign_data.h"
#include "ares/campaign/campaign.h"
#include "ares/campaign/store.h"
#include "ares/common/error.h"
#include "ares/data/load.h"
#include "ares/format/format.h"
#include "ares/models/checkpoint.h"
#include "ares/models/registry.h"

namespace ares::campaign {
namespace fs = std::filesystem;

CampaignReport report_campaigns(const std::vector<std::string>& dirs, const std::string& out,
                                const std::vector<double>& levels,
                                analysis::ReportOptions options) {
  std::vector<analysis::CampaignData> data;
  for (const auto& dir : dirs) data.push_back(analysis::load_campaign(dir));
  CampaignReport report;
  report.analysis = analysis::analyze(data, levels);
  // Training seeds and epochs for the page; a checkpoint that moved or is unreadable is
  // simply not described.
  for (const auto& c : report.analysis.curves) {
    if (c.checkpoint.empty() || options.checkpoint_meta.count(c.checkpoint)) continue;
    try {
      options.checkpoint_meta[c.checkpoint] = models::load_checkpoint(c.checkpoint).meta;
    } catch (const std::exception&) {
      options.checkpoint_meta[c.checkpoint] = {};
    }
  }
  report.files = analysis::write_report(report.analysis, data, out, options);
  return report;
}

CampaignSpec per_bit_spec(const CampaignSpec& spec) {
  CampaignSpec bits = spec;
  bits.configs.clear();
  std::vector<std::string> seen;
  for (const auto& c : spec.configs) {
    if (std::find(seen.begin(), seen.end(), c.format) != seen.end()) continue;
    seen.push_back(c.format);
    const auto fmt = format::Format::parse(c.format);
    for (int b = fmt.width() - 1; b >= 0; --b) {
      char mask[32];
      std::snprintf(mask, sizeof mask, "mask:0x%x", fmt.code_mask() & ~(1u << b));
      bits.configs.push_back({c.format, mask});
    }
  }
  bits.validate();
  return bits;
}

std::vector<std::string> study_checkpoints(const StudyOptions& o) {
  std::vector<std::string> paths;
  const fs::path dir = fs::path(o.out) / "checkpoints";
  for (int k = 0; k < o.instances; ++k) {
    paths.push_back(
        (dir / (o.model + "-s" + std::to_string(o.seed + uint64_t(k)) + ".ckpt")).string());
  }
  return paths;
}

bool trained_as(const models::Metadata& meta, const std::string& dataset,
                const train::TrainOptions& training, uint64_t seed) {
  const auto get = [&](const std::string& key) {
    const auto it = meta.find(key);
    return it == meta.end() ? std::string() : it->second;
  };
  // Batch, learning rate and limit as train_instance writes them (std::to_string).
  if (get("dataset") != dataset || get("epochs") != std::to_string(training.epochs_) ||
      get("seed") != std::to_string(seed) || get("batch") != std::to_string(training.batch_size_) ||
      get("learning_rate") != std::to_string(training.learning_rate_) ||
      get("train_limit") != std::to_string(training.limit_)) {
    return false;
  }
  // A checkpoint written before the recipe was recorded was trained with the defaults.
  const auto defaults = train::recipe_metadata(train::TrainOptions());
  const auto wanted = train::recipe_metadata(training);
  for (size_t i = 0; i < wanted.size(); ++i) {
    const auto it = meta.find(wanted[i].first);
    if ((it == meta.end() ? defaults[i].second : it->second) != wanted[i].second) return false;
  }
  return true;
}

namespace {

// A checkpoint from an earlier run of the same study (trained_as).
bool reusable(const std::string& path, const std::string& dataset,
              const train::TrainOptions& training, uint64_t seed) {
  if (!fs::is_regular_file(path)) return false;
  try {
    return trained_as(models::load_checkpoint(path).meta, dataset, training, seed);
  } catch (const std::exception&) {
    return false;
  }
}

void run_one_campaign(const CampaignSpec& spec, const std::string& out, bool progress) {
  fs::create_directories(out);
  CampaignResult result;
  {
    ResultStore store((fs::path(out) / "campaign.db").string());
    result = run_campaign(spec, &store);
  }
  write_results(result, out);
  if (progress) {
    std::fprintf(stderr, "study: campaign %s: %zu trials in %.1fs\n", out.c_str(),
                 result.rows.size(), result.seconds);
  }
}

}  // namespace

StudyResult run_study(StudyOptions o) {
  auto probe = models::create(o.model);  // validates the name before any work
  ARES_CHECK(o.instances >= 1 && o.instances <= 10000,
             "study: --instances must be in 1..10000, got ", o.instances);
  ARES_CHECK(!o.out.empty(), "study: no study directory (--out)");
  StudyResult res;
  res.checkpoints = study_checkpoints(o);
  o.campaign.checkpoints = res.checkpoints;
  o.campaign.validate();  // before training anything
  train::check_recipe(o.training, *probe, "study");
  const CampaignSpec bits = o.per_bit ? per_bit_spec(o.campaign) : CampaignSpec();

  // 1. The instances (reusing finished ones).
  data::Split data;
  bool loaded = false;
  for (int k = 0; k < o.instances; ++k) {
    const uint64_t seed = o.seed + uint64_t(k);
    const std::string& path = res.checkpoints[size_t(k)];
    if (reusable(path, o.dataset, o.training, seed)) {
      if (o.progress) std::fprintf(stderr, "study: reusing %s\n", path.c_str());
      continue;
    }
    if (!loaded) {
      data = data::load_dataset(o.dataset);
      loaded = true;
    }
    auto training = o.training;
    const auto inst =
        train_instance(o.model, o.dataset, data, training.seed(seed), o.threads, path);
    if (o.on_trained) o.on_trained(inst);
    if (!inst.written) res.diverged.push_back(seed);
  }
  data = data::Split();  // the training set is not needed any more
  if (!res.diverged.empty()) return res;

  // 2. The campaigns.
  const std::string main_dir = (fs::path(o.out) / "campaign").string();
  run_one_campaign(o.campaign, main_dir, o.progress);
  res.campaigns.push_back(main_dir);
  if (o.per_layer) {
    for (size_t st = 0; st < probe->num_stages(); ++st) {
      CampaignSpec layer = o.campaign;
      layer.targets = {probe->stage_name(st) + ".*"};
      std::string dir = (fs::path(o.out) / "layers" / probe->stage_name(st)).string();
      run_one_campaign(layer, dir, o.progress);
      res.campaigns.push_back(dir);
    }
  }
  if (o.per_bit) {
    std::string dir = (fs::path(o.out) / "bits").string();
    run_one_campaign(bits, dir, o.progress);
    res.campaigns.push_back(dir);
  }

  // 3. The report.
  if (o.report) {
    res.report = report_campaigns(res.campaigns, (fs::path(o.out) / "report").string(), {},
                                  o.report_options);
  }
  return res;
}

}  // namespace ares::campaign
