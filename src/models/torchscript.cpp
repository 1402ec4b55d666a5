#include "ares/models/torchscript.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>

#include "ares/common/error.h"
#include "ares/models/script_chain.h"

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

// The module's forward on a batch: the logits, or one line saying why not.
torch::Tensor run_script(torch::jit::Module& module, torch::Tensor x) {
  const auto in_shape = x.sizes().vec();
  c10::IValue out;
  try {
    out = module.forward({std::move(x)});
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
  torch::Tensor forward(torch::Tensor x) { return run_script(module_, std::move(x)); }
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

// Equal tensors, bit for bit (NaN payloads and the sign of zero included).
bool same_bits(const torch::Tensor& a, const torch::Tensor& b) {
  if (a.sizes() != b.sizes() || a.scalar_type() != torch::kFloat ||
      b.scalar_type() != torch::kFloat) {
    return false;
  }
  return torch::equal(a.contiguous().view(torch::kInt32), b.contiguous().view(torch::kInt32));
}

// A native stage per recognised layer, holding copies of the module's tensors.
std::shared_ptr<StagedModel> staged_model(const ScriptChain& chain) {
  auto m = std::make_shared<StagedModel>("torchscript", std::vector<int64_t>{});
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < chain.layers.size(); ++i) {
    const auto& l = chain.layers[i];
    m->add_stage(stage_name_of(l.path), l.options);
    m->stage(i)->weight.copy_(l.weight);
    m->stage(i)->bias.copy_(l.bias);
  }
  m->eval();
  return m;
}

// One sample's shape the stages take: [in] for a Linear first; for a convolution first, the
// smallest square image whose feature map fits the first Linear (none: nullopt).
std::optional<std::vector<int64_t>> sample_shape(const ScriptChain& chain) {
  const StageOptions& first = chain.layers.front().options;
  if (first.op == StageOptions::Op::kLinear) return std::vector<int64_t>{first.in};
  for (int64_t h = 1; h <= 1024; ++h) {
    int64_t c = first.in, side = h;
    bool fits = true;
    for (const auto& l : chain.layers) {
      const StageOptions& o = l.options;
      if (o.op == StageOptions::Op::kLinear) {
        fits = (o.flatten ? c * side * side : side) == o.in;
        break;
      }
      side += 2 * o.padding - o.kernel + 1;
      if (o.pool > 0) side /= o.pool;
      c = o.out;
      if (side < 1) {
        fits = false;
        break;
      }
    }
    if (fits) return std::vector<int64_t>{first.in, h, h};
  }
  return std::nullopt;
}

// Empty when the stages give the module's logits bit for bit on a seeded random batch of 8;
// else why not.
std::string check_stages(torch::jit::Module& module, StagedModel& staged,
                         const ScriptChain& chain) {
  auto sample = sample_shape(chain);
  if (!sample) return "no input shape fits its layers, to check its stages on";
  std::vector<int64_t> sizes{8};
  sizes.insert(sizes.end(), sample->begin(), sample->end());
  c10::InferenceMode guard;
  auto x = at::randn(sizes, at::detail::createCPUGenerator(16));
  try {
    auto out = module.forward({x});
    if (!out.isTensor()) return "forward does not return one tensor";
    if (same_bits(out.toTensor(), staged.forward(x))) return "";
  } catch (const std::exception&) {
    return "forward failed on a random batch of shape " + shape(sizes) + ", to check its stages on";
  }
  return "its stages give other logits than forward on a random batch";
}

}  // namespace

bool is_torchscript(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[2] = {0, 0};
  in.read(magic, 2);
  return in && magic[0] == 'P' && magic[1] == 'K';
}

Loaded load_torchscript(const std::string& path, Staging staging) {
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
  module.eval();
  std::string why;  // why the graph is not staged, for the note
  if (staging == Staging::kGraph) {
    ScriptChain chain = recognize_chain(module);
    if (chain.layers.empty()) {
      why = "forward is not a chain of Linear/Conv2d (" + chain.why + ")";
    } else {
      auto staged = staged_model(chain);
      why = check_stages(module, *staged, chain);
      if (why.empty()) {
        out.model = staged;
        out.meta["stages"] = "graph";
      }
    }
  }
  if (!out.model) {
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
    out.meta["stages"] = "one";
  }
  out.model->eval();
  // On the data (train::check_input_shape): the module's own forward on the first sample, so
  // that data it does not take fails with its own error, as for one stage; staged, the stages
  // must give its logits there too. The note on why a model is one stage comes once the data
  // is taken.
  const bool staged = out.meta["stages"] == "graph";
  auto script = std::make_shared<torch::jit::Module>(module);
  out.model->set_input_check(
      [script, staged, why, path](const torch::Tensor& sample, StagedModel& model) {
        c10::InferenceMode guard;
        if (staged) {
          auto logits = run_script(*script, sample);
          ARES_CHECK(same_bits(logits, model.forward(sample)), path,
                     ": the stages read from forward's graph give other logits than forward on the "
                     "data's first sample; set ARES_TORCHSCRIPT_STAGES=0 to run it as one stage");
          return;
        }
        if (why.empty()) return;
        try {
          run_script(*script, sample);
        } catch (const InputError&) {
          return;  // the model's own error comes from its first batch, as it always did
        }
        std::fprintf(stderr, "%s: %s: one stage, no prefix reuse\n", path.c_str(), why.c_str());
      });
  return out;
}

Loaded load_torchscript(const std::string& path) {
  const char* env = std::getenv("ARES_TORCHSCRIPT_STAGES");
  const bool one = env && std::string(env) == "0";
  return load_torchscript(path, one ? Staging::kOneStage : Staging::kGraph);
}

Loaded load_model_file(const std::string& path) {
  return is_torchscript(path) ? load_torchscript(path) : load_checkpoint(path);
}

}  // namespace ares::models
