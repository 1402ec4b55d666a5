#include <torch/torch.h>

#include <cstdio>
#include <filesystem>

#include "ares/campaign/instance.h"
#include "ares/campaign/study.h"
#include "ares/campaign/threads.h"
#include "ares/common/error.h"
#include "ares/common/version.h"
#include "ares/models/registry.h"
#include "ares/train/train.h"
#include "args.h"
#include "campaign_options.h"
#include "commands.h"
#include "recipe_options.h"
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
    "                                     dataset and training settings)\n"
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
    "  --lr LR             learning rate (default 0.001); the base rate of --schedule\n"
    "  --optimizer O       adam (default) or sgd\n"
    "  --momentum M        SGD momentum (default 0)\n"
    "  --nesterov          SGD with Nesterov momentum (needs --momentum > 0)\n"
    "  --weight-decay W    L2 penalty, as PyTorch's weight_decay (default 0)\n"
    "  --schedule S        constant (default), step:EVERY:GAMMA or cosine\n"
    "  --warmup W          epochs of linear warm-up (default 0)\n"
    "  --augment A         none (default) or crop-flip (CIFAR-10's crop and flip)\n"
    "                      ('ares train --help' says more; a rerun retrains checkpoints\n"
    "                      whose recipe differs)\n"
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

}  // namespace

int cmd_study(const std::vector<std::string>& argv) {
  auto flags = campaign_flags();
  flags.insert({"model", "instances", "epochs", "train-batch", "lr", "limit", "campaign-seed",
                "title", "optimizer", "momentum", "weight-decay", "schedule", "warmup", "augment"});
  Args args("study", argv, flags,
            {"help", "quiet", "no-plots", "per-layer", "per-bit", "nesterov"});
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
  campaign::StudyOptions study;
  study.model = model_name;
  study.dataset = dataset;
  study.instances = int(instances);
  study.seed = uint64_t(seed);
  study.threads = int(threads);
  study.out = out;
  study.per_layer = args.has("per-layer");
  study.per_bit = args.has("per-bit");
  study.progress = !quiet;
  // Validate the campaign settings (and the TOML file) before training anything.
  std::string ckpt_list;
  for (const auto& c : campaign::study_checkpoints(study))
    ckpt_list += (ckpt_list.empty() ? "" : ",") + c;
  camp.set("checkpoint", ckpt_list, "the study's checkpoints");
  study.campaign = campaign::build_spec(camp);
  study.campaign.progress = !quiet;
  const int64_t train_batch = args.get_int("train-batch", 64);
  const double lr = args.get_double("lr", 1e-3);
  const int64_t limit = args.get_int("limit", 0);
  ARES_CHECK(train_batch >= 1, "study: --train-batch must be >= 1, got ", train_batch);
  ARES_CHECK(lr > 0, "study: --lr must be > 0, got ", lr);
  study.training = with_recipe(train::TrainOptions()
                                   .epochs(int(epochs))
                                   .batch_size(train_batch)
                                   .learning_rate(lr)
                                   .limit(limit)
                                   .progress(!quiet),
                               args, "study");
  train::check_recipe(study.training, *probe, "study");  // before any work
  study.on_trained = [](const campaign::TrainedInstance& inst) {
    std::printf("%s\n", campaign::describe(inst).c_str());
    std::fflush(stdout);
  };
  std::string title = args.get_or("title", "");
  if (title.empty()) {
    title = "Ares study: " + model_name + " on " + dataset_tag + ", " + std::to_string(instances) +
            " instances";
  }
  study.report_options.title(title).plots(!args.has("no-plots"));
  std::string cmdline = "ares study";
  for (const auto& a : argv) cmdline += " " + a;
  study.report_options.notes = {
      {"study command", cmdline},
      {"training", "seeds " + std::to_string(seed) + ".." + std::to_string(seed + instances - 1) +
                       ", " + std::to_string(epochs) + " epochs, batch " +
                       std::to_string(train_batch) + ", " + train::describe_recipe(study.training) +
                       ", dataset " + dataset}};

  campaign::set_compute_threads(int(threads), 1);
  const campaign::StudyResult res = campaign::run_study(study);
  if (!res.diverged.empty()) {
    std::string seeds;
    for (uint64_t d : res.diverged) seeds += (seeds.empty() ? "" : ", ") + std::to_string(d);
    std::fprintf(
        stderr,
        "ares: study: %zu of %lld instances diverged (NaN or Inf parameters after "
        "training): seed %s; no campaign was run%s\n",
        res.diverged.size(), instances, seeds.c_str(),
        (long long)res.diverged.size() < instances ? " (the others' checkpoints are kept)" : "");
    return 1;
  }
  print_report(res.report, !args.has("no-plots"), quiet);
  return 0;
}

}  // namespace ares::cli
