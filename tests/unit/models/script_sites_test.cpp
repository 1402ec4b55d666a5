#include "ares/models/script_sites.h"

#include <gtest/gtest.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <sstream>
#include <string>
#include <vector>

#include "ares/common/error.h"
#include "script_builder.h"

namespace ares::models {
namespace {

using test::Builder;
using torch::jit::Module;

std::string archive_of(Module& m) {
  std::ostringstream out;
  m.save(out);
  return out.str();
}

// A residual block of the user's inside a net: the block's linear, relu and add, the net's
// own relu, and a torch.nn Linear head (a leaf: its output is a site, its inside is not).
Module residual_net(Builder& b) {
  Module block = b.net({{"fc", b.linear(6, 6)}},
                       "def forward(self, x):\n"
                       "  y = self.fc.forward(x)\n"
                       "  y = torch.relu(y)\n"
                       "  return y + x\n",
                       "Block");
  return b.net({{"block", block}, {"head", b.linear(6, 3)}},
               "def forward(self, x):\n"
               "  h = self.block.forward(x)\n"
               "  h = torch.relu(h)\n"
               "  return self.head.forward(h)\n");
}

std::vector<std::string> names_of(const std::vector<GraphSiteName>& sites) {
  std::vector<std::string> out;
  for (const auto& s : sites) out.push_back(s.name);
  return out;
}

// The walk names calls by their child, ops as torch.fx does, the net's before its children's.
TEST(ScriptSitesTest, NamesEverySubmoduleAndOpOutput) {
  Builder b;
  Module net = residual_net(b);
  const auto sites = graph_site_names(net);
  EXPECT_EQ(names_of(sites), (std::vector<std::string>{"block", "relu", "head", "block.fc",
                                                       "block.relu", "block.add"}));
  EXPECT_EQ(sites[2].what, "Linear");
  EXPECT_EQ(sites[5].what.rfind("aten::add", 0), 0u) << sites[5].what;
  EXPECT_EQ(names_of(graph_site_names(archive_of(net))), names_of(sites));
}

// An op named like a child, and an op used twice, get fx's suffixes; in-place ops and values
// that are not tensors are not sites.
TEST(ScriptSitesTest, SuffixesAndSkips) {
  Builder b;
  Module net = b.net({{"relu", b.relu()}},
                     "def forward(self, x):\n"
                     "  x = self.relu.forward(x)\n"
                     "  y = torch.relu(x)\n"
                     "  n = x.size(0)\n"
                     "  y = torch.relu(y).add_(1.0)\n"
                     "  return y.view(n, -1) + torch.relu(x)\n");
  EXPECT_EQ(names_of(graph_site_names(net)),
            (std::vector<std::string>{"relu", "relu_1", "relu_2", "view", "relu_3", "add"}));
}

// A point sees the value the graph computes there, and what it returns goes on in its place.
TEST(ScriptSitesTest, PointSeesTheValueAndReplacesIt) {
  Builder b;
  Module net = residual_net(b);
  FaultPointModel points(archive_of(net), {"block.add", "head"}, "net");
  ASSERT_EQ(points.points(), 2u);
  torch::manual_seed(4);
  const auto x = torch::randn({5, 6});
  c10::InferenceMode guard;
  const auto fc = net.attr("block").toModule().attr("fc").toModule();
  const auto head = net.attr("head").toModule();
  const auto expect_add =
      torch::relu(torch::linear(x, fc.attr("weight").toTensor(), fc.attr("bias").toTensor())) + x;
  std::vector<torch::Tensor> seen(2);
  auto fn = [&](size_t p, const torch::Tensor& v) {
    seen[p] = v.clone();
    return p == 0 ? torch::zeros_like(v) : v;
  };
  std::vector<int64_t> reached;
  const auto logits = points.forward(x, fn, &reached);
  EXPECT_EQ(reached, (std::vector<int64_t>{1, 1}));
  EXPECT_TRUE(torch::equal(seen[0], expect_add));
  // After the zeroed block: relu(0) = 0, so the head gives its bias for every sample.
  const auto bias = head.attr("bias").toTensor().expand({5, 3});
  EXPECT_TRUE(torch::equal(seen[1], bias));
  EXPECT_TRUE(torch::equal(logits, bias));
  // Without a change the points leave forward's logits as they are, bit for bit.
  auto same = [](size_t, const torch::Tensor& v) { return v; };
  EXPECT_TRUE(torch::equal(points.forward(x, same), net.forward({x}).toTensor()));
}

// An unknown name is refused in one line with the nearest names; an error in the function
// comes out as itself, not as the interpreter's.
TEST(ScriptSitesTest, UnknownNameAndErrorsInTheFunction) {
  Builder b;
  Module net = residual_net(b);
  const std::string archive = archive_of(net);
  try {
    FaultPointModel(archive, {"block.ad"}, "net.pt");
    FAIL() << "no error";
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("net.pt: no submodule or op output 'block.ad'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("nearest: block.add"), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
  FaultPointModel points(archive, {"block.fc"}, "net");
  auto fail = [](size_t, const torch::Tensor&) -> torch::Tensor {
    throw InputError("refused here");
  };
  try {
    points.forward(torch::randn({2, 6}), fail);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "refused here");
  }
}

// Two instances of one type share its graph: a point acts only in its owner.
TEST(ScriptSitesTest, PointActsOnlyInItsOwnModule) {
  Builder b;
  Module block =
      b.net({{"fc", b.linear(4, 4)}},
            "def forward(self, x):\n  return torch.relu(self.fc.forward(x)) + x\n", "Block");
  // A second instance of the same type, with weights of its own.
  const auto cu = block._ivalue()->compilation_unit();
  Module fc(cu, block.attr("fc").toModule().type());
  fc.register_parameter("weight", torch::randn({4, 4}), false);
  fc.register_parameter("bias", torch::randn({4}), false);
  Module twin(cu, block.type());
  twin.register_module("fc", fc);
  ASSERT_EQ(twin.type(), block.type());
  Module net = b.net({{"a", block}, {"b", twin}},
                     "def forward(self, x):\n  return self.b.forward(self.a.forward(x))\n");
  EXPECT_EQ(
      names_of(graph_site_names(net)),
      (std::vector<std::string>{"a", "b", "a.fc", "a.relu", "a.add", "b.fc", "b.relu", "b.add"}));
  FaultPointModel points(archive_of(net), {"b.add"}, "net");
  const auto x = torch::randn({3, 4});
  std::vector<int64_t> reached;
  c10::InferenceMode guard;
  const auto logits = points.forward(
      x, [](size_t, const torch::Tensor& v) { return v * 0; }, &reached);
  EXPECT_EQ(reached, std::vector<int64_t>{1});
  EXPECT_TRUE(torch::equal(logits, torch::zeros({3, 4})));
  // At a's add: b runs on zeros, so the logits are relu(b.fc's bias), untouched by the point.
  FaultPointModel first(archive_of(net), {"a.add"}, "net");
  const auto out = first.forward(
      x, [](size_t, const torch::Tensor& v) { return v * 0; }, &reached);
  EXPECT_EQ(reached, std::vector<int64_t>{1});
  EXPECT_TRUE(torch::equal(out, torch::relu(fc.attr("bias").toTensor()).expand({3, 4})));
}

}  // namespace
}  // namespace ares::models
