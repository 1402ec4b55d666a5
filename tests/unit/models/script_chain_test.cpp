#include "ares/models/script_chain.h"

#include <gtest/gtest.h>
#include <torch/script.h>
#include <torch/torch.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "ares/common/error.h"
#include "ares/models/torchscript.h"
#include "ares/train/train.h"

namespace ares::models {
namespace {

namespace fs = std::filesystem;
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

// conv-relu-pool, conv-relu-pool, flatten, linear-relu, linear: as PyTorch's tutorials write it.
Module lenet(Builder& b, const std::string& act = "torch.relu", bool view = false) {
  const std::string flat = view ? "x.view(x.size(0), -1)" : "torch.flatten(x, 1)";
  return b.net({{"conv1", b.conv({1, 4, 3})},
                {"conv2", b.conv({4, 6, 3, 1, 1})},
                {"fc1", b.linear(6 * 6 * 6, 16)},
                {"fc2", b.linear(16, 10)}},
               "def forward(self, x):\n"
               "  x = torch.max_pool2d(" +
                   act +
                   "(self.conv1.forward(x)), [2, 2])\n"
                   "  x = torch.max_pool2d(" +
                   act +
                   "(self.conv2.forward(x)), [2, 2], [2, 2])\n"
                   "  x = " +
                   flat +
                   "\n"
                   "  x = " +
                   act +
                   "(self.fc1.forward(x))\n"
                   "  return self.fc2.forward(x)\n");
}

std::string why(const Module& m) {
  auto chain = recognize_chain(m);
  EXPECT_TRUE(chain.layers.empty());
  return chain.why;
}

TEST(ScriptChainTest, ReadsAFunctionalCnnAsFourStages) {
  torch::manual_seed(1);
  Builder b;
  Module m = lenet(b);
  auto chain = recognize_chain(m);
  ASSERT_EQ(chain.layers.size(), 4u) << chain.why;
  EXPECT_EQ(chain.layers[0].path, "conv1");
  const StageOptions& c1 = chain.layers[0].options;
  EXPECT_EQ(c1.op, StageOptions::Op::kConv2d);
  EXPECT_EQ(c1.in, 1);
  EXPECT_EQ(c1.out, 4);
  EXPECT_EQ(c1.kernel, 3);
  EXPECT_EQ(c1.padding, 0);
  EXPECT_TRUE(c1.relu);
  EXPECT_FALSE(c1.tanh);
  EXPECT_EQ(c1.pool, 2);
  EXPECT_EQ(chain.layers[1].options.padding, 1);
  const StageOptions& f1 = chain.layers[2].options;
  EXPECT_EQ(f1.op, StageOptions::Op::kLinear);
  EXPECT_TRUE(f1.flatten);
  EXPECT_TRUE(f1.relu);
  EXPECT_EQ(f1.in, 216);
  EXPECT_FALSE(chain.layers[3].options.relu);
  EXPECT_FALSE(chain.layers[3].options.flatten);
  // The module's own tensors.
  EXPECT_TRUE(chain.layers[0].weight.is_same(m.attr("conv1").toModule().attr("weight").toTensor()));
  EXPECT_TRUE(chain.layers[3].bias.is_same(m.attr("fc2").toModule().attr("bias").toTensor()));
}

TEST(ScriptChainTest, ReadsTanhAndViewFlattening) {
  Builder b;
  auto chain = recognize_chain(lenet(b, "torch.tanh", /*view=*/true));
  ASSERT_EQ(chain.layers.size(), 4u) << chain.why;
  EXPECT_TRUE(chain.layers[0].options.tanh);
  EXPECT_FALSE(chain.layers[0].options.relu);
  EXPECT_TRUE(chain.layers[2].options.flatten);
  EXPECT_TRUE(chain.layers[2].options.tanh);
}

TEST(ScriptChainTest, ReadsSequentialsAndModulesOfTheUsersByTheirPaths) {
  Builder b;
  Module features =
      b.net({{"c", b.conv({1, 3, 3})}, {"r", b.relu()}, {"p", b.max_pool(2, 2)}},
            "def forward(self, x):\n  return self.p.forward(self.r.forward(self.c.forward(x)))\n",
            "torch.nn.modules.container.Sequential");
  Module head = b.net(
      {{"flat", b.flatten()}, {"fc", b.linear(3 * 13 * 13, 8)}, {"t", b.tanh()}},
      "def forward(self, x):\n  return self.t.forward(self.fc.forward(self.flat.forward(x)))\n",
      "Head");
  Module m = b.net({{"features", features}, {"head", head}, {"out", b.linear(8, 10)}},
                   "def forward(self, x):\n  return "
                   "self.out.forward(self.head.forward(self.features.forward(x)))\n");
  auto chain = recognize_chain(m);
  ASSERT_EQ(chain.layers.size(), 3u) << chain.why;
  EXPECT_EQ(chain.layers[0].path, "features.c");
  EXPECT_EQ(stage_name_of(chain.layers[0].path), "features_c");
  EXPECT_TRUE(chain.layers[0].options.relu);
  EXPECT_EQ(chain.layers[0].options.pool, 2);
  EXPECT_EQ(chain.layers[1].path, "head.fc");
  EXPECT_TRUE(chain.layers[1].options.flatten);
  EXPECT_TRUE(chain.layers[1].options.tanh);
  EXPECT_EQ(chain.layers[2].path, "out");
}

TEST(ScriptChainTest, FoldsAReluAfterThePoolButNotATanh) {
  Builder b;
  auto make = [&](const std::string& act) {
    return b.net({{"conv", b.conv({1, 2, 3})}, {"fc", b.linear(2 * 13 * 13, 10)}},
                 "def forward(self, x):\n"
                 "  x = " +
                     act +
                     "(torch.max_pool2d(self.conv.forward(x), [2, 2]))\n"
                     "  return self.fc.forward(torch.flatten(x, 1))\n");
  };
  auto chain = recognize_chain(make("torch.relu"));
  ASSERT_EQ(chain.layers.size(), 2u) << chain.why;
  EXPECT_TRUE(chain.layers[0].options.relu);
  EXPECT_EQ(chain.layers[0].options.pool, 2);
  EXPECT_NE(why(make("torch.tanh")).find("does not directly follow"), std::string::npos);
}

TEST(ScriptChainTest, RefusesBranchesAndResiduals) {
  Builder b;
  Module residual = b.net(
      {{"fc1", b.linear(8, 8)}, {"fc2", b.linear(8, 10)}},
      "def forward(self, x):\n  return self.fc2.forward(torch.relu(self.fc1.forward(x)) + x)\n");
  EXPECT_NE(why(residual).find("used twice"), std::string::npos) << why(residual);
  Module add = b.net(
      {{"fc1", b.linear(8, 8)}, {"fc2", b.linear(8, 10)}},
      "def forward(self, x):\n  y = self.fc1.forward(x)\n  return self.fc2.forward(y + 1.0)\n");
  EXPECT_NE(why(add).find("aten::add"), std::string::npos) << why(add);
  Module twice = b.net({{"fc", b.linear(8, 8)}},
                       "def forward(self, x):\n  return self.fc.forward(self.fc.forward(x))\n");
  EXPECT_NE(why(twice).find("called twice"), std::string::npos) << why(twice);
}

TEST(ScriptChainTest, RefusesConvolutionOptionsTheStagesDoNotHave) {
  struct Case {
    Builder::Conv conv;
    std::string says;
  };
  for (const auto& c : std::vector<Case>{{{2, 4, 3, /*stride=*/2}, "stride"},
                                         {{2, 4, 3, 1, 0, /*dilation=*/2}, "dilation"},
                                         {{2, 4, 3, 1, 0, 1, /*groups=*/2}, "groups"},
                                         {{2, 4, 3, 1, 1, 1, 1, "reflect"}, "pads other"}}) {
    Builder b;
    Module m = b.net({{"conv", b.conv(c.conv)}, {"fc", b.linear(8, 2)}},
                     "def forward(self, x):\n  return "
                     "self.fc.forward(torch.flatten(self.conv.forward(x), 1))\n");
    EXPECT_NE(why(m).find(c.says), std::string::npos) << why(m);
  }
  Builder b;
  Module no_bias = b.net({{"fc", b.linear(8, 2, /*bias=*/false)}},
                         "def forward(self, x):\n  return self.fc.forward(x)\n");
  EXPECT_NE(why(no_bias).find("no bias"), std::string::npos) << why(no_bias);
}

TEST(ScriptChainTest, RefusesOpsItDoesNotKnow) {
  Builder b;
  auto one = [&](const std::string& body) {
    return b.net({{"conv", b.conv({1, 2, 3})}, {"fc", b.linear(2 * 13 * 13, 10)}},
                 "def forward(self, x):\n" + body);
  };
  EXPECT_NE(
      why(one("  return self.fc.forward(torch.flatten(torch.sigmoid(self.conv.forward(x)), 1))\n"))
          .find("aten::sigmoid"),
      std::string::npos);
  // A pool whose stride is not its kernel, a flatten of the batch dimension, view(-1, n).
  EXPECT_NE(why(one("  x = torch.max_pool2d(self.conv.forward(x), [2, 2], [1, 1])\n"
                    "  return self.fc.forward(torch.flatten(x, 1))\n"))
                .find("stride other than its kernel"),
            std::string::npos);
  EXPECT_NE(why(one("  x = torch.max_pool2d(self.conv.forward(x), [2, 2])\n  return "
                    "self.fc.forward(torch.flatten(x))\n"))
                .find("does not flatten from dimension 1"),
            std::string::npos);
  EXPECT_NE(why(one("  x = torch.max_pool2d(self.conv.forward(x), [2, 2])\n  return "
                    "self.fc.forward(x.view(-1, 338))\n"))
                .find("is not x.view(x.size(0), -1)"),
            std::string::npos);
  // An activation first, a module torch.nn has but Ares does not fold, a stray parameter.
  EXPECT_NE(why(one("  x = torch.max_pool2d(self.conv.forward(torch.relu(x)), [2, 2])\n"
                    "  return self.fc.forward(torch.flatten(x, 1))\n"))
                .find("does not directly follow"),
            std::string::npos);
  Module bn = b.make("torch.nn.modules.batchnorm.BatchNorm2d");
  bn.define("def forward(self, input):\n  return input\n");
  Module with_bn =
      b.net({{"conv", b.conv({1, 2, 3})}, {"bn", bn}, {"fc", b.linear(2 * 26 * 26, 10)}},
            "def forward(self, x):\n  return "
            "self.fc.forward(torch.flatten(self.bn.forward(self.conv.forward(x)), 1))\n");
  EXPECT_NE(why(with_bn).find("bn (BatchNorm2d)"), std::string::npos) << why(with_bn);
  Module stray =
      one("  x = torch.max_pool2d(self.conv.forward(x), [2, 2])\n  return "
          "self.fc.forward(torch.flatten(x, 1))\n");
  stray.register_parameter("scale", torch::ones({1}), false);
  EXPECT_NE(why(stray).find("parameter scale"), std::string::npos) << why(stray);
}

// Saved and loaded as a file: the stages give the module's logits bit for bit, their
// parameters are the stage names' ("fc1.weight"), and one stage is still there to ask for.
TEST(ScriptChainTest, LoadsAChainAsStagesAndFallsBackToOneStage) {
  torch::manual_seed(2);
  Builder b;
  Module m = lenet(b);
  const auto dir = fs::path(::testing::TempDir()) / ("ares_chain_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "lenet.pt").string();
  m.save(path);
  auto staged = load_torchscript(path, Staging::kGraph);
  EXPECT_EQ(staged.meta["stages"], "graph");
  ASSERT_EQ(staged.model->num_stages(), 4u);
  EXPECT_EQ(staged.model->stage_list(), "conv1, conv2, fc1, fc2");
  EXPECT_TRUE(staged.model->named_parameters().contains("fc1.weight"));
  auto one = load_torchscript(path, Staging::kOneStage);
  EXPECT_EQ(one.meta["stages"], "one");
  ASSERT_EQ(one.model->num_stages(), 1u);
  EXPECT_TRUE(one.model->named_parameters().contains("script.fc1.weight"));
  torch::NoGradGuard no_grad;
  auto x = torch::rand({5, 1, 28, 28});
  auto a = one.model->forward(x), c = staged.model->forward(x);
  EXPECT_TRUE(torch::equal(a.view(torch::kInt32), c.view(torch::kInt32)));
  // The data check runs the module itself: data it does not take fails with its error.
  train::check_input_shape(*staged.model->fold_batchnorm(), x, "test");
  EXPECT_THROW(train::check_input_shape(*staged.model, torch::rand({2, 1, 20, 20}), "test"),
               InputError);
  // A residual is one stage.
  Module residual = b.net(
      {{"fc1", b.linear(8, 8)}, {"fc2", b.linear(8, 10)}},
      "def forward(self, x):\n  return self.fc2.forward(torch.relu(self.fc1.forward(x)) + x)\n",
      "Residual");
  residual.save((dir / "residual.pt").string());
  auto res = load_torchscript((dir / "residual.pt").string(), Staging::kGraph);
  EXPECT_EQ(res.meta["stages"], "one");
  EXPECT_EQ(res.model->stage_list(), "script");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace ares::models
