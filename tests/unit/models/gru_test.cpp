#include "ares/models/gru.h"

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "ares/common/error.h"
#include "ares/models/checkpoint.h"
#include "ares/models/registry.h"

namespace ares::models {
namespace {

namespace fs = std::filesystem;

// torch::nn::GRU (batch first) holding the same weights as `g`.
torch::nn::GRU reference_of(Gru& g) {
  torch::nn::GRU ref(torch::nn::GRUOptions(g->input_size(), g->hidden_size()).batch_first(true));
  torch::NoGradGuard no_grad;
  auto p = ref->named_parameters();
  p["weight_ih_l0"].copy_(g->weight_ih);
  p["weight_hh_l0"].copy_(g->weight_hh);
  p["bias_ih_l0"].copy_(g->bias_ih);
  p["bias_hh_l0"].copy_(g->bias_hh);
  return ref;
}

TEST(GruTest, EqualsTorchGruWithTheSameWeights) {
  for (uint64_t seed : {1, 2, 3}) {
    SCOPED_TRACE(seed);
    torch::manual_seed(seed);
    Gru g(5, 7);
    auto ref = reference_of(g);
    auto x = torch::randn({4, 9, 5});
    auto expected = std::get<1>(ref->forward(x)).squeeze(0);  // h_n: 1 x N x H
    auto got = g->forward(x);
    ASSERT_EQ(got.sizes(), (std::vector<int64_t>{4, 7}));
    EXPECT_TRUE(torch::allclose(got, expected, /*rtol=*/1e-5, /*atol=*/1e-6))
        << (got - expected).abs().max().item<float>();
  }
}

TEST(GruTest, LayoutIsTorchGruLayout) {
  Gru g(39, 200);
  EXPECT_EQ(g->weight_ih.sizes(), (std::vector<int64_t>{600, 39}));
  EXPECT_EQ(g->weight_hh.sizes(), (std::vector<int64_t>{600, 200}));
  EXPECT_EQ(g->bias_ih.sizes(), (std::vector<int64_t>{600}));
  EXPECT_EQ(g->bias_hh.sizes(), (std::vector<int64_t>{600}));
  // torch.nn.GRU's initialisation bound 1/sqrt(H), as the float the draw is made in (a
  // value may round to it, and the float is above the double 1/sqrt(200)).
  const double bound = static_cast<float>(1.0 / std::sqrt(200.0));
  for (const auto& p : g->parameters()) EXPECT_LE(p.abs().max().item<double>(), bound);
}

TEST(GruTest, RejectsBadShapes) {
  EXPECT_THROW(Gru(0, 4), InputError);
  Gru g(3, 4);
  EXPECT_THROW(g->forward(torch::zeros({2, 5, 4})), InputError);  // F != 3
  EXPECT_THROW(g->forward(torch::zeros({2, 3})), InputError);     // not N x T x F
  EXPECT_THROW(g->forward(torch::zeros({2, 0, 3})), InputError);  // no step
}

TEST(GruTest, ZooModelsHaveTheirShapesAndCounts) {
  auto m = create("tidigits_gru");
  EXPECT_EQ(m->input_shape(), (std::vector<int64_t>{100, 39}));
  // GRU 3*200*(39+200) + 2*600, fc1 200*200+200, fc2 200*10+10.
  EXPECT_EQ(m->parameter_count(), 186810);
  std::vector<std::string> names;
  for (const auto& p : m->named_parameters()) names.push_back(p.key());
  EXPECT_EQ(names, (std::vector<std::string>{"gru.weight_ih", "gru.weight_hh", "gru.bias_ih",
                                             "gru.bias_hh", "fc1.weight", "fc1.bias", "fc2.weight",
                                             "fc2.bias"}));
  EXPECT_EQ(m->stage_of("gru.weight_hh"), 0u);
  EXPECT_EQ(m->forward(torch::zeros({2, 100, 39})).sizes(), (std::vector<int64_t>{2, 10}));

  auto f = create("fmnist_gru");
  EXPECT_EQ(f->input_shape(), (std::vector<int64_t>{28, 28}));
  EXPECT_EQ(f->parameter_count(), 78474);
  EXPECT_EQ(f->forward(torch::zeros({3, 28, 28})).sizes(), (std::vector<int64_t>{3, 10}));
}

TEST(GruTest, ClassifierEqualsTorchGruThenLinearLayers) {
  torch::manual_seed(4);
  auto m = make_gru_classifier("t", GruClassifierOptions(6, 8).steps(5).fc_size(3).classes(4));
  auto p = m->named_parameters();
  torch::nn::GRU ref(torch::nn::GRUOptions(6, 8).batch_first(true));
  {
    torch::NoGradGuard no_grad;
    auto r = ref->named_parameters();
    r["weight_ih_l0"].copy_(p["gru.weight_ih"]);
    r["weight_hh_l0"].copy_(p["gru.weight_hh"]);
    r["bias_ih_l0"].copy_(p["gru.bias_ih"]);
    r["bias_hh_l0"].copy_(p["gru.bias_hh"]);
  }
  auto x = torch::randn({3, 5, 6});
  auto h = std::get<1>(ref->forward(x)).squeeze(0);
  auto fc1 = torch::relu(torch::nn::functional::linear(h, p["fc1.weight"], p["fc1.bias"]));
  auto expected = torch::nn::functional::linear(fc1, p["fc2.weight"], p["fc2.bias"]);
  EXPECT_TRUE(torch::allclose(m->forward(x), expected, 1e-5, 1e-6));
  EXPECT_THROW(make_gru_classifier("bad", GruClassifierOptions(6, 0)), InputError);
}

TEST(GruTest, CloneIsIndependent) {
  torch::manual_seed(5);
  auto m = create("tidigits_gru");
  auto x = torch::randn({2, 100, 39});
  auto before = m->forward(x);
  auto c = m->clone_model();
  EXPECT_TRUE(torch::equal(c->forward(x), before));
  {
    torch::NoGradGuard no_grad;
    c->named_parameters()["gru.weight_hh"].add_(0.5);
  }
  EXPECT_TRUE(torch::equal(m->forward(x), before));
  EXPECT_FALSE(torch::equal(c->forward(x), before));
}

TEST(GruTest, StepHookSeesEveryStepAndCanChangeTheState) {
  torch::manual_seed(6);
  auto m = make_gru_classifier("t", GruClassifierOptions(3, 4).steps(6));
  auto x = torch::randn({2, 6, 3});
  auto clean = m->forward(x);
  auto* hook = gru_step_hook(*m, "gru");
  std::vector<int64_t> steps;
  hook->on_step = [&steps](int64_t t, torch::Tensor& h) {
    steps.push_back(t);
    EXPECT_EQ(h.sizes(), (std::vector<int64_t>{2, 4}));
  };
  EXPECT_TRUE(torch::equal(m->forward(x), clean));  // an observing hook changes nothing
  EXPECT_EQ(steps, (std::vector<int64_t>{0, 1, 2, 3, 4, 5}));

  // Zeroing the last state: fc1 sees zeros, so the logits are fc2(relu(fc1.bias)).
  hook->on_step = [](int64_t t, torch::Tensor& h) {
    if (t == 5) h = torch::zeros_like(h);
  };
  auto p = m->named_parameters();
  auto expected =
      torch::nn::functional::linear(torch::relu(p["fc1.bias"]), p["fc2.weight"], p["fc2.bias"])
          .expand({2, 10});
  EXPECT_TRUE(torch::allclose(m->forward(x), expected));
  // A change at an earlier step propagates.
  hook->on_step = [](int64_t t, torch::Tensor& h) {
    if (t == 2) h.add_(1.0);
  };
  EXPECT_FALSE(torch::allclose(m->forward(x), clean));
  // Clones start without a hook.
  EXPECT_TRUE(torch::equal(m->clone_model()->forward(x), clean));
  hook->on_step = nullptr;
  EXPECT_TRUE(torch::equal(m->forward(x), clean));

  EXPECT_THROW(gru_step_hook(*m, "fc1"), InputError);
  EXPECT_THROW(gru_step_hook(*m, "nope"), InputError);
}

TEST(GruTest, TrainsThroughTheTimeLoopAndSurvivesACheckpoint) {
  torch::manual_seed(7);
  auto m = make_gru_classifier("tidigits_gru", GruClassifierOptions(39, 200).steps(100));
  auto x = torch::randn({2, 100, 39});
  auto loss = m->forward(x).sum();
  loss.backward();
  for (const auto& p : m->named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    EXPECT_GT(p.value().grad().abs().sum().item<double>(), 0) << p.key();
  }
  // Checkpoints rebuild zoo models by name: the GRU's parameters come back bit for bit.
  auto path = (fs::temp_directory_path() / ("ares_gru_test_" + std::to_string(getpid()) + ".ckpt"))
                  .string();
  save_checkpoint(path, *m, {});
  auto loaded = load_checkpoint(path);
  fs::remove(path);
  EXPECT_EQ(loaded.model->name(), "tidigits_gru");
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::equal(loaded.model->forward(x), m->forward(x)));
}

}  // namespace
}  // namespace ares::models
