// models::score_batch's one-pass CPU scoring equals count_errors and count_outcomes (the
// tensor operations it replaces) on logits full of ties, NaN and Inf.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <limits>

#include "ares/models/evaluate.h"

namespace ares::models {
namespace {

TEST(ScoreBatchTest, EqualsTheTensorOperations) {
  torch::manual_seed(17);
  for (int round = 0; round < 20; ++round) {
    SCOPED_TRACE(round);
    // Small integers: many rows have tied largest logits (argmax takes the first).
    auto logits = torch::randint(0, 4, {300, 7}).to(torch::kFloat);
    auto special = torch::rand({300, 7});
    logits.masked_fill_(special < 0.01, std::numeric_limits<float>::quiet_NaN());
    logits.masked_fill_(special > 0.99, std::numeric_limits<float>::infinity());
    logits.masked_fill_((special > 0.98).logical_and(special <= 0.99),
                        -std::numeric_limits<float>::infinity());
    const auto labels = torch::randint(0, 7, {300}, torch::kLong);
    const auto clean = torch::randint(0, 7, {300}, torch::kLong);
    const Scored s = score_batch(logits, labels, clean);
    const Outcomes o = count_outcomes(logits, labels, clean);
    EXPECT_EQ(s.errors, count_errors(logits, labels));
    EXPECT_EQ(s.outcomes.changed, o.changed);
    EXPECT_EQ(s.outcomes.nonfinite, o.nonfinite);
    EXPECT_EQ(s.outcomes.changed_correct, o.changed_correct);
    EXPECT_GT(o.nonfinite, 0);
    EXPECT_GT(o.changed_correct, 0);
    // A non-contiguous view (every other row) takes the same path through a copy.
    const auto view = logits.slice(0, 0, 300, 2);
    const auto ls = labels.slice(0, 0, 300, 2), cs = clean.slice(0, 0, 300, 2);
    EXPECT_EQ(score_batch(view, ls, cs).errors, count_errors(view, ls));
  }
}

}  // namespace
}  // namespace ares::models
