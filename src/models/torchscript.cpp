#include "ares/models/torchscript.h"

#include <torch/script.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "ares/common/error.h"

namespace ares::models {
namespace {

std::string shape(const std::vector<int64_t>& sizes) {
  std::string s = "[";
  for (size_t i = 0; i < sizes.size(); ++i) s += (i ? ", " : "") + std::to_string(sizes[i]);
  return s + "]";
}

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

// Wraps a TorchScript module. Its parameters and buffers are registered again (sharing
// storage) under a tree of empty modules mirroring their dotted names, so that
// named_parameters() reports "features.0.weight" as TorchScript does.
class ScriptStageImpl : public torch::nn::Module {
 public:
  explicit ScriptStageImpl(const torch::jit::Module& module) : module_(module) {
    module_.eval();
    for (const auto& p : module_.named_parameters(/*recurse=*/true)) {
      auto [owner, leaf] = owner_of(p.name);
      owner->register_parameter(leaf, p.value, /*requires_grad=*/false);
    }
    for (const auto& b : module_.named_buffers(/*recurse=*/true)) {
      auto [owner, leaf] = owner_of(b.name);
      owner->register_buffer(leaf, b.value);
    }
  }
  torch::Tensor forward(torch::Tensor x) {
    const auto in_shape = x.sizes().vec();
    c10::IValue out;
    try {
      out = module_.forward({std::move(x)});
    } catch (const c10::Error& e) {
      // The model's own error: most often an input it does not take.
      throw InputError("TorchScript model: forward failed on a batch of shape " + shape(in_shape) +
                       " (does the model take this data?): " + cause(e.what_without_backtrace()));
    } catch (const std::runtime_error& e) {  // torch::jit::JITException and the like
      throw InputError("TorchScript model: forward failed on a batch of shape " + shape(in_shape) +
                       " (does the model take this data?): " + cause(e.what()));
    }
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
               "TorchScript model: forward returns shape ", shape(logits.sizes().vec()),
               " for a batch of ", in_shape.at(0), "; expected logits of shape [", in_shape.at(0),
               ", classes]");
    return logits;
  }
  const torch::jit::Module& script() const { return module_; }

 private:
  std::pair<torch::nn::Module*, std::string> owner_of(const std::string& dotted) {
    torch::nn::Module* m = this;
    size_t start = 0;
    for (size_t dot; (dot = dotted.find('.', start)) != std::string::npos; start = dot + 1) {
      std::string part = dotted.substr(start, dot - start);
      auto children = m->named_children();
      if (!children.contains(part)) {
        m->register_module(part, std::make_shared<torch::nn::Module>());
        children = m->named_children();
      }
      m = children[part].get();
    }
    return {m, dotted.substr(start)};
  }

  torch::jit::Module module_;
};
TORCH_MODULE(ScriptStage);

}  // namespace

bool is_torchscript(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[2] = {0, 0};
  in.read(magic, 2);
  return in && magic[0] == 'P' && magic[1] == 'K';
}

Loaded load_torchscript(const std::string& path) {
  ARES_CHECK(std::filesystem::is_regular_file(path), path, ": no such model file");
  torch::jit::Module module;
  try {
    module = torch::jit::load(path, torch::kCPU);
  } catch (const std::exception& e) {
    std::string msg = e.what();
    if (auto nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
    throw InputError(path + ": not a loadable TorchScript module (" + msg + ")");
  }
  for (const auto& p : module.named_parameters(true)) {
    ARES_CHECK(p.value.scalar_type() == torch::kFloat32, path, ": parameter ", p.name,
               " is not float32");
    ARES_CHECK(torch::isfinite(p.value).all().item<bool>(), path, ": parameter ", p.name,
               " holds NaN or Inf values");
  }
  Loaded out;
  out.path = path;
  out.meta = {{"model", "torchscript"}, {"dataset", ""}, {"source", path}};
  out.model = std::make_shared<StagedModel>("torchscript", std::vector<int64_t>{});
  // Each copy of the model (one per worker thread) loads its own module from the file's
  // bytes: independent weights and compilation units (jit::Module::clone from several
  // threads at once races on the shared compilation unit).
  std::ifstream in(path, std::ios::binary);
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto bytes = std::make_shared<const std::string>(std::move(data));
  out.model->add_module_stage("script", [bytes] {
    std::istringstream copy(*bytes);
    return torch::nn::AnyModule(ScriptStage(torch::jit::load(copy, torch::kCPU)));
  });
  out.model->eval();
  return out;
}

Loaded load_model_file(const std::string& path) {
  return is_torchscript(path) ? load_torchscript(path) : load_checkpoint(path);
}

}  // namespace ares::models
