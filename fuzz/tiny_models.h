#pragma once
// Zoo models small enough to fuzz: load_checkpoint builds the model a file names before it
// reads the tensors, and the real zoo's models cost milliseconds to seconds each. These two
// cover the same code paths (linear, convolution, batch norm with its buffers) in a few
// hundred bytes of checkpoint.

#include "ares/models/registry.h"
#include "ares/models/staged_model.h"

namespace ares::fuzz {

/// Registers "fuzz_fc" (fc 4-3) and "fuzz_bn" (conv 1-2 2x2 + batch norm, fc 18-3) once.
inline void register_tiny_models() {
  static const bool done = [] {
    using Op = models::StageOptions::Op;
    models::register_model({"fuzz_fc", "fuzzing: fc 4-3", "none", [] {
                              auto m = std::make_shared<models::StagedModel>(
                                  "fuzz_fc", std::vector<int64_t>{4});
                              m->add_stage("fc", {Op::kLinear, 4, 3});
                              return m;
                            }});
    models::register_model(
        {"fuzz_bn", "fuzzing: conv 1-2 2x2 + BN, fc 18-3", "none", [] {
           auto m = std::make_shared<models::StagedModel>("fuzz_bn", std::vector<int64_t>{1, 4, 4});
           models::StageOptions conv{Op::kConv2d, 1, 2, 2};
           conv.relu = true;
           conv.batchnorm = true;
           m->add_stage("conv", conv);
           models::StageOptions fc{Op::kLinear, 18, 3};
           fc.flatten = true;
           m->add_stage("fc", fc);
           return m;
         }});
    return true;
  }();
  (void)done;
}

}  // namespace ares::fuzz
