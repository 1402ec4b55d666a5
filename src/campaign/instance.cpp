#include "ares/campaign/instance.h"

#include <torch/torch.h>

#include <cstdio>

#include "ares/campaign/threads.h"
#include "ares/common/version.h"
#include "ares/models/registry.h"

namespace ares::campaign {

int default_epochs(const std::string& model_name) { return model_name == "mnist_fc" ? 10 : 2; }

TrainedInstance train_instance(const std::string& model_name, const std::string& dataset,
                               const data::Split& data, const train::TrainOptions& options,
                               int threads, const std::string& path) {
  TrainedInstance out;
  out.path = path;
  torch::manual_seed(options.seed_);
  auto model = models::create(model_name);
  out.result = train::train_model(*model, data, options);
  const auto& r = out.result;
  out.meta = {
      {"dataset", dataset},
      {"seed", std::to_string(options.seed_)},
      {"epochs", std::to_string(options.epochs_)},
      {"batch", std::to_string(options.batch_size_)},
      {"learning_rate", std::to_string(options.learning_rate_)},
      {"train_limit", std::to_string(options.limit_)},
      {"threads", std::to_string(threads)},
      {"test_error", std::to_string(r.test_error)},
      {"ares_version", ares::version()},
      {"git_revision", ares::git_revision()},
      {"libtorch_version", TORCH_VERSION},
  };
  // The recipe, always (the defaults too), so a checkpoint says how it was trained.
  for (const auto& [key, value] : train::recipe_metadata(options)) out.meta[key] = value;
  // What was injected, per site: "inject.N" = canonical spec, then its counts.
  for (size_t i = 0; i < r.injections.size(); ++i) {
    const auto& st = r.injections[i];
    const std::string key = "inject." + std::to_string(i);
    out.meta[key] = st.spec;
    out.meta[key + ".rounds"] = std::to_string(st.rounds);
    out.meta[key + ".hits"] = std::to_string(st.hits);
    out.meta[key + ".faults"] = std::to_string(st.faults);
    out.meta[key + ".nonfinite"] = std::to_string(st.nonfinite);
  }
  add_platform(out.meta, describe_platform(0));
  if (options.device_ != "cpu") out.meta["device"] = options.device_;  // CPU bytes unchanged
  if (!r.injections.empty()) out.meta["final_loss"] = std::to_string(r.final_loss);
  if (r.nonfinite_parameters == 0) {
    models::save_checkpoint(path, *model, out.meta);
    out.written = true;
  }
  return out;
}

std::string describe(const TrainedInstance& instance) {
  const auto& r = instance.result;
  char buf[160];
  std::snprintf(buf, sizeof buf, "  seed %s  test error %.4f  (%.1fs)",
                instance.meta.at("seed").c_str(), r.test_error, r.seconds);
  std::string line = instance.path + buf;
  if (!instance.written) {
    line +=
        "  not written: " + std::to_string(r.nonfinite_parameters) + " parameters are NaN or Inf";
  }
  return line;
}

}  // namespace ares::campaign
