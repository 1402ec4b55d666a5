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
#include "ares/common/text.h"
#include "ares/models/script_chain.h"
#include "ares/models/script_sites.h"

namespace ares::models {
namespace {

// Wraps a TorchScript module. Its parameters and buffers are registered again (sharing
// storage) under a tree of empty modules mirroring their dotted names, so that
// named_parameters() reports "features.0.weight" as TorchScript does.
class ScriptStageImpl : public torch::nn::Module {
 public:
  /// `logits`: forward gives the model's logits (checked); else any one tensor (a module
  /// stage's output).
  explicit ScriptStageImpl(const torch::jit::Module& module, bool logits = true)
      : module_(module), logits_(logits) {
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
    if (logits_) return script_logits(module_, std::move(x));
    auto out = script_forward(module_, std::move(x));
    ARES_CHECK(out.isTensor(), "TorchScript model: a module stage returns a ", out.tagKind(),
               ", not a tensor");
    return out.toTensor();
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
  bool logits_;
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

// A native stage per recognised layer, holding copies of the module's tensors; a module stage
// per module layer, each copy loading its own submodule from the file's bytes.
std::shared_ptr<StagedModel> staged_model(const ScriptChain& chain,
                                          const std::shared_ptr<const std::string>& bytes) {
  auto m = std::make_shared<StagedModel>("torchscript", std::vector<int64_t>{});
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < chain.layers.size(); ++i) {
    const auto& l = chain.layers[i];
    if (l.options.op == StageOptions::Op::kModule) {
      const std::string path = l.path;
      m->add_module_stage(
          stage_name_of(l.path),
          [bytes, path] {
            std::istringstream in(*bytes);
            torch::jit::Module sub = torch::jit::load(in, torch::kCPU);
            size_t start = 0;
            for (size_t dot;; start = dot + 1) {
              dot = path.find('.', start);
              sub = sub.attr(path.substr(start, dot - start)).toModule();
              if (dot == std::string::npos) break;
            }
            return torch::nn::AnyModule(ScriptStage(sub, /*logits=*/false));
          },
          l.options);
      continue;
    }
    m->add_stage(stage_name_of(l.path), l.options);
    m->stage(i)->weight.copy_(l.weight);
    m->stage(i)->bias.copy_(l.bias);
  }
  m->eval();
  return m;
}

// One sample's shape the stages take: [in] for a Linear first; for a convolution first, the
// smallest square image whose feature map fits the first Linear; with a module stage before
// the first Linear, the first of a few usual image sizes (28, 32, 16, 64, 224) with the first
// layer's input channels that forward takes (none: nullopt).
std::optional<std::vector<int64_t>> sample_shape(torch::jit::Module& module,
                                                 const ScriptChain& chain) {
  const StageOptions& first = chain.layers.front().options;
  for (const auto& l : chain.layers) {
    if (l.options.op == StageOptions::Op::kLinear) break;
    if (l.options.op != StageOptions::Op::kModule) continue;
    int64_t c = first.in;  // a native convolution first
    if (first.op == StageOptions::Op::kModule) {
      c = 0;
      const std::string prefix = chain.layers.front().path + ".";
      for (const auto& p : module.named_parameters(/*recurse=*/true)) {
        if (p.name.rfind(prefix, 0) != 0) continue;
        if (p.value.dim() == 2) return std::vector<int64_t>{p.value.size(1)};
        if (p.value.dim() == 4) c = p.value.size(1);
        break;
      }
      if (c == 0) return std::nullopt;
    }
    c10::InferenceMode guard;
    for (int64_t h : {28, 32, 16, 64, 224}) {
      try {
        module.forward({torch::zeros({2, c, h, h})});
        return std::vector<int64_t>{c, h, h};
      } catch (const std::exception&) {  // not this size
      }
    }
    return std::nullopt;
  }
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
  auto sample = sample_shape(module, chain);
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
    return "forward failed on a random batch of shape " + shape_list(sizes) +
           ", to check its stages on";
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
    // torch.save()'s zip archives (a state_dict, a pickled module) hold no TorchScript code.
    if (msg.find("constants.pkl") != std::string::npos) {
      throw InputError(path +
                       ": a torch.save() archive (a state_dict or a pickled module), not "
                       "TorchScript; export the model with torch.jit.script(model).save(path) "
                       "(or torch.jit.trace), or pass the module to ares.campaign from Python");
    }
    throw InputError(path + ": not a loadable TorchScript module (" + msg + ")");
  }
  // forward takes one tensor, the batch (further arguments only with defaults).
  auto forward = module.find_method("forward");
  ARES_CHECK(forward, path, ": the TorchScript module has no forward method");
  std::string inputs;
  int required = 0;
  const auto& args = forward->function().getSchema().arguments();
  for (size_t i = 1; i < args.size(); ++i) {
    inputs += (inputs.empty() ? "" : ", ") + args[i].name();
    required += args[i].default_value() ? 0 : 1;
  }
  ARES_CHECK(required == 1, path, ": forward takes ", required, " inputs without defaults (",
             inputs,
             "); Ares gives a model one batch tensor: wrap it in a module whose forward takes "
             "one");
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
  // Each copy of the model (one per worker thread) and each graph site loads its own module
  // (or module stage's submodule) from the file's bytes: independent weights and compilation units
  // (jit::Module::clone from several threads at once races on the shared compilation unit).
  std::ifstream in(path, std::ios::binary);
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto bytes = std::make_shared<const std::string>(std::move(data));
  std::string why;  // why the graph is not staged, for the note
  if (staging == Staging::kGraph) {
    ScriptChain chain = recognize_chain(module);
    if (chain.layers.empty()) {
      why = "forward is not a chain of Linear/Conv2d (" + chain.why + ")";
    } else {
      auto staged = staged_model(chain, bytes);
      why = check_stages(module, *staged, chain);
      if (why.empty()) {
        out.model = staged;
        out.meta["stages"] = "graph";
      }
    }
  }
  if (!out.model) {
    out.model = std::make_shared<StagedModel>("torchscript", std::vector<int64_t>{});
    out.model->add_module_stage("script", [bytes] {
      std::istringstream copy(*bytes);
      return torch::nn::AnyModule(ScriptStage(torch::jit::load(copy, torch::kCPU)));
    });
    out.meta["stages"] = "one";
  }
  out.model->set_script_source(bytes);
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
          auto logits = script_logits(*script, sample);
          ARES_CHECK(same_bits(logits, model.forward(sample)), path,
                     ": the stages read from forward's graph give other logits than forward on the "
                     "data's first sample; set ARES_TORCHSCRIPT_STAGES=0 to run it as one stage");
          return;
        }
        if (why.empty()) return;
        try {
          script_logits(*script, sample);
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
