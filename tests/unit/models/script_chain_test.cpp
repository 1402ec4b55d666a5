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
#include "script_builder.h"

namespace ares::models {
namespace {

namespace fs = std::filesystem;
using test::Builder;
using torch::jit::Module;

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

// A convolution with options the native stages do not have runs as a module stage: its own
// forward, densely; a Linear without bias too, but a chain needs one native layer.
TEST(ScriptChainTest, ConvolutionOptionsTheStagesDoNotHaveAreModuleStages) {
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
    const auto chain = recognize_chain(m);
    ASSERT_EQ(chain.layers.size(), 2u) << c.says << ": " << chain.why;
    EXPECT_EQ(chain.layers[0].options.op, StageOptions::Op::kModule) << c.says;
    EXPECT_EQ(chain.layers[0].path, "conv");
    EXPECT_EQ(chain.layers[1].options.op, StageOptions::Op::kLinear) << c.says;
    EXPECT_TRUE(chain.layers[1].options.flatten) << c.says;
  }
  Builder b;
  Module no_bias = b.net({{"fc", b.linear(8, 2, /*bias=*/false)}},
                         "def forward(self, x):\n  return self.fc.forward(x)\n");
  EXPECT_NE(why(no_bias).find("no Linear or Conv2d Ares runs natively"), std::string::npos)
      << why(no_bias);
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
  // A pool before any layer, a second pool after one layer, a pool after a Linear.
  EXPECT_NE(why(one("  x = self.conv.forward(torch.max_pool2d(x, [2, 2]))\n"
                    "  return self.fc.forward(torch.flatten(x, 1))\n"))
                .find("comes before any layer"),
            std::string::npos);
  EXPECT_NE(
      why(one("  x = torch.max_pool2d(torch.max_pool2d(self.conv.forward(x), [2, 2]), [2, 2])\n"
              "  return self.fc.forward(torch.flatten(x, 1))\n"))
          .find("is a second pool after one layer"),
      std::string::npos);
  EXPECT_NE(why(one("  x = self.fc.forward(torch.flatten(self.conv.forward(x), 1))\n"
                    "  return torch.max_pool2d(x, [2, 2])\n"))
                .find("follows a Linear"),
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
  // A batch norm is a module stage between the native ones.
  const auto bn_chain = recognize_chain(with_bn);
  ASSERT_EQ(bn_chain.layers.size(), 3u) << bn_chain.why;
  EXPECT_EQ(bn_chain.layers[1].path, "bn");
  EXPECT_EQ(bn_chain.layers[1].options.op, StageOptions::Op::kModule);
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

// A residual block, a batch norm and a strided convolution inside a chain are module stages:
// native conv1, then the block, the strided conv with its ReLU folded, then the native fc. The
// stages give forward's logits bit for bit, the module stages' parameters keep their own names
// under the stage, and a copy of the model (clone_model) has weights of its own.
TEST(ScriptChainTest, ResidualBlocksInAChainAreModuleStages) {
  torch::manual_seed(5);
  Builder b;
  Module bn = b.make("torch.nn.modules.batchnorm.BatchNorm2d");
  bn.register_parameter("weight", torch::rand({4}) + 0.5, false);
  bn.register_parameter("bias", torch::randn({4}) * 0.1, false);
  bn.register_buffer("running_mean", torch::randn({4}) * 0.1);
  bn.register_buffer("running_var", torch::rand({4}) + 0.5);
  bn.define(
      "def forward(self, input):\n  return torch.batch_norm(input, self.weight, self.bias, "
      "self.running_mean, self.running_var, False, 0.1, 1e-5, False)\n");
  Module block = b.net({{"conv", b.conv({4, 4, 3, 1, 1})}, {"bn", bn}},
                       "def forward(self, x):\n"
                       "  return torch.relu(self.bn.forward(self.conv.forward(x)) + x)\n",
                       "Block");
  Module m = b.net({{"conv1", b.conv({1, 4, 3})},
                    {"block", block},
                    {"down", b.conv({4, 6, 3, /*stride=*/2})},
                    {"fc", b.linear(6 * 6 * 6, 10)}},
                   "def forward(self, x):\n"
                   "  x = torch.max_pool2d(torch.relu(self.conv1.forward(x)), [2, 2])\n"
                   "  x = self.block.forward(x)\n"
                   "  x = torch.relu(self.down.forward(x))\n"
                   "  return self.fc.forward(torch.flatten(x, 1))\n");
  const auto dir = fs::path(::testing::TempDir()) / ("ares_block_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "block.pt").string();
  m.save(path);
  auto staged = load_torchscript(path, Staging::kGraph);
  ASSERT_EQ(staged.meta["stages"], "graph");
  EXPECT_EQ(staged.model->stage_list(), "conv1, block, down, fc");
  EXPECT_EQ(staged.model->stage(1)->options().op, StageOptions::Op::kModule);
  EXPECT_TRUE(staged.model->stage(2)->options().relu);
  const auto params = staged.model->named_parameters();
  EXPECT_TRUE(params.contains("block.conv.weight"));
  EXPECT_TRUE(params.contains("block.bn.weight"));
  EXPECT_TRUE(params.contains("down.bias"));
  EXPECT_TRUE(staged.model->named_buffers().contains("block.bn.running_var"));
  torch::NoGradGuard no_grad;
  const auto x = torch::rand({6, 1, 28, 28});
  const auto want = m.forward({x}).toTensor();
  EXPECT_TRUE(torch::equal(staged.model->forward(x).view(torch::kInt32), want.view(torch::kInt32)));
  auto copy = staged.model->clone_model();
  EXPECT_TRUE(torch::equal(copy->forward(x).view(torch::kInt32), want.view(torch::kInt32)));
  copy->named_parameters()["block.conv.weight"].zero_();
  EXPECT_FALSE(torch::equal(copy->forward(x), want));
  EXPECT_TRUE(torch::equal(staged.model->forward(x).view(torch::kInt32), want.view(torch::kInt32)));
  // Restarting after the block: the stages from `down` on take the block's output.
  const auto mid = staged.model->stage(1)->forward(staged.model->stage(0)->forward(x));
  EXPECT_TRUE(torch::equal(staged.model->forward_from(2, mid).view(torch::kInt32),
                           want.view(torch::kInt32)));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace ares::models
