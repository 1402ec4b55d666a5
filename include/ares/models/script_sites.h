#pragma once
/// Fault points anywhere in a TorchScript model (issue 16): at the output of any submodule call
/// or op in forward, by name, in any model (residual blocks and attention included).
///
/// Names. Every module's forward graph (unfrozen: a submodule call is a prim::CallMethod) is
/// read in order. A call of child `c` gives the site `PATH.c` (the child's output; a second
/// call of the same child `PATH.c_1`); an op with one float tensor output gives `PATH.KIND`,
/// named as torch.fx names nodes: `add`, `add_1`, ... in the order they appear, the op's kind
/// without its namespace (`aten::layer_norm` -> `layer_norm`, an index into a tuple ->
/// `getitem`), never a child's name. PATH is the module's path (`layer1.0`), empty at the top.
/// The walk goes into every child the graph calls except torch.nn's own leaf modules (Linear,
/// Conv2d, LayerNorm, MultiheadAttention, ...), whose outputs are the sites. In-place ops
/// (`relu_`) and values that are not tensors are not sites.
///
/// A fault point is an operator, `ares::fault_point(Tensor x, int point, Any owner)`, put into
/// the owner module's graph after the value and used in its place from there on. Modules of one
/// type share their graph, so the point compares the module it runs in with its owner and
/// leaves other instances' values alone. Inside forward(x, fn) every point reached calls fn.

#include <ATen/core/ivalue.h>
#include <torch/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace torch::jit {
struct Module;
}  // namespace torch::jit

namespace ares::models {

/// One value of a module's forward a fault point can be put at.
struct GraphSiteName {
  std::string name;  ///< "layer1.0.conv2" (a submodule's output), "layer1.0.add" (an op's)
  std::string what;  ///< "Conv2d" (the submodule's type) or "aten::add at net.py:12"
};

/// Every name of `module`, in the order of the walk (models/script_sites.h).
std::vector<GraphSiteName> graph_site_names(const torch::jit::Module& module);

/// graph_site_names of the module in `archive` (a TorchScript file's bytes).
std::vector<GraphSiteName> graph_site_names(const std::string& archive);

/// The names of `names` nearest to `wanted` (edit distance), at most `count`, for messages.
std::vector<std::string> nearest_names(const std::vector<GraphSiteName>& names,
                                       const std::string& wanted, size_t count = 4);

/// What a point does with the value reaching it: given the point's index (in the order of the
/// names given to FaultPointModel) and the value, returns the value to go on with.
using FaultPointFn = std::function<torch::Tensor(size_t point, const torch::Tensor& value)>;

/// A TorchScript module with fault points at named values. Not thread-safe: one per thread.
class FaultPointModel {
 public:
  /// Loads its own copy of the module from `archive` (a TorchScript file's bytes) and puts a
  /// point at each of `names`. `label` names the model in messages. Throws ares::InputError
  /// for a name that is not one of graph_site_names, listing the nearest.
  FaultPointModel(const std::string& archive, const std::vector<std::string>& names,
                  const std::string& label);
  ~FaultPointModel();
  FaultPointModel(const FaultPointModel&) = delete;
  FaultPointModel& operator=(const FaultPointModel&) = delete;

  /// The module's forward on `x` (in eval mode, on the CPU), with `fn` called at every point
  /// it reaches on this thread: the logits (checked as for any TorchScript model). `reached`,
  /// if given, receives how often each point was reached.
  torch::Tensor forward(const torch::Tensor& x, const FaultPointFn& fn,
                        std::vector<int64_t>* reached = nullptr);
  size_t points() const { return owners_.size(); }

 private:
  std::unique_ptr<torch::jit::Module> module_;
  std::vector<const void*> owners_;  // per point, the module object it acts in
};

/// A TorchScript module's forward on a batch, or ares::InputError in one line (its own error).
c10::IValue script_forward(torch::jit::Module& module, torch::Tensor x);

/// A TorchScript module's forward on a batch: its logits (N x classes), or ares::InputError
/// in one line (its own error, an output that is not one logits tensor).
torch::Tensor script_logits(torch::jit::Module& module, torch::Tensor x);

}  // namespace ares::models
