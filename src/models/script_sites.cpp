#include "ares/models/script_sites.h"

#include <torch/csrc/jit/ir/ir.h>
#include <torch/csrc/jit/runtime/custom_operator.h>
#include <torch/script.h>

#include <algorithm>
#include <exception>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "ares/common/error.h"
#include "ares/common/text.h"
#include "ares/models/script_chain.h"

namespace ares::models {
namespace {

using torch::jit::Node;
using torch::jit::Value;
namespace prim = c10::prim;
namespace aten = c10::aten;

const c10::Symbol kFaultPoint = c10::Symbol::fromQualString("ares::fault_point");

// What the points of the forward now running on this thread do.
struct PointContext {
  const std::vector<const void*>* owners = nullptr;
  const FaultPointFn* fn = nullptr;
  std::vector<int64_t>* reached = nullptr;
  std::exception_ptr error;  // thrown by fn: rethrown after forward, not through the interpreter
};
thread_local PointContext* current = nullptr;

void fault_point(torch::jit::Stack& stack) {
  const c10::IValue owner = torch::jit::pop(stack);
  const int64_t point = torch::jit::pop(stack).toInt();
  at::Tensor x = torch::jit::pop(stack).toTensor();
  PointContext* c = current;
  if (c && !c->error && point >= 0 && size_t(point) < c->owners->size() && owner.isObject() &&
      static_cast<const void*>(owner.toObject().get()) == (*c->owners)[size_t(point)]) {
    ++(*c->reached)[size_t(point)];
    try {
      x = (*c->fn)(size_t(point), x);
    } catch (...) {
      c->error = std::current_exception();
    }
  }
  torch::jit::push(stack, std::move(x));
}

// CONSERVATIVE: the optimizer neither merges nor moves nor drops a point.
const torch::jit::RegisterOperators registered(
    {torch::jit::Operator("ares::fault_point(Tensor x, int point, Any owner) -> Tensor",
                          fault_point, c10::AliasAnalysisKind::CONSERVATIVE)});

std::string join(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "." + name;
}

std::string short_type(const std::string& type) { return type.substr(type.rfind('.') + 1); }

// torch.nn's own modules but its containers: their outputs are sites, their insides are not.
bool is_torch_leaf(const std::string& type) {
  if (type.rfind("torch.nn.modules.", 0) != 0) return false;
  const std::string s = short_type(type);
  return s != "Sequential" && s != "ModuleList" && s != "ModuleDict";
}

// "aten::add at net.py:12"
std::string where(const Node* n) {
  std::string s = n->kind().toQualString();
  if (n->kind() == prim::CallFunction) {
    if (auto f = n->input(0)->type()->cast<c10::FunctionType>()) {
      s = f->function()->qualname().qualifiedName();
    }
  }
  if (auto flc = n->sourceRange().file_line_col()) {
    s += " at " + std::filesystem::path(std::get<0>(*flc)).filename().string() + ":" +
         std::to_string(std::get<1>(*flc));
  }
  return s;
}

bool is_tensor(const Value* v) { return v->type()->kind() == c10::TypeKind::TensorType; }

// The attribute path from `self` to `v` ("layer1.0"), when v is a chain of attribute reads.
std::optional<std::string> attr_path(const Value* v, const Value* self) {
  std::vector<std::string> parts;
  while (v != self) {
    const Node* n = v->node();
    if (n->kind() != prim::GetAttr) return std::nullopt;
    parts.push_back(n->s(c10::attr::name));
    v = n->input(0);
  }
  std::string path;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) path = join(path, *it);
  return path;
}

// An op whose output may be a site: one tensor output, not in place, not bookkeeping.
bool is_site_op(const Node* n) {
  static const std::set<c10::Symbol> skip = {
      prim::Constant,    prim::GetAttr,        prim::CallMethod,     prim::If,
      prim::Loop,        prim::Uninitialized,  prim::unchecked_cast, prim::RaiseException,
      prim::NumToTensor, prim::TupleConstruct, prim::ListConstruct,  prim::DictConstruct,
      kFaultPoint};
  if (skip.count(n->kind()) || n->outputs().size() != 1 || !is_tensor(n->output())) return false;
  const std::string s = n->kind().toUnqualString();
  const bool dunder = s.size() > 4 && s.rfind("__", 0) == 0;
  return dunder || s.empty() || s.back() != '_';  // relu_, add_: in place
}

// torch.fx's node names: the op without namespace or underscores around it.
std::string op_base(const Node* n) {
  if (n->kind() == prim::TupleIndex || n->kind() == aten::__getitem__) return "getitem";
  std::string s = n->kind().toUnqualString();
  if (n->kind() == prim::CallFunction) {  // F.relu and other scripted functions: their name
    auto f = n->input(0)->type()->cast<c10::FunctionType>();
    s = f ? f->function()->name() : "call";
  }
  while (!s.empty() && s.front() == '_') s.erase(s.begin());
  while (!s.empty() && s.back() == '_') s.pop_back();
  return s.empty() ? "op" : s;
}

// A site found in the walk: its value in its owner's graph.
struct Found {
  GraphSiteName name;
  const void* owner;  // the module object whose forward computes the value
  Value* value;
  torch::jit::Graph* graph;
};

class SiteWalker {
 public:
  std::vector<Found> found;

