#include <torch/torch.h>

#include <cstdio>
#include <filesystem>

#include "ares/campaign/instance.h"
#include "ares/campaign/threads.h"
#include "ares/common/error.h"
#include "ares/common/version.h"
#include "ares/data/load.h"
#include "ares/models/checkpoint.h"
#include "ares/models/device.h"
#include "ares/models/registry.h"
#include "ares/train/train.h"
#include "args.h"
#include "commands.h"
#include "recipe_options.h"

namespace ares::cli {

namespace {
const char* kHelp =
    "usage: ares train --model NAME [options]\n"
    "\n"
    "Trains zoo models and writes one checkpoint per instance: DIR/NAME-sSEED.ckpt.\n"
    "\n"
    "  --model NAME      zoo model (see 'ares models')\n"
    "  --dataset D       fashion-mnist (default), mnist, cifar10, or a directory of\n"
    "                    MNIST-format IDX files or CIFAR-10 binary batches\n"
    "  --seed S          seed of the first instance (default 1)\n"
    "  --instances N     train N instances with seeds S..S+N-1 (default 1)\n"
    "  --epochs E        epochs (default 10 for mnist_fc, 2 for the others)\n"
    "  --batch B         batch size (default 64)\n"
    "  --lr LR           learning rate (default 0.001); the base rate of --schedule\n"
    "  --optimizer O     adam (default) or sgd\n"
    "  --momentum M      SGD momentum (default 0: plain SGD)\n"
    "  --nesterov        SGD with Nesterov momentum (needs --momentum > 0)\n"
    "  --weight-decay W  L2 penalty added to the gradients, as PyTorch's weight_decay\n"
    "                    (default 0)\n"
    "  --schedule S      learning-rate schedule: constant (default), step:EVERY:GAMMA\n"
    "                    (times GAMMA every EVERY epochs) or cosine (annealed towards 0,\n"
    "                    step by step, over the epochs after the warm-up)\n"
    "  --warmup W        epochs of linear warm-up, step by step up to --lr (default 0)\n"
    "  --augment A       none (default) or crop-flip: CIFAR-10's random crop with 4 pixels\n"
    "                    of zero padding and horizontal flip, per sample from the seed\n"
    "  --limit N         train on the first N samples only (for quick tests)\n"
    "  --out DIR         output directory (default runs/MODEL-DATASET)\n"
    "  --threads T       LibTorch threads (default: all cores); checkpoints are\n"
    "                    bit-identical for the same seed and thread count\n"
    "  --device D        cpu (default), cuda or cuda:N: train on a GPU (a CUDA LibTorch\n"
    "                    build); faults are then applied on the GPU too. Bit-identical\n"
    "                    checkpoints are promised on the CPU only\n"
    "  --quiet           no progress on stderr\n"
    "  --inject SPEC     inject faults while training (repeatable; docs/training-faults.md):\n"
    "                      SITE[:FORMAT]:BER[:every=K][:model=M][:protect=P][:semantics=S]\n"
    "                    SITE: weights (stored weights, faulted after every K-th optimizer\n"
    "                    step, default K=100; they persist until the optimizer moves them),\n"
    "                    grad (every gradient, after backward, before the step) or act:STAGE\n"
    "                    (the stage's output on every forward pass; gradients pass straight\n"
    "                    through). FORMAT default fp32; BER in [0, 1]; M and P as in\n"
    "                    'ares campaign' (flip, stuck0, stuck1, ..., sign, msb:K, ...).\n"
    "                    Only values a fault hits change (decode of the faulty code); NaN and\n"
    "                    Inf are kept. A checkpoint whose final weights hold NaN or Inf is\n"
    "                    not written. Examples: grad:1e-5, weights:q2.6-2c:1e-5:every=100,\n"
    "                    act:fc1:q4.4-sm:1e-3:model=stuck1:protect=sign\n";
}  // namespace

int cmd_train(const std::vector<std::string>& argv) {
  Args args("train", argv,
            {"model", "dataset", "seed", "instances", "epochs", "batch", "lr", "limit", "out",
             "threads", "inject", "device", "optimizer", "momentum", "weight-decay", "schedule",
             "warmup", "augment"},
            {"help", "quiet", "nesterov"});
  if (args.has("help")) {
    std::fputs(kHelp, stdout);
    return 0;
  }
  ARES_CHECK(args.has("model"), "train: --model is required (see 'ares models')");
  ARES_CHECK(args.positional().empty(), "train: unexpected argument '", args.positional()[0], "'");
  std::string model_name = args.get_or("model", "");
  auto probe = models::create(model_name);  // validates the name before any work
  std::vector<train::Injection> injections;
  for (const auto& spec : args.get_all("inject")) {
    try {
      injections.push_back(train::Injection::parse(spec));
      train::check_injection(injections.back(), *probe);
    } catch (const InputError& e) {
      throw InputError(std::string("train: ") + e.what());
    }
  }
  std::string dataset = args.get_or("dataset", "fashion-mnist");
  long long seed = args.get_int("seed", 1);
  long long instances = args.get_int("instances", 1);
  ARES_CHECK(seed >= 0, "train: --seed must be >= 0, got ", seed);
  ARES_CHECK(instances >= 1 && instances <= 10000, "train: --instances must be in 1..10000, got ",
             instances);
  long long epochs = args.get_int("epochs", campaign::default_epochs(model_name));
  ARES_CHECK(epochs >= 1 && epochs <= 100000, "train: --epochs must be >= 1, got ", epochs);
  int threads = int(args.get_int("threads", campaign::available_cores()));
  ARES_CHECK(threads >= 1, "train: --threads must be >= 1, got ", threads);
  const std::string device = args.get_or("device", "cpu");
  models::find_device(device, "train");  // one line before any work when it is not here
  const auto recipe = with_recipe(train::TrainOptions()
                                      .epochs(int(epochs))
                                      .batch_size(args.get_int("batch", 64))
                                      .learning_rate(args.get_double("lr", 1e-3))
                                      .limit(args.get_int("limit", 0))
                                      .progress(!args.has("quiet"))
                                      .injections(injections)
                                      .device(device),
                                  args, "train");
  train::check_recipe(recipe, *probe);  // one line before any work
  std::string dataset_tag = std::filesystem::path(dataset).filename().string();
  std::string out = args.get_or("out", "runs/" + model_name + "-" + dataset_tag);

  // One LibTorch thread per core; OpenBLAS single-threaded underneath so the two pools do
  // not fight over the same cores (see shared/MEASUREMENTS.md).
  campaign::set_compute_threads(threads, 1);
  auto data = data::load_dataset(dataset);
  std::vector<uint64_t> diverged;  // seeds whose checkpoint could not be written
  for (long long k = 0; k < instances; ++k) {
    uint64_t s = uint64_t(seed + k);
    auto opts = recipe;
    opts.seed(s);
    const std::string path =
        (std::filesystem::path(out) / (model_name + "-s" + std::to_string(s) + ".ckpt")).string();
    const auto inst = campaign::train_instance(model_name, dataset, data, opts, threads, path);
    const auto& r = inst.result;
    std::printf("%s%s\n", campaign::describe(inst).c_str(),
                inst.written ? "" : " after training with faults");
    if (!inst.written) diverged.push_back(s);
    if (!r.injections.empty()) std::printf("  final training loss %.6g\n", r.final_loss);
    for (const auto& st : r.injections) {
      std::printf("  inject %s: %llu faults (%llu hits, %llu NaN/Inf) in %llu rounds\n",
                  st.spec.c_str(), (unsigned long long)st.faults, (unsigned long long)st.hits,
                  (unsigned long long)st.nonfinite, (unsigned long long)st.rounds);
    }
    std::fflush(stdout);
  }
  if (!diverged.empty()) {
    // The run did not produce what it was asked for: say so, and exit non-zero so that a
    // script (or `ares study`) can tell.
    std::string seeds;
    for (uint64_t d : diverged) seeds += (seeds.empty() ? "" : ", ") + std::to_string(d);
    std::fprintf(stderr,
                 "ares: train: %zu of %lld instances diverged (NaN or Inf parameters) and were "
                 "not written: seed %s\n",
                 diverged.size(), instances, seeds.c_str());
    return 1;
  }
  return 0;
}

}  // namespace ares::cli
