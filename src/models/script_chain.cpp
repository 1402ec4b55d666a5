#include "ares/models/script_chain.h"

#include <torch/csrc/jit/ir/constants.h>
#include <torch/script.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <utility>

namespace ares::models {

// "__torch__.torch.nn.modules.linear.___torch_mangle_1.Linear" -> "torch.nn.modules.linear.Linear"
std::string module_type_name(const torch::jit::Module& m) {
  const auto& name = m.type()->name();
  if (!name) return "";
  static const std::regex mangle("___torch_mangle_[0-9]+\\.");
  std::string s = std::regex_replace(name->qualifiedName(), mangle, "");
  const std::string root = "__torch__.";
  return s.rfind(root, 0) == 0 ? s.substr(root.size()) : s;
}

namespace {

using torch::jit::Node;
using torch::jit::Value;
namespace prim = c10::prim;
namespace aten = c10::aten;

// One step of the chain, before the steps are grouped into stages.
struct Step {
  enum class Kind { kLayer, kRelu, kTanh, kPool, kFlatten } kind;
  ScriptLayer layer;  // kLayer: a Linear or Conv2d
  int64_t pool = 0;   // kPool: kernel and stride
  std::string what;   // for messages: "aten::relu at net.py:12", "features.1 (ReLU)"
};

std::string short_type(const std::string& type) { return type.substr(type.rfind('.') + 1); }

std::string join(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "." + name;
}

// "aten::add at net.py:12", where the graph keeps its source.
std::string where(const Node* n) {
  std::string s = n->kind().toQualString();
  if (n->kind() == prim::CallFunction) {
    if (auto f = n->input(0)->type()->cast<c10::FunctionType>()) {
      s = f->function()->qualname().qualifiedName();
    }
  } else if (n->kind() == prim::CallMethod) {
    s += " " + n->s(c10::attr::name);
  }
  if (auto flc = n->sourceRange().file_line_col()) {
    s += " at " + std::filesystem::path(std::get<0>(*flc)).filename().string() + ":" +
         std::to_string(std::get<1>(*flc));
  }
  return s;
}

// An int or a list or tuple of ints (TorchScript spells kernel_size=2 as [2, 2] or (2, 2)).
std::optional<std::vector<int64_t>> ints_of(const c10::IValue& v) {
  if (v.isInt()) return std::vector<int64_t>{v.toInt()};
  if (v.isIntList()) return v.toIntVector();
  std::vector<int64_t> out;
  auto add = [&out](const c10::IValue& e) {
    if (!e.isInt()) return false;
    out.push_back(e.toInt());
    return true;
  };
  if (v.isTuple()) {
    for (const auto& e : v.toTupleRef().elements()) {
      if (!add(e)) return std::nullopt;
    }
    return out;
  }
  if (v.isList()) {
    for (const auto& e : v.toListRef()) {
      if (!add(e)) return std::nullopt;
    }
    return out;
  }
  return std::nullopt;
}

std::optional<std::vector<int64_t>> ints_of(const Value* v) {
  if (auto iv = torch::jit::toIValue(v)) return ints_of(*iv);
  if (v->node()->kind() != prim::ListConstruct) return std::nullopt;
  std::vector<int64_t> out;
  for (const Value* e : v->node()->inputs()) {
    auto iv = torch::jit::toIValue(e);
    if (!iv || !iv->isInt()) return std::nullopt;
    out.push_back(iv->toInt());
  }
  return out;
}

// Every entry equal to x (and at least one).
bool all_are(const std::optional<std::vector<int64_t>>& v, int64_t x) {
  return v && !v->empty() && std::all_of(v->begin(), v->end(), [x](int64_t e) { return e == x; });
}

// The single value of a square option (2 or [2, 2]), else nullopt.
std::optional<int64_t> square(const std::optional<std::vector<int64_t>>& v) {
  if (!v || v->empty() || !all_are(v, v->front())) return std::nullopt;
  return v->front();
}

bool is_false(const c10::IValue& v) { return v.isBool() && !v.toBool(); }
bool is_false(const Value* v) {
  auto iv = torch::jit::toIValue(v);
  return iv && is_false(*iv);
}
bool is_none(const Value* v) {
  auto iv = torch::jit::toIValue(v);
  return iv && iv->isNone();
}

// A max-pool Ares folds into a stage: kernel == stride, no padding, dilation or ceil_mode.
std::optional<int64_t> pool_kernel(const std::optional<std::vector<int64_t>>& kernel,
                                   const std::optional<std::vector<int64_t>>& stride,
                                   bool stride_none, const std::optional<std::vector<int64_t>>& pad,
                                   const std::optional<std::vector<int64_t>>& dilation,
                                   bool ceil_false) {
  auto k = square(kernel);
  if (!k || *k < 1) return std::nullopt;
  const bool stride_ok = stride_none || (stride && stride->empty()) || all_are(stride, *k);
  if (!stride_ok || !all_are(pad, 0) || !all_are(dilation, 1) || !ceil_false) return std::nullopt;
  return k;
}

class Walker {
 public:
  std::vector<Step> steps;
  std::string why;