  void walk(const torch::jit::Module& m, const std::string& path) {
    if (!visited_.insert(m._ivalue().get()).second) return;  // a child called twice: once
    auto fwd = m.find_method("forward");
    if (!fwd) return;
    auto graph = fwd->graph();
    const Value* self = graph->inputs()[0];
    std::set<std::string> used;
    for (const auto& c : m.named_children()) used.insert(c.name);
    std::map<std::string, int> calls;
    std::vector<std::pair<torch::jit::Module, std::string>> children;
    visit(graph->block(), m, path, self, graph.get(), used, calls, children);
    for (const auto& [child, child_path] : children) walk(child, child_path);
  }

 private:
  void visit(torch::jit::Block* block, const torch::jit::Module& m, const std::string& path,
             const Value* self, torch::jit::Graph* graph, std::set<std::string>& used,
             std::map<std::string, int>& calls,
             std::vector<std::pair<torch::jit::Module, std::string>>& children) {
    for (Node* n : block->nodes()) {
      for (torch::jit::Block* b : n->blocks()) {
        visit(b, m, path, self, graph, used, calls, children);
      }
      if (n->kind() == prim::CallMethod) {
        auto rel = attr_path(n->input(0), self);
        if (!rel || n->s(c10::attr::name) != "forward") continue;
        torch::jit::Module child = m;
        size_t start = 0;
        for (size_t dot;; start = dot + 1) {
          dot = rel->find('.', start);
          child = child.attr(rel->substr(start, dot - start)).toModule();
          if (dot == std::string::npos) break;
        }
        const std::string type = module_type_name(child);
        const int k = calls[*rel]++;
        const std::string local = k == 0 ? *rel : *rel + "_" + std::to_string(k);
        used.insert(local);
        if (n->outputs().size() == 1 && is_tensor(n->output())) {
          found.push_back(
              {{join(path, local), short_type(type)}, m._ivalue().get(), n->output(), graph});
        }
        if (!is_torch_leaf(type)) children.emplace_back(child, join(path, *rel));
      } else if (is_site_op(n)) {
        const std::string base = op_base(n);
        std::string local = base;
        for (int k = 1; used.count(local); ++k) local = base + "_" + std::to_string(k);
        used.insert(local);
        found.push_back({{join(path, local), where(n)}, m._ivalue().get(), n->output(), graph});
      }
    }
  }

  std::set<const void*> visited_;
};

// One line of an error from the TorchScript interpreter: the error itself, which it writes
// last ("RuntimeError: mat1 and mat2 shapes cannot be multiplied (...)") after a traceback,
// else the message's first line.
std::string cause(const std::string& msg) {
  std::istringstream in(msg);
  std::string line, first, last_error;
  while (std::getline(in, line)) {
    if (first.empty() && !line.empty()) first = line;
    if (line.find("Error: ") != std::string::npos) last_error = line;
  }
  std::string out = last_error.empty() ? first : last_error;
  const auto start = out.find_first_not_of(' ');
  return start == std::string::npos ? out : out.substr(start);
}

}  // namespace

c10::IValue script_forward(torch::jit::Module& module, torch::Tensor x) {
  const auto in_shape = x.sizes().vec();
  try {
    return module.forward({std::move(x)});
  } catch (const c10::Error& e) {
    // The model's own error: most often an input it does not take.
    throw InputError("TorchScript model: forward failed on a batch of shape " +
                     shape_list(in_shape) +
                     " (does the model take this data?): " + cause(e.what_without_backtrace()));
  } catch (const std::runtime_error& e) {  // torch::jit::JITException and the like
    throw InputError("TorchScript model: forward failed on a batch of shape " +
                     shape_list(in_shape) +
                     " (does the model take this data?): " + cause(e.what()));
  }
}

