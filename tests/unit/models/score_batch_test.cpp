// models::score_batch's one-pass CPU scoring equals count_errors and count_outcomes (the
// tensor operations it replaces) on logits full of ties, NaN and Inf.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "ares/common/error.h"
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

// Top-k error against a reference written here from its definition: sort each row's
// indices by descending logit, ties by ascending index (a stable sort), and the label is
// right when it is among the first k; a row with a NaN or Inf logit is wrong. The tensor
// path (wrong_mask, count_errors) and the one-pass path (score_batch) must both agree with
// it, on logits full of ties; k = 1 must equal the argmax rule.
TEST(ScoreBatchTest, TopKErrorMatchesAStableSortReference) {
  torch::manual_seed(23);
  const int64_t n = 400, classes = 9;
  auto logits = torch::randint(0, 5, {n, classes}).to(torch::kFloat);
  auto special = torch::rand({n, classes});
  logits.masked_fill_(special < 0.005, std::numeric_limits<float>::quiet_NaN());
  logits.masked_fill_(special > 0.995, -std::numeric_limits<float>::infinity());
  const auto labels = torch::randint(0, classes, {n}, torch::kLong);
  const auto clean = torch::randint(0, classes, {n}, torch::kLong);
  const auto acc = logits.accessor<float, 2>();
  for (int k = 1; k <= int(classes); ++k) {
    SCOPED_TRACE(k);
    int64_t reference = 0;
    std::vector<bool> ref_wrong(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      std::vector<int64_t> order(static_cast<size_t>(classes));
      bool finite = true;
      for (int64_t j = 0; j < classes; ++j) {
        order[size_t(j)] = j;
        finite = finite && std::isfinite(acc[i][j]);
      }
      std::stable_sort(order.begin(), order.end(),
                       [&](int64_t a, int64_t b) { return acc[i][a] > acc[i][b]; });
      bool in_top = false;
      for (int j = 0; j < k; ++j) in_top = in_top || order[size_t(j)] == labels[i].item<int64_t>();
      ref_wrong[size_t(i)] = !finite || !in_top;
      reference += ref_wrong[size_t(i)] ? 1 : 0;
    }
    EXPECT_EQ(count_errors(logits, labels, k), reference);
    EXPECT_EQ(score_batch(logits, labels, clean, k).errors, reference);
    const auto mask = wrong_mask(logits, labels, k);
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(mask[i].item<bool>(), ref_wrong[size_t(i)]) << i;
    if (k == 1) {
      EXPECT_EQ(reference, count_errors(logits, labels));
    }
    if (k == int(classes)) {  // every label ranks within all classes: only non-finite rows
      EXPECT_EQ(reference, count_outcomes(logits, labels, clean).nonfinite);
    }
  }
  EXPECT_THROW(count_errors(logits, labels, 10), InputError);
  EXPECT_THROW(score_batch(logits, labels, clean, 0), InputError);
}

}  // namespace
}  // namespace ares::models