  bool refuse(std::string reason) {
    if (why.empty()) why = std::move(reason);
    return false;
  }

  // Appends the steps of `self`'s forward, whose module path is `prefix`.
  bool walk(const torch::jit::Module& self, const std::string& prefix) {
    auto fwd = self.find_method("forward");
    if (!fwd) return refuse((prefix.empty() ? "the module" : prefix) + " has no forward");
    auto graph = fwd->graph();
    if (graph->inputs().size() != 2) {
      return refuse((prefix.empty() ? "forward" : prefix + ".forward") + " takes " +
                    std::to_string(graph->inputs().size() - 1) + " arguments, not one tensor");
    }
    std::map<const Value*, std::pair<torch::jit::Module, std::string>> modules;
    modules.emplace(graph->inputs()[0], std::make_pair(self, prefix));
    const Value* cur = graph->inputs()[1];
    std::set<const Value*> batch_sizes;  // aten::size(cur, 0)
    for (const Node* n : graph->nodes()) {
      const auto k = n->kind();
      if (k == prim::Constant || k == prim::ListConstruct) continue;  // read by the ops below
      if (k == prim::GetAttr) {
        auto it = modules.find(n->input(0));
        if (it == modules.end()) return refuse("found " + where(n));
        const std::string& name = n->s(c10::attr::name);
        auto v = it->second.first.attr(name);
        if (v.isModule()) {
          modules.emplace(n->output(), std::make_pair(v.toModule(), join(it->second.second, name)));
        }
        continue;  // a tensor or flag read here can only reach the output through an op below
      }
      if (k == aten::size && n->input(0) == cur && n->inputs().size() == 2 &&
          all_are(ints_of(n->input(1)), 0)) {
        batch_sizes.insert(n->output());
        continue;
      }
      const bool method = k == prim::CallMethod || k == prim::CallFunction;
      const size_t arg = method ? 1 : 0;  // the tensor argument; 0 is the module or function
      const Value* x = n->inputs().size() > arg ? n->input(arg) : nullptr;
      if (x != cur) return refuse("found " + where(n));
      if (!only_use(cur, n))
        return refuse("the output of one step is used twice (at " + where(n) + ")");
      if (k == prim::CallMethod) {
        auto it = modules.find(n->input(0));
        if (it == modules.end() || n->s(c10::attr::name) != "forward" || n->inputs().size() != 2) {
          return refuse("found " + where(n));
        }
        if (!submodule(it->second.first, it->second.second)) return false;
      } else if (!op(n, batch_sizes)) {
        return false;
      }
      cur = n->output();
    }
    if (graph->outputs().size() != 1 || graph->outputs()[0] != cur) {
      return refuse((prefix.empty() ? "forward" : prefix + ".forward") +
                    " does not return its last step's output");
    }
    if (!only_use(cur, graph->return_node())) return refuse("the output is used twice");
    return true;
  }

