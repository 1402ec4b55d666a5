#include <torch/torch.h>

#include <cstdio>
#include <filesystem>

#include "ares/campaign/campaign.h"
#include "ares/campaign/instance.h"
#include "ares/campaign/store.h"
#include "ares/campaign/threads.h"
#include "ares/common/error.h"
#include "ares/common/version.h"
#include "ares/data/load.h"
#include "ares/format/format.h"
#include "ares/models/checkpoint.h"
#include "ares/models/registry.h"
#include "ares/train/train.h"
#include "args.h"
#include "campaign_options.h"
#include "commands.h"
#include "report_common.h"

namespace ares::cli {
namespace fs = std::filesystem;

namespace {
const char* kHelp =
    "usage: ares study --model NAME [options] [campaign options]\n"
    "\n"
    "The whole multi-instance study in one command: trains N identically configured\n"
    "instances that differ only in their seed, runs one campaign over all of them, and\n"
    "writes the report:\n"
    "  OUT/checkpoints/NAME-sSEED.ckpt   (kept: a rerun reuses checkpoints with the same\n"
    "                                     dataset and epochs)\n"
    "  OUT/campaign/                     trials.csv, summary.csv, summary.json, campaign.db\n"
    "                                     (a rerun resumes the campaign)\n"
    "  OUT/layers/STAGE/, OUT/bits/      with --per-layer / --per-bit\n"
    "  OUT/report/index.html             the page; also report.md, tables/, figures/\n"
    "\n"
    "  --model NAME        zoo model (see 'ares models')\n"
    "  --instances N       instances (default 20)\n"
    "  --seed S            training seed of the first instance (default 1): seeds S..S+N-1\n"
    "  --epochs E          training epochs (default 10 for mnist_fc, 2 for the others)\n"
    "  --dataset D         fashion-mnist (default), mnist, cifar10 or a directory\n"
    "  --train-batch B     training batch (default 64)\n"
    "  --lr LR             Adam learning rate (default 0.001)\n"
    "  --limit N           train on the first N samples only\n"
    "  --campaign-seed S   the campaign's seed (default 1)\n"
    "  --per-layer         also one campaign per stage (targets STAGE.*): per-layer\n"
    "                      vulnerability in the report\n"
    "  --per-bit           also one campaign per bit of each format (all other bits\n"
    "                      protected): per-bit vulnerability in the report\n"
    "  --out DIR           study directory (default runs/study-NAME-DATASET)\n"
    "  --title TEXT        report title\n"
    "  --no-plots          report without figures\n"
    "  --quiet             no progress on stderr\n"
    "\n"
    "campaign options (as for 'ares campaign'; --seed there is --campaign-seed here):\n";

// Settings of `ares campaign` that the study's own flags of the same name do not take: the
// training seed and dataset, the study directory and the instances' checkpoints.
bool study_own(const std::string& key) {
  return key == "seed" || key == "dataset" || key == "out" || key == "checkpoint";
}

bool reusable(const std::string& path, const std::string& dataset, long long epochs,
              uint64_t seed) {
  if (!fs::is_regular_file(path)) return false;
  try {
    auto meta = models::load_checkpoint(path).meta;
    return meta["dataset"] == dataset && meta["epochs"] == std::to_string(epochs) &&
           meta["seed"] == std::to_string(seed);
  } catch (const std::exception&) {
    return false;
  }
}

void run_one_campaign(const campaign::CampaignSpec& spec, const std::string& out, bool quiet) {
  fs::create_directories(out);
  campaign::CampaignResult result;
  {
    campaign::ResultStore store((fs::path(out) / "campaign.db").string());
    result = campaign::run_campaign(spec, &store);
  }
  campaign::write_results(result, out);
  if (!quiet) {
    std::fprintf(stderr, "study: campaign %s: %zu trials in %.1fs\n", out.c_str(),
                 result.rows.size(), result.seconds);
  }
}

}  // namespace

int cmd_study(const std::vector<std::string>& argv) {
  auto flags = campaign_flags();
  flags.insert(
      {"model", "instances", "epochs", "train-batch", "lr", "limit", "campaign-seed", "title"});
  Args args("study", argv, flags, {"help", "quiet", "no-plots", "per-layer", "per-bit"});
  if (args.has("help")) {
    std::printf("%s%s", kHelp, campaign_flags_help().c_str());
    return 0;
  }
  ARES_CHECK(args.has("model"), "study: --model is required (see 'ares models')");
  ARES_CHECK(args.positional().empty(), "study: unexpected argument '", args.positional()[0],
             "' (checkpoints are trained by the study)");
  ARES_CHECK(!args.has("checkpoint"),
             "study: --checkpoint is not taken: the study trains its "
             "instances (use 'ares campaign' and 'ares report')");
  const std::string model_name = args.get_or("model", "");
  auto probe = models::create(model_name);  // validates the name before any work
  const std::string dataset = args.get_or("dataset", "fashion-mnist");
  const long long instances = args.get_int("instances", 20);
  const long long seed = args.get_int("seed", 1);
  ARES_CHECK(instances >= 1 && instances <= 10000, "study: --instances must be in 1..10000, got ",
             instances);
  ARES_CHECK(seed >= 0, "study: --seed must be >= 0, got ", seed);
  const long long epochs = args.get_int("epochs", campaign::default_epochs(model_name));
  ARES_CHECK(epochs >= 1 && epochs <= 100000, "study: --epochs must be >= 1, got ", epochs);
  const long long threads = args.get_int("threads", campaign::available_cores());
  ARES_CHECK(threads >= 1 && threads <= 1024, "study: --threads must be in 1..1024, got ", threads);
  const bool quiet = args.has("quiet");
  const std::string dataset_tag = fs::path(dataset).filename().string();
  const std::string out = args.get_or("out", "runs/study-" + model_name + "-" + dataset_tag);

  // The campaign's settings: a --spec file first, then every campaign flag given here.
  campaign::SpecSettings camp;
  if (auto spec_file = args.get("spec")) {
    camp = campaign::read_toml_settings(*spec_file);
    ARES_CHECK(!camp.find("out") && !camp.find("checkpoint"),
               "study: the spec file may not set out or checkpoint");
  }
  for (const auto& k : campaign::spec_keys()) {
    const std::string flag = campaign::flag_name(k);
    if (auto v = args.get(flag); v && !study_own(k.key)) camp.set(k.key, *v, "--" + flag);
  }
  camp.set("seed", args.get_or("campaign-seed", "1"), "--campaign-seed");
  const fs::path ckdir = fs::path(out) / "checkpoints";
  std::vector<std::string> ckpts;
  std::string ckpt_list;
  for (long long k = 0; k < instances; ++k) {
    ckpts.push_back((ckdir / (model_name + "-s" + std::to_string(seed + k) + ".ckpt")).string());
    ckpt_list += (k ? "," : "") + ckpts.back();
  }
  camp.set("checkpoint", ckpt_list, "the study's checkpoints");
  // Validate the campaign settings (and the TOML file) before training anything.
  campaign::CampaignSpec spec = campaign::build_spec(camp);
  spec.progress = !quiet;
  const int64_t train_batch = args.get_int("train-batch", 64);
  const double lr = args.get_double("lr", 1e-3);
  const int64_t limit = args.get_int("limit", 0);
  ARES_CHECK(train_batch >= 1, "study: --train-batch must be >= 1, got ", train_batch);
  ARES_CHECK(lr > 0, "study: --lr must be > 0, got ", lr);

  // 1. Train the instances (reusing finished ones).
  campaign::set_compute_threads(int(threads), 1);
  data::Split data;
  bool loaded = false;
  std::vector<uint64_t> diverged;  // seeds whose training ended in NaN or Inf parameters
  for (long long k = 0; k < instances; ++k) {
    const uint64_t s = uint64_t(seed + k);
    const std::string& path = ckpts[size_t(k)];
    if (reusable(path, dataset, epochs, s)) {
      if (!quiet) std::fprintf(stderr, "study: reusing %s\n", path.c_str());
      continue;
    }
    if (!loaded) {
      data = data::load_dataset(dataset);
      loaded = true;
    }
    auto opts = train::TrainOptions()
                    .epochs(int(epochs))
                    .batch_size(train_batch)
                    .learning_rate(lr)
                    .seed(s)
                    .limit(limit)
                    .progress(!quiet);
    const auto inst = campaign::train_instance(model_name, dataset, data, opts, int(threads), path);
    std::printf("%s\n", campaign::describe(inst).c_str());
    std::fflush(stdout);
    if (!inst.written) diverged.push_back(s);
  }
  data = data::Split();
  if (!diverged.empty()) {
    std::string seeds;
    for (uint64_t d : diverged) seeds += (seeds.empty() ? "" : ", ") + std::to_string(d);
    std::fprintf(
        stderr,
        "ares: study: %zu of %lld instances diverged (NaN or Inf parameters after "
        "training): seed %s; no campaign was run%s\n",
        diverged.size(), instances, seeds.c_str(),
        (long long)diverged.size() < instances ? " (the others' checkpoints are kept)" : "");
    return 1;
  }

  // 2. The campaigns.
  std::vector<std::string> campaigns;
  const std::string main_dir = (fs::path(out) / "campaign").string();
  run_one_campaign(spec, main_dir, quiet);
  campaigns.push_back(main_dir);
  if (args.has("per-layer")) {
    for (size_t st = 0; st < probe->num_stages(); ++st) {
      campaign::CampaignSpec layer = spec;
      layer.targets = {probe->stage_name(st) + ".*"};
      std::string dir = (fs::path(out) / "layers" / probe->stage_name(st)).string();
      run_one_campaign(layer, dir, quiet);
      campaigns.push_back(dir);
    }
  }
  if (args.has("per-bit")) {
    campaign::CampaignSpec bits = spec;
    bits.configs.clear();
    std::vector<std::string> seen;
    for (const auto& c : spec.configs) {
      if (std::find(seen.begin(), seen.end(), c.format) != seen.end()) continue;
      seen.push_back(c.format);
      auto fmt = format::Format::parse(c.format);
      for (int b = fmt.width() - 1; b >= 0; --b) {
        char mask[32];
        std::snprintf(mask, sizeof mask, "mask:0x%x", fmt.code_mask() & ~(1u << b));
        bits.configs.push_back({c.format, mask});
      }
    }
    bits.validate();
    std::string dir = (fs::path(out) / "bits").string();
    run_one_campaign(bits, dir, quiet);
    campaigns.push_back(dir);
  }

  // 3. The report.
  ReportRun run;
  run.campaigns = campaigns;
  run.out = (fs::path(out) / "report").string();
  run.quiet = quiet;
  std::string title = args.get_or("title", "");
  if (title.empty()) {
    title = "Ares study: " + model_name + " on " + dataset_tag + ", " + std::to_string(instances) +
            " instances";
  }
  run.options.title(title).plots(!args.has("no-plots"));
  std::string cmdline = "ares study";
  for (const auto& a : argv) cmdline += " " + a;
  run.options.notes = {
      {"study command", cmdline},
      {"training", "seeds " + std::to_string(seed) + ".." + std::to_string(seed + instances - 1) +
                       ", " + std::to_string(epochs) + " epochs, batch " +
                       std::to_string(train_batch) + ", Adam lr " + args.get_or("lr", "0.001") +
                       ", dataset " + dataset}};
  run_report(run);
  return 0;
}

}  // namespace ares::cli
