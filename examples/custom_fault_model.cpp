// Adding a fault model: register what a hit does to a stored code, then campaigns (the C++
// API, and TOML specs parsed in this process) know it by name. Ares still samples which
// values are hit at the rate, keeps protected bits, and draws every random number from the
// trial's own stream. The recipe is the 10 lines between the markers; main() runs a tiny
// campaign with the new model on generated data, on the model and test set in memory (no
// checkpoint file), and writes its results to OUT_DIR, as a check that the example keeps
// working.
//   build/examples/custom_fault_model DATA_DIR OUT_DIR
#include <cstdio>
#include <vector>

#include "ares/campaign/campaign.h"
#include "ares/campaign/in_memory.h"
#include "ares/data/load.h"
#include "ares/fault/fault_model.h"
#include "ares/models/registry.h"
#include "ares/train/train.h"

// ---- the recipe (10 lines): charge leaking out of a memory cell ----
// `decay:P`, value level: a hit value loses the fraction P of its magnitude (default 0.5),
// re-encoded with the format's rounding and saturation.
void register_decay() {
  ares::fault::CustomFaultModel decay;
  decay.name = "decay";
  decay.bit_level = false;
  decay.default_param = 0.5;
  decay.apply = [](uint32_t code, uint32_t, const ares::format::Format& fmt, double p,
                   ares::fault::Rng&) { return fmt.encode(fmt.decode(code) * float(1 - p)); };
  ares::fault::register_fault_model(decay);
}
// ---- end of the recipe ----

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: custom_fault_model DATA_DIR OUT_DIR\n");
    return 2;
  }
  try {
    register_decay();
    torch::manual_seed(1);
    auto model = ares::models::create("mnist_fc");
    auto data = ares::data::load_dataset(argv[1]);
    ares::train::train_model(*model, data, ares::train::TrainOptions().epochs(1).progress(false));
    ares::campaign::CampaignSpec spec;
    spec.checkpoints = {"mnist_fc (in memory)"};  // the instance's name in the rows
    spec.dataset = argv[1];
    spec.configs = ares::campaign::parse_configs({"q2.6-2c"}, {"none", "sign"});
    spec.fault_model = ares::fault::FaultModel::parse("decay:0.9");  // like a built-in model
    spec.bers = ares::campaign::log_grid(1e-3, 1e-1, 3);
    spec.trials = 2;
    spec.progress = false;
    auto result = ares::campaign::run_campaign(spec, {{model}, data.test.images, data.test.labels});
    ares::campaign::write_results(result, argv[2]);
    std::printf("fault model %s\n%s", spec.fault_model.spec().c_str(),
                ares::campaign::summary_table(result).c_str());
    // A check that the model does what it says: at rate 1 every value is hit, and each
    // stored q2.6 value moves to 10% of itself (rounded to the format's step).
    const auto fmt = ares::format::Format::parse("q2.6-2c");
    const auto decay = ares::fault::FaultModel::parse("decay:0.9");
    std::vector<uint32_t> codes(256);
    for (uint32_t c = 0; c < 256; ++c) codes[c] = c;
    ares::fault::Rng rng(ares::fault::stream_key(1, {}));
    uint64_t hits = 0;
    auto changes =
        ares::fault::sample_faults(rng, codes.data(), codes.size(), fmt, fmt.code_mask(), 1.0,
                                   ares::fault::Semantics::kBernoulli, decay, &hits);
    for (auto& ch : changes) codes[ch.index] = ch.code;
    for (uint32_t c = 0; c < 256; ++c) {
      if (hits != 256 || fmt.decode(codes[c]) != fmt.quantize(fmt.decode(c) * 0.1f)) {
        std::fprintf(stderr, "custom_fault_model: code %u decayed to %g\n", c,
                     fmt.decode(codes[c]));
        return 1;
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "custom_fault_model: %s\n", e.what());
    return 1;
  }
  return 0;
}
