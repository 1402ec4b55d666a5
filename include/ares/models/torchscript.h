#pragma once
/// Bring your own model: any TorchScript module as a one-stage Ares model.

#include <string>

#include "ares/models/checkpoint.h"

namespace ares::models {

/// True when `path` looks like a TorchScript archive (a zip file: "PK" magic).
bool is_torchscript(const std::string& path);

/// Loads a TorchScript module (torch.jit.script / torch.jit.trace, then .save) as a model with
/// one module stage named "script": its parameters keep their TorchScript names under that
/// stage ("script.features.0.weight"), so weight campaigns target them by glob like any zoo
/// model's. The module runs in eval mode; forward takes one tensor (a batch) and must return
/// the logits (N x classes). The input shape is not known in advance: the dataset's is used.
/// meta["model"] is "torchscript", meta["dataset"] empty (pass --dataset). Throws
/// ares::InputError naming the file when it is not a loadable TorchScript module or holds
/// NaN/Inf weights.
Loaded load_torchscript(const std::string& path);

/// load_torchscript for TorchScript files, load_checkpoint otherwise.
Loaded load_model_file(const std::string& path);

}  // namespace ares::models