 private:
  // Nothing but `consumer` (and aten::size, for x.view(x.size(0), -1)) reads `v`.
  static bool only_use(const Value* v, const Node* consumer) {
    return std::all_of(v->uses().begin(), v->uses().end(), [&](const torch::jit::Use& u) {
      return u.user == consumer || u.user->kind() == aten::size;
    });
  }

  // A submodule call: its recognised steps, else (a layer Ares does not run natively, a block
  // whose forward is not a chain: a residual block, attention, batch norm, a strided
  // convolution) one module step running its own forward.
  bool submodule(const torch::jit::Module& m, const std::string& path) {
    const size_t mark = steps.size();
    const std::string before = why;
    if (native(m, path)) return true;
    steps.resize(mark);
    ScriptLayer l;
    l.path = path;
    l.options.op = StageOptions::Op::kModule;
    why = before;
    steps.push_back({Step::Kind::kLayer, l, 0,
                     path + " (" + short_type(module_type_name(m)) + ", as a module stage)"});
    return true;
  }

  bool native(const torch::jit::Module& m, const std::string& path) {
    const std::string type = module_type_name(m);
    const std::string named = path + " (" + short_type(type) + ")";
    if (type == "torch.nn.modules.linear.Linear") return linear(m, path);
    if (type == "torch.nn.modules.conv.Conv2d") return conv(m, path);
    if (type == "torch.nn.modules.activation.ReLU") {
      steps.push_back({Step::Kind::kRelu, {}, 0, named});
      return true;
    }
    if (type == "torch.nn.modules.activation.Tanh") {
      steps.push_back({Step::Kind::kTanh, {}, 0, named});
      return true;
    }
    if (type == "torch.nn.modules.pooling.MaxPool2d") {
      auto k = pool_kernel(ints_of(m.attr("kernel_size")), ints_of(m.attr("stride")),
                           m.attr("stride").isNone(), ints_of(m.attr("padding")),
                           ints_of(m.attr("dilation")), is_false(m.attr("ceil_mode")));
      if (!k || !is_false(m.attr("return_indices"))) {
        return refuse(named +
                      " has padding, dilation, ceil_mode or a stride other than its kernel");
      }
      steps.push_back({Step::Kind::kPool, {}, *k, named});
      return true;
    }
    if (type == "torch.nn.modules.flatten.Flatten") {
      if (!all_are(ints_of(m.attr("start_dim")), 1) || !all_are(ints_of(m.attr("end_dim")), -1)) {
        return refuse(named + " does not flatten from dimension 1 to the last");
      }
      steps.push_back({Step::Kind::kFlatten, {}, 0, named});
      return true;
    }
    // Other torch.nn modules (BatchNorm2d, Dropout, ...) are not folded; a container or a
    // module of the user's is read through its own forward.
    if (type.rfind("torch.nn.modules.", 0) == 0 &&
        type != "torch.nn.modules.container.Sequential") {
      return refuse("found " + named);
    }
    return walk(m, path);
  }

  bool linear(const torch::jit::Module& m, const std::string& path) {
    auto w = m.attr("weight"), b = m.attr("bias");
    if (!b.isTensor()) return refuse(path + " (Linear) has no bias");
    ScriptLayer l;
    l.path = path;
    l.weight = w.toTensor();
    l.bias = b.toTensor();
    if (l.weight.dim() != 2) return refuse(path + " (Linear) has a weight that is not 2-D");
    l.options.op = StageOptions::Op::kLinear;
    l.options.out = l.weight.size(0);
    l.options.in = l.weight.size(1);
    steps.push_back({Step::Kind::kLayer, l, 0, path + " (Linear)"});
    return true;
  }

