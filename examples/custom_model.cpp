// Adding a model to the Ares zoo: register a factory of staged layers, then every command
// (train, campaign, bench) and checkpoints know it by name. The recipe is the 15 lines
// between the markers below; main() trains the model briefly and runs a tiny campaign on
// generated data, as a check that the example keeps working.
//   build/examples/custom_model DATA_DIR OUT_DIR
#include <cstdio>

#include "ares/campaign/campaign.h"
#include "ares/data/load.h"
#include "ares/models/checkpoint.h"
#include "ares/models/registry.h"
#include "ares/train/train.h"

using ares::models::StageOptions;

// ---- the recipe (15 lines): a factory of staged layers, registered by name ----
std::shared_ptr<ares::models::StagedModel> make_tiny_mlp() {
  auto m = std::make_shared<ares::models::StagedModel>("tiny_mlp", std::vector<int64_t>{1, 28, 28});
  StageOptions fc1;  // linear 784 -> 64 on the flattened image, then ReLU
  fc1.in = 784, fc1.out = 64, fc1.flatten = true, fc1.relu = true;
  m->add_stage("fc1", fc1);
  StageOptions fc2;  // linear 64 -> 10: the logits
  fc2.in = 64, fc2.out = 10;
  m->add_stage("fc2", fc2);
  return m;
}

void register_tiny_mlp() {
  ares::models::register_model({"tiny_mlp", "784-64-10 MLP", "mnist-like", make_tiny_mlp});
}
// ---- end of the recipe ----

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: custom_model DATA_DIR OUT_DIR\n");
    return 2;
  }
  try {
    register_tiny_mlp();
    torch::manual_seed(1);
    auto model = ares::models::create("tiny_mlp");
    auto data = ares::data::load_dataset(argv[1]);
    auto r = ares::train::train_model(*model, data, ares::train::TrainOptions().epochs(1));
    std::string ckpt = std::string(argv[2]) + "/tiny_mlp.ckpt";
    ares::models::save_checkpoint(ckpt, *model, {{"dataset", argv[1]}});
    ares::campaign::CampaignSpec spec;
    spec.checkpoints = {ckpt};
    spec.configs = ares::campaign::parse_configs({"q2.6-2c", "q2.6-sm"}, {"none"});
    spec.bers = ares::campaign::log_grid(1e-4, 1e-2, 3);
    spec.trials = 2;
    spec.progress = false;
    auto result = ares::campaign::run_campaign(spec);
    std::printf("tiny_mlp: test error %.4f\n%s", r.test_error,
                ares::campaign::summary_table(result).c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "custom_model: %s\n", e.what());
    return 1;
  }
  return 0;
}
