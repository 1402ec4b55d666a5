// ares sites MODEL: every fault site of a model, with its shape and value count.

#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "ares/campaign/site.h"
#include "ares/campaign/threads.h"
#include "ares/common/error.h"
#include "ares/common/files.h"
#include "ares/data/load.h"
#include "ares/models/registry.h"
#include "ares/models/torchscript.h"
#include "ares/train/train.h"
#include "args.h"
#include "commands.h"

namespace ares::cli {
namespace {

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s;
  for (int64_t d : shape) s += (s.empty() ? "" : "x") + std::to_string(d);
  return s.empty() ? "1" : s;
}

std::string json_shape(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

}  // namespace

int cmd_sites(const std::vector<std::string>& argv) {
  Args args("sites", argv, {"dataset"}, {"json", "help"});
  if (args.has("help")) {
    std::printf(
        "usage: ares sites MODEL [--dataset D] [--json]\n\n"
        "Every fault site of a model, as `ares campaign --site` names them:\n"
        "  weights       the parameters (each with its shape and value count; --targets\n"
        "                globs select among them)\n"
        "  act:STAGE     a stage's output, stored per sample (every stage but the last)\n"
        "  hidden:STAGE  a GRU stage's hidden state after every step, per sample\n"
        "MODEL is a checkpoint, a TorchScript file or a zoo model name (ares models).\n"
        "  --dataset D   the data whose sample shape the model takes (default: the\n"
        "                checkpoint's dataset; a zoo model's own input shape; required for\n"
        "                TorchScript)\n"
        "  --json        one JSON object on stdout\n");
    return 0;
  }
  ARES_CHECK(args.positional().size() == 1,
             "sites: expected one model (a checkpoint, a "
             "TorchScript file or a zoo name), got ",
             args.positional().size());
  const std::string& what = args.positional()[0];
  campaign::set_compute_threads(1, 1);
  std::shared_ptr<models::StagedModel> model;
  std::string dataset = args.get_or("dataset", "");
  if (std::filesystem::exists(what)) {
    auto loaded = models::load_model_file(what);
    model = loaded.model->fold_batchnorm();
    if (dataset.empty()) dataset = loaded.meta["dataset"];
  } else {
    model = models::create(what);  // throws listing the zoo for an unknown name
  }
  model->eval();
  // One sample of the shape the model takes: from the data, else the model's own.
  torch::Tensor x;
  if (!dataset.empty()) {
    auto test = data::load_dataset(dataset, /*test_only=*/true).test;
    ARES_CHECK(test.size() > 0, "sites: dataset ", dataset, " has no test samples");
    train::check_input_shape(*model, test.images, test.source);
    x = test.images.slice(0, 0, 1).clone();
  } else {
    ARES_CHECK(!model->input_shape().empty(), "sites: ", what,
               " does not say its input shape; pass --dataset");
    auto shape = model->input_shape();
    shape.insert(shape.begin(), 1);
    x = torch::zeros(shape);
  }

  const auto sites = campaign::list_sites(*model, x);
  int64_t weights = 0;
  for (const auto& s : sites) {
    if (s.site == "weights") weights += s.values;
  }

  if (args.has("json")) {
    std::ostringstream os;
    os << "{\"model\":" << json_string(model->name()) << ",\"weights\":" << weights
       << ",\"parameters\":[";
    bool first = true;
    for (const auto& s : sites) {
      if (s.site != "weights") continue;
      os << (first ? "" : ",") << "{\"name\":" << json_string(s.parameter)
         << ",\"shape\":" << json_shape(s.shape) << ",\"values\":" << s.values << "}";
      first = false;
    }
    os << "],\"sites\":[{\"site\":\"weights\",\"values\":" << weights << ",\"per\":\"model\"}";
    for (const auto& s : sites) {
      if (s.site == "weights") continue;
      os << ",{\"site\":" << json_string(s.site) << ",\"shape\":" << json_shape(s.shape)
         << ",\"values\":" << s.values << ",\"per\":\"sample\"}";
    }
    os << "]}\n";
    std::fputs(os.str().c_str(), stdout);
    return 0;
  }
  // Columns as wide as the longest name (24 at least, as before).
  int w = 24;
  for (const auto& s : sites) {
    w = std::max(w, int(s.site == "weights" ? s.parameter.size() + 2 : s.site.size()));
  }
  std::printf("%-*s %-16s %12s  %s\n", w, "site", "shape", "values", "per");
  std::printf("%-*s %-16s %12lld  model\n", w, "weights", "", static_cast<long long>(weights));
  for (const auto& s : sites) {
    if (s.site != "weights") continue;
    std::printf("  %-*s %-16s %12lld\n", w - 2, s.parameter.c_str(), shape_text(s.shape).c_str(),
                static_cast<long long>(s.values));
  }
  for (const auto& s : sites) {
    if (s.site == "weights") continue;
    std::printf("%-*s %-16s %12lld  sample\n", w, s.site.c_str(), shape_text(s.shape).c_str(),
                static_cast<long long>(s.values));
  }
  return 0;
}

}  // namespace ares::cli