  bool conv(const torch::jit::Module& m, const std::string& path) {
    const std::string named = path + " (Conv2d)";
    auto b = m.attr("bias");
    if (!b.isTensor()) return refuse(named + " has no bias");
    ScriptLayer l;
    l.path = path;
    l.weight = m.attr("weight").toTensor();
    l.bias = b.toTensor();
    auto pm = m.attr("padding_mode");
    if (!pm.isString() || pm.toStringRef() != "zeros")
      return refuse(named + " pads other than zeros");
    auto pad = square(ints_of(m.attr("padding")));  // a string ("same") is not taken
    if (!pad) return refuse(named + " has padding Ares does not take (not one number)");
    if (!all_are(ints_of(m.attr("stride")), 1)) return refuse(named + " has a stride other than 1");
    if (!all_are(ints_of(m.attr("dilation")), 1))
      return refuse(named + " has a dilation other than 1");
    if (!all_are(ints_of(m.attr("groups")), 1)) return refuse(named + " has groups");
    if (l.weight.dim() != 4 || l.weight.size(2) != l.weight.size(3)) {
      return refuse(named + " has a kernel that is not square");
    }
    l.options.op = StageOptions::Op::kConv2d;
    l.options.out = l.weight.size(0);
    l.options.in = l.weight.size(1);
    l.options.kernel = l.weight.size(2);
    l.options.padding = *pad;
    steps.push_back({Step::Kind::kLayer, l, 0, named});
    return true;
  }

