#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "ares/analysis/csv.h"
#include "ares/campaign/instance.h"
#include "ares/campaign/quantize.h"
#include "ares/campaign/threads.h"
#include "ares/common/error.h"
#include "ares/common/version.h"
#include "ares/data/load.h"
#include "ares/format/format.h"
#include "ares/models/checkpoint.h"
#include "ares/models/registry.h"
#include "ares/train/train.h"
#include "args.h"
#include "commands.h"

namespace ares::cli {
namespace fs = std::filesystem;

namespace {
const char* kHelp =
    "usage: ares quantize [CHECKPOINT] [--model NAME] [options]\n"
    "\n"
    "Evaluates the clean test error of a trained model with its weights stored in each\n"
    "format of a grid -- fixed point Q(I.F) for a range of total and integer bits, in two's\n"
    "complement and sign-magnitude, plus fp16 and bf16 -- and recommends the smallest format\n"
    "whose error stays within --max-loss of the float model (by bits per weight; ties: lower\n"
    "error, then 2c, then fewer integer bits). That format is the natural default for the model's "
    "campaigns\n"
    "(--formats). With --per-layer, each stage is also quantized alone (the others stay\n"
    "float) and the per-stage choices are evaluated together.\n"
    "\n"
    "  CHECKPOINT        a trained checkpoint; without one, --model NAME uses\n"
    "                    runs/NAME-DATASET/NAME-s1.ckpt and trains it first when missing\n"
    "  --model NAME      zoo model\n"
    "  --dataset D       evaluation data (default: the checkpoint's, else fashion-mnist)\n"
    "  --bits LIST       total widths, e.g. 4-16 or 4,6,8 (default 4-16)\n"
    "  --int-bits LIST   integer bits including the sign (default 1-6)\n"
    "  --encodings LIST  2c, sm (default 2c,sm)\n"
    "  --floats LIST     fp16, bf16, fp32, fp8-e4m3, fp8-e5m2 (also -nosat), fp6-e2m3,\n"
    "                    fp6-e3m2, fp4-e2m1 or none (default fp16,bf16)\n"
    "  --scaled LIST     scaled formats, e.g. int8,int8-ch,int4-ch-asym,mxfp8-e4m3,mxfp4\n"
    "                    (default none); ranked by bits per weight, their scales counted\n"
    "  --max-loss X      allowed error increase in % of the float error (default 1)\n"
    "  --targets GLOBS   parameters to quantize (default '*')\n"
    "  --per-layer       also per stage\n"
    "  --eval-limit N    evaluate on the first N test samples\n"
    "  --batch N         evaluation batch (default 1000)\n"
    "  --epochs E        epochs when the checkpoint must be trained\n"
    "  --threads T       LibTorch threads (default: all cores)\n"
    "  --out DIR         also write DIR/quantize.csv\n"
    "  --quiet           no progress on stderr\n";

std::vector<int> parse_ints(const Args& args, const std::string& flag, const std::string& def) {
  std::vector<int> out;
  for (const auto& item : split_list(args.get_or(flag, def))) {
    auto dash = item.find('-', 1);
    auto num = [&](const std::string& s) { return int(args.parse_double(s, "--" + flag)); };
    if (dash == std::string::npos) {
      out.push_back(num(item));
    } else {
      int a = num(item.substr(0, dash)), b = num(item.substr(dash + 1));
      ARES_CHECK(a <= b && b - a <= 64, "quantize: --", flag, " range '", item,
                 "' must ascend and span at most 64");
      for (int v = a; v <= b; ++v) out.push_back(v);
    }
  }
  ARES_CHECK(!out.empty(), "quantize: --", flag, " is empty");
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// "+0.73% of the float error", or the absolute change when the float model is perfect.
std::string loss_text(double error, double float_error) {
  char buf[64];
  if (float_error > 0) {
    std::snprintf(buf, sizeof buf, "%+.2f%% of the float error", 100 * (error / float_error - 1));
  } else {
    std::snprintf(buf, sizeof buf, "%+.4f against a perfect float model", error);
  }
  return buf;
}

std::string grid_text(const std::vector<campaign::QuantizeRow>& rows, format::Kind kind,
                      const char* name, const std::vector<int>& widths,
                      const std::vector<int>& ints) {
  std::ostringstream os;
  char buf[64];
  os << name << ": error by total bits (rows) and integer bits I (columns); * within the bound\n";
  std::snprintf(buf, sizeof buf, "%6s", "bits");
  os << buf;
  for (int i : ints) {
    std::snprintf(buf, sizeof buf, " %9s", ("I=" + std::to_string(i)).c_str());
    os << buf;
  }
  os << "\n";
  for (int w : widths) {
    std::snprintf(buf, sizeof buf, "%6d", w);
    os << buf;
    for (int i : ints) {
      std::string cell = "-";
      for (const auto& r : rows) {
        if (!r.fmt.is_scaled() && r.fmt.kind() == kind && r.fmt.width() == w &&
            r.fmt.int_bits() == i) {
          std::snprintf(buf, sizeof buf, "%.4f%s", r.error, r.within ? "*" : " ");
          cell = buf;
        }
      }
      std::snprintf(buf, sizeof buf, " %9s", cell.c_str());
      os << buf;
    }
    os << "\n";
  }
  return os.str();
}

}  // namespace

int cmd_quantize(const std::vector<std::string>& argv) {
  Args args("quantize", argv,
            {"model", "checkpoint", "dataset", "bits", "int-bits", "encodings", "floats", "scaled",
             "max-loss", "targets", "eval-limit", "batch", "epochs", "threads", "out"},
            {"help", "quiet", "per-layer"});
  if (args.has("help")) {
    std::fputs(kHelp, stdout);
    return 0;
  }
  ARES_CHECK(args.positional().size() <= 1, "quantize: expected at most one checkpoint, got ",
             args.positional().size());
  std::string ckpt =
      args.get_or("checkpoint", args.positional().empty() ? "" : args.positional()[0]);
  ARES_CHECK(!ckpt.empty() || args.has("model"),
             "quantize: give a checkpoint or --model NAME (see 'ares quantize --help')");
  const std::vector<int> widths = parse_ints(args, "bits", "4-16");
  const std::vector<int> ints = parse_ints(args, "int-bits", "1-6");
  std::vector<bool> sm_flags;
  for (const auto& e : split_list(args.get_or("encodings", "2c,sm"))) {
    ARES_CHECK(e == "2c" || e == "sm", "quantize: --encodings takes 2c and sm, got '", e, "'");
    sm_flags.push_back(e == "sm");
  }
  const auto formats = campaign::quantize_grid(widths, ints, sm_flags,
                                               split_list(args.get_or("floats", "fp16,bf16")),
                                               split_list(args.get_or("scaled", "none")));
  const double max_loss = args.get_double("max-loss", 1.0);
  ARES_CHECK(max_loss >= 0, "quantize: --max-loss must be >= 0, got ", max_loss);
  const int64_t batch = args.get_int("batch", 1000);
  ARES_CHECK(batch >= 1, "quantize: --batch must be >= 1, got ", batch);
  const int64_t eval_limit = args.get_int("eval-limit", 0);
  ARES_CHECK(eval_limit >= 0, "quantize: --eval-limit must be >= 0, got ", eval_limit);
  const int threads = int(args.get_int("threads", campaign::available_cores()));
  ARES_CHECK(threads >= 1, "quantize: --threads must be >= 1, got ", threads);
  const bool quiet = args.has("quiet");
  std::vector<std::string> globs = split_list(args.get_or("targets", "*"));
  campaign::set_compute_threads(threads, 1);

  // The model: a checkpoint, or the zoo model's default checkpoint (trained when missing).
  if (ckpt.empty()) {
    const std::string name = *args.get("model");
    models::create(name);  // validates the name
    const std::string ds = args.get_or("dataset", "fashion-mnist");
    ckpt =
        (fs::path("runs") / (name + "-" + fs::path(ds).filename().string()) / (name + "-s1.ckpt"))
            .string();
    if (!fs::is_regular_file(ckpt)) {
      if (!quiet) std::fprintf(stderr, "quantize: %s missing; training it first\n", ckpt.c_str());
      auto split = data::load_dataset(ds);
      long long epochs = args.get_int("epochs", campaign::default_epochs(name));
      ARES_CHECK(epochs >= 1, "quantize: --epochs must be >= 1, got ", epochs);
      const auto inst = campaign::train_instance(
          name, ds, split, train::TrainOptions().epochs(int(epochs)).seed(1).progress(!quiet),
          threads, ckpt);
      ARES_CHECK(inst.written, "quantize: ", campaign::describe(inst));
    }
  }
  ARES_CHECK(fs::is_regular_file(ckpt), ckpt, ": no such checkpoint file");
  auto loaded = models::load_checkpoint(ckpt);
  if (args.has("model")) {
    ARES_CHECK(loaded.model->name() == *args.get("model"), ckpt, ": holds model ",
               loaded.model->name(), ", not ", *args.get("model"));
  }
  auto model = loaded.model->fold_batchnorm();
  model->eval();
  std::string ds = args.get_or("dataset", loaded.meta["dataset"]);
  ARES_CHECK(!ds.empty(), ckpt, ": checkpoint names no dataset; pass --dataset");
  auto test = data::load_dataset(ds, /*test_only=*/true).test;
  train::check_input_shape(*model, test.images, test.source);
  torch::Tensor images = test.images, labels = test.labels;
  if (eval_limit > 0 && eval_limit < test.size()) {
    images = images.slice(0, 0, eval_limit);
    labels = labels.slice(0, 0, eval_limit);
  }
  auto options =
      campaign::QuantizeOptions().max_loss(max_loss).targets(globs).batch(batch).per_layer(
          args.has("per-layer"));
  if (!quiet) {
    options.progress([](const std::string& scope, size_t done, size_t total) {
      std::fprintf(stderr, "\rquantize: %s %zu/%zu formats%s", scope.c_str(), done, total,
                   done == total ? "\n" : "");
    });
  }
  const campaign::QuantizeResult res =
      campaign::quantize_sweep(*model, images, labels, formats, options);
  const double float_error = res.float_error;
  const auto& all = res.rows;
  std::printf("%s (%s) on %s, %lld test samples: float error %.4f; bound %.4f (+%g%%)\n\n",
              model->name().c_str(), ckpt.c_str(), ds.c_str(), (long long)res.samples, float_error,
              res.bound, max_loss);
  if (std::count(sm_flags.begin(), sm_flags.end(), false)) {
    std::printf("%s\n",
                grid_text(all, format::Kind::kFixed2c, "two's complement", widths, ints).c_str());
  }
  if (std::count(sm_flags.begin(), sm_flags.end(), true)) {
    std::printf("%s\n",
                grid_text(all, format::Kind::kFixedSm, "sign-magnitude", widths, ints).c_str());
  }
  // The float rows' spec column: 6 wide, wider for fp8 specs.
  int spec_width = 6;
  const auto listed = [](const campaign::QuantizeRow& r) {
    return !r.fmt.is_fixed() || r.fmt.is_scaled();
  };
  for (const auto& r : all) {
    if (listed(r)) spec_width = std::max(spec_width, int(r.fmt.spec().size()));
  }
  for (const auto& r : all) {
    if (!listed(r)) continue;
    if (r.fmt.is_scaled()) {
      std::printf("%-*s %.4f%s (%.3f bits per weight)\n", spec_width, r.fmt.spec().c_str(), r.error,
                  r.within ? "*" : " ", r.bits_per_weight);
    } else {
      std::printf("%-*s %.4f%s\n", spec_width, r.fmt.spec().c_str(), r.error, r.within ? "*" : "");
    }
  }
  if (const auto* best = res.recommended()) {
    char bits[32];
    std::snprintf(bits, sizeof bits, best->fmt.is_scaled() ? "%.3f" : "%.0f",
                  best->bits_per_weight);
    std::printf("\nrecommended: %s (%s bits): error %.4f, %s\n", best->fmt.spec().c_str(), bits,
                best->error, loss_text(best->error, float_error).c_str());
  } else {
    auto it = std::min_element(all.begin(), all.end(),
                               [](const auto& a, const auto& b) { return a.error < b.error; });
    std::printf("\nno format of the grid is within +%g%%; the lowest error is %s (%.4f)\n",
                max_loss, it->fmt.spec().c_str(), it->error);
  }
  if (args.has("per-layer")) {
    std::printf("\nper layer (the others float):\n");
    for (const auto& l : res.layers) {
      if (l.fmt) {
        std::printf("  %-8s %-10s (%2d bits) error %.4f\n", l.stage.c_str(), l.fmt->spec().c_str(),
                    l.fmt->width(), l.error);
      } else {
        std::printf("  %-8s no format within the bound\n", l.stage.c_str());
      }
    }
    if (res.combined_error) {
      const double e = *res.combined_error;
      std::printf("  together: error %.4f, %s (%s the bound)\n", e,
                  loss_text(e, float_error).c_str(), e <= res.bound ? "within" : "outside");
    }
  }

  if (auto out = args.get("out")) {
    fs::create_directories(*out);
    std::string path = (fs::path(*out) / "quantize.csv").string();
    analysis::write_file_atomic(path, campaign::quantize_csv(res, ckpt, model->name(), ds));
    if (!quiet) std::fprintf(stderr, "quantize: wrote %s\n", path.c_str());
  }
  return 0;
}

}  // namespace ares::cli
