#pragma once
/// A TorchScript module's forward read as a chain of Ares stages (issue 16).
///
/// When `forward` is a chain (each step consumes the previous step's output) of submodule
/// calls (torch.nn.Linear, Conv2d, ReLU, Tanh, MaxPool2d, Flatten, and any submodule, such as
/// nn.Sequential, whose own forward is such a chain) and functional ops (torch.relu / F.relu,
/// torch.tanh / F.tanh, max_pool2d with kernel == stride and no padding, dilation or
/// ceil_mode, torch.flatten(x, 1), x.view(x.size(0), -1) and x.reshape(x.size(0), -1)), each
/// Linear or Conv2d becomes one stage, with the flatten before it and the activation and
/// max-pool after it folded in (StageOptions' order: flatten -> op -> relu or tanh -> pool; a
/// ReLU after the pool is folded too, since max-pool and ReLU commute exactly).

#include <string>
#include <vector>

#include "ares/models/staged_model.h"

namespace torch::jit {
struct Module;
}  // namespace torch::jit

namespace ares::models {

/// One recognised Linear or Conv2d with what follows it, or a module stage: a submodule the
/// chain calls that Ares does not run natively (a residual block, attention, batch norm, a
/// strided convolution, ...), run densely by its own forward.
struct ScriptLayer {
  std::string path;            ///< the submodule's path in the module: "features.0"
  StageOptions options;        ///< kLinear or kConv2d, or kModule; with flatten, relu or tanh, pool
  torch::Tensor weight, bias;  ///< kLinear, kConv2d: the submodule's own tensors (shared)
};

/// The result of recognize_chain: the layers, or why the module is not a chain.
struct ScriptChain {
  std::vector<ScriptLayer> layers;  ///< empty when not recognised
  std::string why;                  ///< set when not recognised: "found aten::add at net.py:12"
};

/// Reads `module`'s forward graph (unfrozen: submodule calls as prim::CallMethod). A call of a
/// submodule that is not itself such a chain, or a torch.nn layer Ares does not fold (or one
/// with options it does not take), is a module stage (kModule) when the chain around it holds:
/// the chain's steps still each consume the previous one's output, and at least one Linear or
/// Conv2d must run natively. Refused, with the reason in `why`: in forward itself (not inside
/// a module stage) any other op, a value used twice (a branch or residual), a functional
/// max-pool with kernel != stride, padding, dilation or ceil_mode, an activation or pool that
/// does not follow a stage, a flatten not followed by a Linear or module stage, a submodule
/// called twice, parameters outside the stages. Never throws for an unrecognised graph.
ScriptChain recognize_chain(const torch::jit::Module& module);

/// A module's type without TorchScript's prefix and mangling:
/// "__torch__.torch.nn.modules.linear.___torch_mangle_1.Linear" ->
/// "torch.nn.modules.linear.Linear".
std::string module_type_name(const torch::jit::Module& m);

/// The stage name of a submodule path: dots become underscores ("features.0" -> "features_0"),
/// since LibTorch refuses dotted submodule names.
std::string stage_name_of(const std::string& path);

}  // namespace ares::models
