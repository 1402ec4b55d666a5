#pragma once
// TorchScript modules for tests, built in C++ as torch.jit.script builds them from Python.

#include <torch/script.h>
#include <torch/torch.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ares::models::test {

using torch::jit::Module;

// TorchScript modules built here as torch.jit.script builds them from Python: torch.nn classes
// are recognised by their qualified names (mangled when a class is made twice), whose
// constants hold their options. One compilation unit, as a scripted model has.
class Builder {
 public:
  Module make(const std::string& cls) {
    return Module("__torch__." + cls, cu_, /*shouldMangle=*/true);
  }
  Module linear(int64_t in, int64_t out, bool bias = true) {
    Module m = make("torch.nn.modules.linear.Linear");
    m.register_parameter("weight", torch::randn({out, in}) * 0.3, false);
    if (bias) {
      m.register_parameter("bias", torch::randn({out}) * 0.1, false);
    } else {
      m.register_attribute("bias", c10::OptionalType::create(c10::TensorType::get()),
                           c10::IValue());
    }
    m.define("def forward(self, input):\n  return torch.linear(input, self.weight, self.bias)\n");
    return m;
  }
  struct Conv {
    int64_t in, out, k, stride = 1, pad = 0, dilation = 1, groups = 1;
    std::string mode = "zeros";
  };
  Module conv(Conv c) {
    Module m = make("torch.nn.modules.conv.Conv2d");
    m.register_parameter("weight", torch::randn({c.out, c.in / c.groups, c.k, c.k}) * 0.3, false);
    m.register_parameter("bias", torch::randn({c.out}) * 0.1, false);
    auto pair = [](int64_t v) {
      return c10::ivalue::Tuple::create({c10::IValue(v), c10::IValue(v)});
    };
    m.type()->addConstant("stride", pair(c.stride));
    m.type()->addConstant("padding", pair(c.pad));
    m.type()->addConstant("dilation", pair(c.dilation));
    m.type()->addConstant("groups", c10::IValue(c.groups));
    m.type()->addConstant("padding_mode", c10::IValue(c.mode));
    auto s = std::to_string(c.stride), p = std::to_string(c.pad), d = std::to_string(c.dilation);
    m.define("def forward(self, input):\n  return torch.conv2d(input, self.weight, self.bias, [" +
             s + ", " + s + "], [" + p + ", " + p + "], [" + d + ", " + d + "], " +
             std::to_string(c.groups) + ")\n");
    return m;
  }
  Module relu() {
    Module m = make("torch.nn.modules.activation.ReLU");
    m.define("def forward(self, input):\n  return torch.relu(input)\n");
    return m;
  }
  Module tanh() {
    Module m = make("torch.nn.modules.activation.Tanh");
    m.define("def forward(self, input):\n  return torch.tanh(input)\n");
    return m;
  }
  Module max_pool(int64_t k, int64_t stride) {
    Module m = make("torch.nn.modules.pooling.MaxPool2d");
    m.type()->addConstant("kernel_size", c10::IValue(k));
    m.type()->addConstant("stride", c10::IValue(stride));
    m.type()->addConstant("padding", c10::IValue(int64_t(0)));
    m.type()->addConstant("dilation", c10::IValue(int64_t(1)));
    m.type()->addConstant("ceil_mode", c10::IValue(false));
    m.type()->addConstant("return_indices", c10::IValue(false));
    auto ks = std::to_string(k), ss = std::to_string(stride);
    m.define("def forward(self, input):\n  return torch.max_pool2d(input, [" + ks + ", " + ks +
             "], [" + ss + ", " + ss + "])\n");
    return m;
  }
  Module flatten() {
    Module m = make("torch.nn.modules.flatten.Flatten");
    m.type()->addConstant("start_dim", c10::IValue(int64_t(1)));
    m.type()->addConstant("end_dim", c10::IValue(int64_t(-1)));
    m.define("def forward(self, input):\n  return torch.flatten(input, 1)\n");
    return m;
  }
  // A module of the user's: `children` in order, `forward` its source.
  Module net(const std::vector<std::pair<std::string, Module>>& children,
             const std::string& forward, const std::string& cls = "Net") {
    Module m = make(cls);
    for (const auto& [name, child] : children) m.register_module(name, child);
    m.define(forward);
    return m;
  }

 private:
  std::shared_ptr<torch::jit::CompilationUnit> cu_ =
      std::make_shared<torch::jit::CompilationUnit>();
};

}  // namespace ares::models::test