torch::Tensor script_logits(torch::jit::Module& module, torch::Tensor x) {
  const auto in_shape = x.sizes().vec();
  const c10::IValue out = script_forward(module, std::move(x));
  ARES_CHECK(!out.isTuple() && !out.isList() && !out.isGenericDict(),
             "TorchScript model: forward returns a ",
             out.isTuple()  ? "tuple"
             : out.isList() ? "list"
                            : "dict",
             ", not one logits tensor (from Python: ares.campaign(..., output=INDEX or KEY); "
             "else wrap the model to return the logits)");
  ARES_CHECK(out.isTensor(), "TorchScript model: forward returns a ", out.tagKind(),
             ", not a logits tensor");
  auto logits = out.toTensor();
  ARES_CHECK(logits.dim() == 2 && logits.size(0) == in_shape.at(0),
             "TorchScript model: forward returns shape ", shape_list(logits.sizes().vec()),
             " for a batch of ", in_shape.at(0), "; expected logits of shape [", in_shape.at(0),
             ", classes]");
  return logits;
}

std::vector<GraphSiteName> graph_site_names(const torch::jit::Module& module) {
  SiteWalker w;
  w.walk(module, "");
  std::vector<GraphSiteName> names;
  for (const auto& f : w.found) names.push_back(f.name);
  return names;
}

std::vector<GraphSiteName> graph_site_names(const std::string& archive) {
  std::istringstream in(archive);
  return graph_site_names(torch::jit::load(in, torch::kCPU));
}

std::vector<std::string> nearest_names(const std::vector<GraphSiteName>& names,
                                       const std::string& wanted, size_t count) {
  std::vector<std::pair<size_t, std::string>> ranked;
  for (const auto& n : names) ranked.emplace_back(edit_distance(n.name, wanted), n.name);
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> out;
  for (size_t i = 0; i < ranked.size() && i < count; ++i) out.push_back(ranked[i].second);
  return out;
}

FaultPointModel::FaultPointModel(const std::string& archive, const std::vector<std::string>& names,
                                 const std::string& label) {
  std::istringstream in(archive);
  module_ = std::make_unique<torch::jit::Module>(torch::jit::load(in, torch::kCPU));
  module_->eval();
  // Every site first, then the points: a point put into a graph that modules share would
  // otherwise show up in the walk of the next module of that type.
  SiteWalker w;
  w.walk(*module_, "");
  std::vector<GraphSiteName> all;
  for (const auto& f : w.found) all.push_back(f.name);
  for (size_t point = 0; point < names.size(); ++point) {
    auto it = std::find_if(w.found.begin(), w.found.end(),
                           [&](const Found& f) { return f.name.name == names[point]; });
    if (it == w.found.end()) {
      std::string near;
      for (const auto& n : nearest_names(all, names[point])) near += (near.empty() ? "" : ", ") + n;
      throw InputError(label + ": no submodule or op output '" + names[point] +
                       "' in forward (nearest: " + near + "; `ares sites` lists them all)");
    }
    torch::jit::Graph* g = it->graph;
    Value* v = it->value;
    torch::jit::WithInsertPoint guard(v->node()->next());
    Value* index = g->insertConstant(int64_t(point));
    Value* out = g->insert(kFaultPoint, {v, index, g->inputs()[0]});
    v->replaceAllUsesAfterNodeWith(out->node(), out);
    owners_.push_back(it->owner);
  }
}

FaultPointModel::~FaultPointModel() = default;

torch::Tensor FaultPointModel::forward(const torch::Tensor& x, const FaultPointFn& fn,
                                       std::vector<int64_t>* reached) {
  std::vector<int64_t> counts(owners_.size(), 0);
  PointContext ctx;
  ctx.owners = &owners_;
  ctx.fn = &fn;
  ctx.reached = &counts;
  PointContext* outer = current;
  current = &ctx;
  torch::Tensor logits;
  try {
    logits = script_logits(*module_, x);
  } catch (...) {
    current = outer;
    if (ctx.error) std::rethrow_exception(ctx.error);
    throw;
  }
  current = outer;
  if (ctx.error) std::rethrow_exception(ctx.error);
  if (reached) *reached = std::move(counts);
  return logits;
}

}  // namespace ares::models
