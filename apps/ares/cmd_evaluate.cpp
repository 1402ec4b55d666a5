#include <torch/torch.h>

#include <cstdio>
#include <sstream>

#include "ares/campaign/spec_types.h"
#include "ares/campaign/threads.h"
#include "ares/common/error.h"
#include "ares/common/files.h"
#include "ares/data/load.h"
#include "ares/models/evaluate.h"
#include "ares/models/torchscript.h"
#include "ares/train/train.h"
#include "args.h"
#include "commands.h"

namespace ares::cli {

int cmd_evaluate(const std::vector<std::string>& argv) {
  Args args("evaluate", argv, {"dataset", "limit", "batch", "threads", "predictions", "metric"},
            {"help"});
  if (args.has("help")) {
    std::printf(
        "usage: ares evaluate MODEL [--dataset D] [--limit N] [--predictions FILE.csv]\n\n"
        "Clean error of a checkpoint or TorchScript file on a test set (float weights, no\n"
        "faults). A checkpoint trained with faults (ares train --inject) lists them after the\n"
        "error. --predictions writes index,label,prediction per sample (a prediction is the\n"
        "first index of the largest logit; -1 where a logit is NaN or Inf).\n"
        "  --dataset D     default: the checkpoint's dataset (required for TorchScript)\n"
        "  --limit N       the first N test samples only\n"
        "  --metric M      top1 (default) or topK: the label not among the K highest logits\n"
        "  --batch B       evaluation batch (default 256)\n"
        "  --threads T     LibTorch threads (default: all cores)\n");
    return 0;
  }
  ARES_CHECK(args.positional().size() == 1, "evaluate: expected one model file, got ",
             args.positional().size());
  int threads = int(args.get_int("threads", campaign::available_cores()));
  ARES_CHECK(threads >= 1, "evaluate: --threads must be >= 1, got ", threads);
  long long batch = args.get_int("batch", 256), limit = args.get_int("limit", 0);
  ARES_CHECK(batch >= 1, "evaluate: --batch must be >= 1, got ", batch);
  ARES_CHECK(limit >= 0, "evaluate: --limit must be >= 0, got ", limit);
  const int top_k = campaign::parse_metric(args.get_or("metric", "top1"));
  campaign::set_compute_threads(threads, 1);
  auto loaded = models::load_model_file(args.positional()[0]);
  std::string dataset = args.get_or("dataset", loaded.meta["dataset"]);
  ARES_CHECK(!dataset.empty(), loaded.path, ": names no dataset; pass --dataset");
  auto test = data::load_dataset(dataset, /*test_only=*/true).test;
  auto model = loaded.model->fold_batchnorm();
  train::check_input_shape(*model, test.images, test.source);
  model->eval();
  torch::Tensor images = test.images, labels = test.labels;
  if (limit > 0 && limit < test.size()) {
    images = images.slice(0, 0, limit);
    labels = labels.slice(0, 0, limit);
  }
  c10::InferenceMode guard;
  std::vector<torch::Tensor> preds;
  int64_t n = labels.size(0), wrong = 0;
  for (int64_t a = 0; a < n; a += batch) {
    int64_t b = std::min<int64_t>(n, a + batch);
    auto logits = model->forward(images.slice(0, a, b));
    ARES_CHECK(logits.dim() == 2 && logits.size(0) == b - a, loaded.path,
               ": the model must return N x classes logits, got ", logits.sizes());
    auto mask = models::wrong_mask(logits, labels.slice(0, a, b), top_k);
    wrong += mask.sum().item<int64_t>();
    auto p = logits.argmax(1);
    p.masked_fill_(torch::isfinite(logits).all(1).logical_not(), -1);
    preds.push_back(p);
  }
  if (auto file = args.get("predictions")) {
    auto all = torch::cat(preds).contiguous();
    std::ostringstream out;
    out << "index,label,prediction\n";
    auto* p = all.data_ptr<int64_t>();
    auto* l = labels.contiguous().data_ptr<int64_t>();
    for (int64_t i = 0; i < n; ++i) out << i << ',' << l[i] << ',' << p[i] << '\n';
    write_file_atomic(*file, out.str());
  }
  const std::string what = top_k == 1 ? "error" : campaign::metric_text(top_k) + " error";
  std::printf("%s  %s %.4f  (%lld of %lld wrong)\n", loaded.path.c_str(), what.c_str(),
              n ? double(wrong) / double(n) : 0.0, (long long)wrong, (long long)n);
  // Checkpoints trained with faults say so (ares train --inject).
  for (int i = 0; loaded.meta.count("inject." + std::to_string(i)); ++i) {
    std::string key = "inject." + std::to_string(i);
    std::printf("  trained with --inject %s: %s faults (%s NaN/Inf) in %s rounds\n",
                loaded.meta[key].c_str(), loaded.meta[key + ".faults"].c_str(),
                loaded.meta[key + ".nonfinite"].c_str(), loaded.meta[key + ".rounds"].c_str());
  }
  return 0;
}

}  // namespace ares::cli
