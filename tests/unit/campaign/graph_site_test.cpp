// A graph site (act:NAME at an op output of a TorchScript model) against the stage site at the
// same value: the same stored codes, baseline and, for the same trial stream, the same hits and
// errors: the same streams and semantics as the zoo's activation sites.

#include <gtest/gtest.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <cmath>
#include <memory>
#include <sstream>
#include <string>

#include "../models/script_builder.h"
#include "ares/campaign/activation.h"
#include "ares/campaign/site.h"
#include "ares/common/error.h"
#include "ares/models/registry.h"

namespace ares::campaign {
namespace {

using format::Format;
using models::test::Builder;
using torch::jit::Module;

// The zoo's mnist_fc as a TorchScript module with the same weights: flatten, fc1, relu, fc2,
// relu, fc3. Its op "relu" is stage fc1's output, "relu_1" stage fc2's.
std::shared_ptr<const std::string> scripted(const models::StagedModel& zoo) {
  Builder b;
  std::vector<std::pair<std::string, Module>> children;
  for (size_t i = 0; i < zoo.num_stages(); ++i) {
    const auto& st = zoo.stage(i);
    Module fc = b.linear(st->weight.size(1), st->weight.size(0));
    fc.attr("weight").toTensor().copy_(st->weight);
    fc.attr("bias").toTensor().copy_(st->bias);
    children.emplace_back(zoo.stage_name(i), fc);
  }
  Module net = b.net(children,
                     "def forward(self, x):\n"
                     "  x = torch.flatten(x, 1)\n"
                     "  x = torch.relu(self.fc1.forward(x))\n"
                     "  x = torch.relu(self.fc2.forward(x))\n"
                     "  return self.fc3.forward(x)\n");
  std::ostringstream out;
  net.save(out);
  return std::make_shared<const std::string>(out.str());
}

TEST(GraphSiteTest, SameCodesAndTrialsAsTheStageSite) {
  torch::manual_seed(11);
  auto zoo = models::create("mnist_fc");
  zoo->eval();
  const auto archive = scripted(*zoo);
  const auto images = torch::rand({60, 1, 28, 28});
  torch::Tensor labels;
  {
    c10::InferenceMode guard;
    labels = (zoo->forward(images).argmax(1) + (torch::arange(60) % 7 == 0)) % 10;
  }
  const Format f = Format::parse("q2.6-2c");
  for (const auto& [stage, name] : {std::pair<size_t, std::string>{0, "relu"}, {1, "relu_1"}}) {
    auto act = std::make_shared<const ActivationCache>(*zoo, stage, f, images, labels, 16);
    auto graph =
        std::make_shared<const GraphActivationCache>(archive, name, "net", f, images, labels, 16);
    ASSERT_EQ(graph->values_per_sample(), act->values_per_sample()) << name;
    EXPECT_TRUE(torch::equal(graph->stored(), act->stored())) << name;
    EXPECT_EQ(graph->baseline_errors(), act->baseline_errors()) << name;
    EXPECT_TRUE(torch::equal(graph->clean_pred(), act->clean_pred())) << name;
    EXPECT_TRUE(torch::equal(graph->clean_nll(), act->clean_nll())) << name;
    ActivationEvaluator a(act, zoo->clone_model(), 16);
    GraphActivationEvaluator g(graph, 7);  // another batch: the rows do not depend on it
    const auto flip = fault::FaultModel::parse("flip");
    int changed = 0;
    for (uint64_t stream = 1; stream <= 12; ++stream) {
      uint64_t hits_a = 0, hits_g = 0;
      int64_t errors_a = -1, errors_g = -2;
      const bool ca = a.run(stream, f.code_mask(), 2e-3, fault::Semantics::kBernoulli, flip,
                            &hits_a, &errors_a);
      const bool cg = g.run(stream, f.code_mask(), 2e-3, fault::Semantics::kBernoulli, flip,
                            &hits_g, &errors_g);
      EXPECT_EQ(ca, cg) << name << " stream " << stream;
      EXPECT_EQ(hits_a, hits_g) << name << " stream " << stream;
      EXPECT_EQ(errors_a, errors_g) << name << " stream " << stream;
      EXPECT_EQ(a.last_outcomes().changed, g.last_outcomes().changed) << name;
      // The NLL rise: the same faulty rows through another graph, in other batches (their
      // logits differ by rounding; 8e-8 seen).
      EXPECT_NEAR(a.last_outcomes().nll_increase, g.last_outcomes().nll_increase,
                  1e-6 * (1 + std::abs(a.last_outcomes().nll_increase)))
          << name << " stream " << stream;
      changed += errors_a != act->baseline_errors();
    }
    EXPECT_GT(changed, 0) << name << ": no trial changed the errors; the test shows nothing";
  }
}

// An op inside a module called twice is reached twice per forward: refused in one line.
TEST(GraphSiteTest, ValueReachedTwiceIsRefused) {
  Builder b;
  Module block = b.net({{"fc", b.linear(4, 4)}},
                       "def forward(self, x):\n  return torch.relu(self.fc.forward(x))\n", "Block");
  Module net = b.net({{"block", block}},
                     "def forward(self, x):\n  return self.block.forward(self.block.forward(x))\n");
  std::ostringstream out;
  net.save(out);
  auto archive = std::make_shared<const std::string>(out.str());
  const auto images = torch::rand({8, 4});
  const auto labels = torch::zeros({8}, torch::kInt64);
  const Format f = Format::parse("q2.6-2c");
  try {
    GraphActivationCache(archive, "block.relu", "net.pt", f, images, labels, 4);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("reached 2 times in one forward"), std::string::npos)
        << e.what();
  }
  // The calls themselves are two sites, each reached once.
  GraphActivationCache second(archive, "block_1", "net.pt", f, images, labels, 4);
  EXPECT_EQ(second.values_per_sample(), 4);
}

}  // namespace
}  // namespace ares::campaign
