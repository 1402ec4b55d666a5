// campaign::quantize_sweep and its pieces (campaign/quantize.h), in process: the grid, the
// recommendation rule on hand-made rows, and a sweep checked against an independent
// quantization of the weights (torch rounding, not the format's encoder).

#include "ares/campaign/quantize.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <string>
#include <vector>

#include "ares/common/error.h"
#include "ares/models/evaluate.h"
#include "ares/models/registry.h"

namespace ares::campaign {
namespace {

using format::Format;

TEST(QuantizeGridTest, FixedPointThenFloats) {
  const auto grid = quantize_grid({4, 6}, {1, 2, 5}, {false, true}, {"fp16", "none"});
  std::vector<std::string> specs;
  for (const auto& f : grid) specs.push_back(f.spec());
  EXPECT_EQ(specs, (std::vector<std::string>{"q1.3-2c", "q2.2-2c", "q1.5-2c", "q2.4-2c", "q5.1-2c",
                                             "q1.3-sm", "q2.2-sm", "q1.5-sm", "q2.4-sm", "q5.1-sm",
                                             "fp16"}));
  EXPECT_THROW(quantize_grid({40}, {1}, {false}, {}), InputError);
  EXPECT_THROW(quantize_grid({8}, {0}, {false}, {}), InputError);
  EXPECT_THROW(quantize_grid({8}, {1}, {false}, {"q2.6-2c"}), InputError);
  EXPECT_THROW(quantize_grid({}, {1}, {false}, {"none"}), InputError);
}

QuantizeRow row(const char* spec, double error, bool within) {
  QuantizeRow r;
  r.fmt = Format::parse(spec);
  r.error = error;
  r.within = within;
  r.bits_per_weight = r.fmt.width();
  return r;
}

// Smallest width, then lowest error, then two's complement, then fewer integer bits.
TEST(QuantizeGridTest, RecommendationRule) {
  EXPECT_EQ(recommend({row("q2.6-2c", 0.1, false)}), nullptr);
  const std::vector<QuantizeRow> rows = {row("q3.5-2c", 0.11, true),  row("q2.4-sm", 0.12, true),
                                         row("q3.3-2c", 0.12, true),  row("q1.5-2c", 0.12, true),
                                         row("q2.2-2c", 0.05, false), row("fp16", 0.1, true)};
  // Width 6 beats 8 and 16; among the three 6-bit rows at 0.12: 2c before sm, then I=1.
  EXPECT_EQ(recommend(rows)->fmt.spec(), "q1.5-2c");
  const std::vector<QuantizeRow> errors = {row("q2.4-sm", 0.11, true), row("q1.5-2c", 0.12, true)};
  EXPECT_EQ(recommend(errors)->fmt.spec(), "q2.4-sm");  // lower error beats 2c
  // Scaled formats rank by bits per weight, their scales counted: int8-ch at 8.05 bits loses
  // to q2.6-2c at 8 whatever its error; mxfp4 at 4.25 beats every 6-bit format.
  auto scaled = [](const char* spec, double error, double bits) {
    QuantizeRow r = row(spec, error, true);
    r.bits_per_weight = bits;
    return r;
  };
  EXPECT_EQ(recommend({scaled("int8-ch", 0.10, 8.05), row("q2.6-2c", 0.12, true)})->fmt.spec(),
            "q2.6-2c");
  auto with_mx = rows;
  with_mx.push_back(scaled("mxfp4", 0.12, 4.25));
  EXPECT_EQ(recommend(with_mx)->fmt.spec(), "mxfp4");
}

TEST(QuantizeGridTest, ScaledFormatsFollowAndRankByTheirStoredBits) {
  const auto grid = quantize_grid({8}, {2}, {false}, {"none"}, {"int8-ch", "mxfp4", "none"});
  ASSERT_EQ(grid.size(), 3u);
  EXPECT_EQ(grid[1].spec(), "int8-ch");
  EXPECT_EQ(grid[2].spec(), "mxfp4");
  EXPECT_THROW(quantize_grid({8}, {2}, {false}, {}, {"q2.6-2c"}), InputError);
  // The sweep counts the metadata: mnist_fc per channel has 413 fp32 scales over 266,610
  // weights, MX one e8m0 scale per block of up to 32 (8,555 blocks).
  torch::manual_seed(3);
  auto model = models::create("mnist_fc");
  model->eval();
  const auto images = torch::rand({40, 1, 28, 28});
  const auto labels = torch::zeros({40}, torch::kInt64);
  const auto res = quantize_sweep(*model, images, labels, grid, QuantizeOptions().batch(40));
  ASSERT_EQ(res.rows.size(), 3u);
  EXPECT_EQ(res.rows[0].bits_per_weight, 8.0);
  EXPECT_DOUBLE_EQ(res.rows[1].bits_per_weight, 8 + 413.0 * 32 / 266610);
  EXPECT_DOUBLE_EQ(res.rows[2].bits_per_weight, 4 + 8555.0 * 8 / 266610);
}

// Round to nearest multiple of 2^-F, saturate to the two's complement range, the way the
// format's documentation describes Q(I.F); evaluated here with plain torch operations.
torch::Tensor quantize_2c(const torch::Tensor& w, int int_bits, int frac_bits) {
  const double step = std::ldexp(1.0, -frac_bits);
  const double hi = std::ldexp(1.0, int_bits - 1) - step, lo = -std::ldexp(1.0, int_bits - 1);
  return (w / step).round().mul(step).clamp(lo, hi);
}

TEST(QuantizeSweepTest, EachRowIsTheModelWithItsWeightsStored) {
  torch::manual_seed(5);
  auto model = models::create("mnist_fc");
  model->eval();
  const auto images = torch::rand({120, 1, 28, 28});
  torch::Tensor labels;
  {
    torch::NoGradGuard guard;
    labels = model->forward(images).argmax(1);
  }
  labels.slice(0, 0, 12).fill_(3);  // a float error above zero
  const auto formats = quantize_grid({4, 8}, {1, 2}, {false}, {"fp32"});
  const auto before = model->named_parameters()["fc1.weight"].clone();
  const auto res = quantize_sweep(*model, images, labels, formats,
                                  QuantizeOptions().batch(50).max_loss(5).per_layer(true));
  EXPECT_TRUE(torch::equal(model->named_parameters()["fc1.weight"], before))
      << "the sweep changed the caller's model";
  const double float_error = models::evaluate_error(*model, images, labels, 50);
  EXPECT_EQ(res.float_error, float_error);
  EXPECT_EQ(res.bound, float_error * 1.05);
  EXPECT_EQ(res.samples, 120);
  ASSERT_EQ(res.rows.size(), formats.size());
  for (const auto& r : res.rows) {
    SCOPED_TRACE(r.fmt.spec());
    EXPECT_EQ(r.scope, "model");
    EXPECT_EQ(r.within, r.error <= res.bound);
    auto copy = model->clone_model();
    copy->eval();
    {
      torch::NoGradGuard guard;
      for (auto& p : copy->named_parameters()) {
        if (r.fmt.is_fixed())
          p.value().copy_(quantize_2c(p.value(), r.fmt.int_bits(), r.fmt.frac_bits()));
      }
    }
    EXPECT_EQ(r.error, models::evaluate_error(*copy, images, labels, 50));
  }
  EXPECT_EQ(res.rows.back().error, float_error);  // fp32 stores every weight exactly
  EXPECT_EQ(res.rows.back().max_quantization_error, 0.0);
  // Per layer: one row per format and stage, a choice per stage, the choices together.
  EXPECT_EQ(res.layer_rows.size(), formats.size() * model->num_stages());
  ASSERT_EQ(res.layers.size(), model->num_stages());
  for (size_t s = 0; s < res.layers.size(); ++s) {
    EXPECT_EQ(res.layers[s].stage, model->stage_name(s));
    ASSERT_TRUE(res.layers[s].fmt.has_value());  // fp32 is always within the bound
  }
  ASSERT_TRUE(res.combined_error.has_value());
  EXPECT_TRUE(std::isfinite(*res.combined_error));
  const std::string csv = quantize_csv(res, "m.ckpt", "mnist_fc", "data");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'),
            1 + long(res.rows.size() + res.layer_rows.size()));
  EXPECT_EQ(csv.rfind("checkpoint,model,dataset,scope,format,", 0), 0u);
}

TEST(QuantizeSweepTest, BadOptionsAreNamed) {
  auto model = models::create("mnist_fc");
  const auto images = torch::rand({4, 1, 28, 28});
  const auto labels = torch::zeros({4}, torch::kLong);
  const auto grid = quantize_grid({8}, {2}, {false}, {});
  EXPECT_THROW(quantize_sweep(*model, images, labels, {}, QuantizeOptions()), InputError);
  EXPECT_THROW(quantize_sweep(*model, images, labels, grid, QuantizeOptions().batch(0)),
               InputError);
  EXPECT_THROW(quantize_sweep(*model, images, labels, grid, QuantizeOptions().max_loss(-1)),
               InputError);
}

}  // namespace
}  // namespace ares::campaign