  // A functional op on the chain's value (input 0, or 1 for prim::CallFunction).
  bool op(const Node* n, const std::set<const Value*>& batch_sizes) {
    const auto k = n->kind();
    const std::string what = where(n);
    std::string fn;
    if (k == prim::CallFunction) {
      auto f = n->input(0)->type()->cast<c10::FunctionType>();
      if (!f) return refuse("found " + what);
      fn = f->function()->qualname().qualifiedName();  // "__torch__.torch.nn.functional.relu"
      if (fn.rfind("__torch__.", 0) == 0) fn = fn.substr(10);
    }
    if (k == aten::relu || k == aten::relu_ ||
        (fn == "torch.nn.functional.relu" && n->inputs().size() == 3)) {
      steps.push_back({Step::Kind::kRelu, {}, 0, what});
      return true;
    }
    if (k == aten::tanh || k == aten::tanh_ ||
        (fn == "torch.nn.functional.tanh" && n->inputs().size() == 2)) {
      steps.push_back({Step::Kind::kTanh, {}, 0, what});
      return true;
    }
    if (k == aten::max_pool2d && n->inputs().size() == 6) {
      auto p = pool_kernel(ints_of(n->input(1)), ints_of(n->input(2)), false, ints_of(n->input(3)),
                           ints_of(n->input(4)), is_false(n->input(5)));
      if (!p)
        return refuse(what + " has padding, dilation, ceil_mode or a stride other than its kernel");
      steps.push_back({Step::Kind::kPool, {}, *p, what});
      return true;
    }
    if (fn == "torch.nn.functional._max_pool2d" && n->inputs().size() == 8) {
      auto p = pool_kernel(ints_of(n->input(2)), ints_of(n->input(3)), is_none(n->input(3)),
                           ints_of(n->input(4)), ints_of(n->input(5)), is_false(n->input(6)));
      if (!p || !is_false(n->input(7))) {
        return refuse(what + " has padding, dilation, ceil_mode or a stride other than its kernel");
      }
      steps.push_back({Step::Kind::kPool, {}, *p, what});
      return true;
    }
    if (k == aten::flatten && n->inputs().size() == 3) {
      if (!all_are(ints_of(n->input(1)), 1) || !all_are(ints_of(n->input(2)), -1)) {
        return refuse(what + " does not flatten from dimension 1 to the last");
      }
      steps.push_back({Step::Kind::kFlatten, {}, 0, what});
      return true;
    }
    if ((k == aten::view || k == aten::reshape) && n->inputs().size() == 2) {
      // x.view(x.size(0), -1): the list [batch size, -1].
      const Node* list = n->input(1)->node();
      if (list->kind() != prim::ListConstruct || list->inputs().size() != 2 ||
          !batch_sizes.count(list->input(0)) || !all_are(ints_of(list->input(1)), -1)) {
        return refuse(what + " is not x.view(x.size(0), -1)");
      }
      steps.push_back({Step::Kind::kFlatten, {}, 0, what});
      return true;
    }
    return refuse("found " + what);
  }
};

}  // namespace

std::string stage_name_of(const std::string& path) {
  std::string s = path;
  std::replace(s.begin(), s.end(), '.', '_');
  return s;
}

ScriptChain recognize_chain(const torch::jit::Module& module) {
  ScriptChain out;
  Walker w;
  if (!w.walk(module, "")) {
    out.why = w.why;
    return out;
  }
  // Group: [flatten] Linear|Conv2d [relu|tanh] [pool] (and relu after the pool).
  std::vector<ScriptLayer> layers;
  bool flatten = false;
  for (const Step& s : w.steps) {
    StageOptions* o = layers.empty() ? nullptr : &layers.back().options;
    const bool open = o && !flatten;  // a stage the step may fold into
    switch (s.kind) {
      case Step::Kind::kLayer:
        if (flatten && s.layer.options.op == StageOptions::Op::kConv2d) {
          out.why = s.what + " follows a flatten";
          return out;
        }
        layers.push_back(s.layer);
        layers.back().options.flatten = flatten;
        flatten = false;
        break;
      case Step::Kind::kRelu:
      case Step::Kind::kTanh: {
        const bool relu = s.kind == Step::Kind::kRelu;
        // tanh must come before the pool (StageOptions' order); relu commutes with max-pool.
        if (!open || o->relu || o->tanh || (!relu && o->pool > 0)) {
          out.why = s.what + " does not directly follow a Linear or Conv2d (or its max-pool)";
          return out;
        }
        (relu ? o->relu : o->tanh) = true;
        break;
      }
      case Step::Kind::kPool:
        if (!open || o->op == StageOptions::Op::kLinear || o->pool > 0) {
          out.why =
              s.what + (!open         ? " comes before any layer"
                        : o->pool > 0 ? " is a second pool after one layer"
                                      : " follows a Linear (a pool follows a Conv2d or a module "
                                        "stage, or its activation)");
          return out;
        }
        o->pool = s.pool;
        break;
      case Step::Kind::kFlatten:  // the next Linear's (flattening twice is flattening once)
        flatten = true;
        break;
    }
  }
  if (std::none_of(layers.begin(), layers.end(), [](const ScriptLayer& l) {
        return l.options.op != StageOptions::Op::kModule;
      })) {
    out.why = "it has no Linear or Conv2d Ares runs natively";
    return out;
  }
  if (flatten) {
    out.why = "its last step is a flatten, not a Linear";
    return out;
  }
  // Each parameter must be a stage's: a campaign on the stages targets all of the module's.
  std::set<std::string> names, params;
  std::vector<std::string> modules;  // module stages' paths, "layer1.0."
  for (const auto& l : layers) {
    if (!names.insert(stage_name_of(l.path)).second) {
      out.why =
          l.path + " is called twice, or its stage name " + stage_name_of(l.path) + " is another's";
      return out;
    }
    if (l.options.op == StageOptions::Op::kModule) {
      modules.push_back(l.path + ".");
      continue;
    }
    params.insert(l.path + ".weight");
    params.insert(l.path + ".bias");
  }
  for (const auto& p : module.named_parameters(/*recurse=*/true)) {
    const bool in_module = std::any_of(modules.begin(), modules.end(), [&](const std::string& m) {
      return p.name.rfind(m, 0) == 0;
    });
    if (!in_module && !params.count(p.name)) {
      out.why = "parameter " + p.name + " is not a Linear's or Conv2d's";
      return out;
    }
  }
  out.layers = std::move(layers);
  return out;
}

}  // namespace ares::models
