// Uses the installed Ares as a library: a format, the fault sampler, and a campaign on a zoo
// model and tensors in memory. Prints one line; exits non-zero when something is off.
#include <cstdio>

#include "ares/campaign/in_memory.h"
#include "ares/format/format.h"
#include "ares/models/registry.h"

int main() {
  const auto fmt = ares::format::Format::parse("q2.6-sm");
  if (fmt.decode(fmt.encode(0.5f)) != 0.5f) return 1;
  torch::manual_seed(1);
  auto model = ares::models::create("mnist_fc");
  auto images = torch::rand({32, 1, 28, 28});
  torch::Tensor labels;
  {
    c10::InferenceMode guard;
    labels = model->forward(images).argmax(1);
  }
  ares::campaign::CampaignSpec spec;
  spec.checkpoints = {"consumer"};
  spec.configs = ares::campaign::parse_configs({"q2.6-2c"}, {"none"});
  spec.bers = {1e-4, 1e-3};
  spec.trials = 2;
  spec.progress = false;
  auto result = ares::campaign::run_campaign(spec, {{model}, images, labels});
  if (result.rows.size() != 4) return 1;
  std::printf("consumer: %zu trials, baseline error %.3f\n", result.rows.size(),
              result.summaries.at(0).baseline_error);
  return 0;
}
