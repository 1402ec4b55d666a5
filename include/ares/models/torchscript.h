#pragma once
/// Bring your own model: any TorchScript module as an Ares model, staged from its graph when
/// its forward is a chain of Linear/Conv2d layers, else as one stage.

#include <string>

#include "ares/models/checkpoint.h"

namespace ares::models {

/// True when `path` looks like a TorchScript archive (a zip file: "PK" magic).
bool is_torchscript(const std::string& path);

/// How load_torchscript makes stages of a module.
enum class Staging {
  /// A native stage per Linear/Conv2d when forward is a chain of them (models/script_chain.h)
  /// and the stages give forward's logits bit for bit on a seeded random batch; else one stage.
  kGraph,
  kOneStage,  ///< one module stage "script" running forward as a whole
};

/// Loads a TorchScript module (torch.jit.script / torch.jit.trace, then .save) as a model. The
/// module runs in eval mode; forward takes one tensor (a batch) and must return the logits
/// (N x classes). The input shape is not known in advance: the dataset's is used.
///
/// Staged from the graph (Staging::kGraph), each Linear or Conv2d at submodule path P is a
/// stage named P with dots replaced by underscores (features.0 -> features_0), its activation
/// and max-pool folded in, its parameters "features_0.weight" and "features_0.bias" (copies of
/// the module's); the fast engine then reuses clean prefixes and updates sparsely, as for zoo
/// models. As one stage (Staging::kOneStage, or a forward that is not such a chain) the stage
/// is "script" and the parameters keep their TorchScript names under it
/// ("script.features.0.weight"); train::check_input_shape then prints one line on stderr saying
/// why it is one stage. Either way train::check_input_shape runs the module's own forward on
/// the data's first sample (its errors are the model's, as before) and, staged, requires the
/// same logits bit for bit.
///
/// meta["model"] is "torchscript", meta["dataset"] empty (pass --dataset), meta["stages"]
/// "graph" or "one". Throws ares::InputError naming the file when it is not a loadable
/// TorchScript module or holds NaN/Inf weights.
Loaded load_torchscript(const std::string& path, Staging staging);

/// load_torchscript(path, kGraph), or kOneStage when the environment variable
/// ARES_TORCHSCRIPT_STAGES is 0.
Loaded load_torchscript(const std::string& path);

/// load_torchscript for TorchScript files, load_checkpoint otherwise.
Loaded load_model_file(const std::string& path);

}  // namespace ares::models
