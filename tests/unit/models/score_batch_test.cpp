// models::score_batch's one-pass CPU scoring equals count_errors and count_outcomes (the
// tensor operations it replaces) on logits full of ties, NaN and Inf; sample_nll equals
// PyTorch's cross entropy, and the NLL rise a trial sums does not depend on its batching.

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

// sample_nll against PyTorch's own log_softmax in double (a different computation: fused,
// vectorized), on logits from tiny to large; a row with a NaN or Inf logit is +Inf.
TEST(SampleNllTest, EqualsPyTorchsCrossEntropy) {
  torch::manual_seed(29);
  const int64_t n = 500, classes = 11;
  auto logits = torch::randn({n, classes}) * torch::logspace(-3, 2, n).unsqueeze(1);
  const auto labels = torch::randint(0, classes, {n}, torch::kLong);
  const auto want =
      -torch::log_softmax(logits.to(torch::kDouble), 1).gather(1, labels.unsqueeze(1)).squeeze(1);
  const auto got = sample_nll(logits, labels);
  ASSERT_EQ(got.scalar_type(), torch::kDouble);
  const double max_diff = (got - want).abs().max().item<double>();
  EXPECT_LT(max_diff, 1e-12 * (1 + want.abs().max().item<double>())) << max_diff;
  EXPECT_GT(want.max().item<double>(), 50) << "no large NLL tested";
  // A mean over rows is the cross entropy PyTorch computes.
  const double ce =
      torch::nn::functional::cross_entropy(logits.to(torch::kDouble), labels).item<double>();
  EXPECT_NEAR(ordered_sum(got) / double(n), ce, 1e-12 * ce);
  // Non-finite rows.
  logits[3][2] = std::numeric_limits<float>::quiet_NaN();
  logits[7][0] = std::numeric_limits<float>::infinity();
  logits[9][5] = -std::numeric_limits<float>::infinity();
  const auto special = sample_nll(logits, labels);
  for (int64_t i : {3, 7, 9}) EXPECT_EQ(special[i].item<double>(), INFINITY) << i;
  EXPECT_EQ(special[4].item<double>(), got[4].item<double>());
  // Another device or type is brought to float32 on the host first: the same bits.
  EXPECT_TRUE(sample_nll(logits.to(torch::kDouble), labels).equal(special));
  EXPECT_THROW(sample_nll(logits, labels.slice(0, 0, 10)), InputError);
  EXPECT_THROW(sample_nll(logits, torch::full({n}, classes, torch::kLong)), InputError);
}

// The NLL rise over the clean rows: each changed row adds its faulty NLL less its clean one,
// an unchanged row exactly 0, a row turned non-finite +Inf; scored in batches of any size (in
// row order) the sum has the same bits, and so it does with the unchanged rows left out (the
// fast engine scores only rows that may differ).
TEST(SampleNllTest, RiseIsTheSameForAnyBatching) {
  torch::manual_seed(31);
  const int64_t n = 257, classes = 10;
  const auto clean_logits = torch::randn({n, classes}) * 3;
  const auto labels = torch::randint(0, classes, {n}, torch::kLong);
  const auto clean_pred = clean_logits.argmax(1);
  const auto clean_nll = sample_nll(clean_logits, labels);
  auto faulty = clean_logits.clone();
  const auto changed_rows = torch::rand({n}) < 0.3;
  faulty.index_put_({changed_rows}, faulty.index({changed_rows}) + torch::randn({1, classes}) * 2);
  const auto faulty_nll = sample_nll(faulty, labels);
  double want = 0;  // in row order, as score_into adds them
  for (int64_t i = 0; i < n; ++i) {
    const double f = faulty_nll[i].item<double>(), c = clean_nll[i].item<double>();
    if (!changed_rows[i].item<bool>()) {
      ASSERT_EQ(f, c) << i;
    }
    want += f - c;
  }
  ASSERT_NE(want, 0);
  EXPECT_EQ(score_batch(faulty, labels, clean_pred, 1, clean_nll).outcomes.nll_increase, want);
  for (int64_t batch : {1, 7, 64, 256}) {
    SCOPED_TRACE(batch);
    Outcomes acc;
    int64_t errors = 0;
    for (int64_t a = 0; a < n; a += batch) {
      const int64_t b = std::min(n, a + batch);
      errors += score_into(acc, faulty.slice(0, a, b), labels.slice(0, a, b),
                           clean_pred.slice(0, a, b), 1, clean_nll.slice(0, a, b));
    }
    EXPECT_EQ(acc.nll_increase, want);
    EXPECT_EQ(errors, count_errors(faulty, labels));
  }
  // Only the changed rows.
  const auto rows = changed_rows.nonzero().squeeze(1);
  Outcomes only;
  score_into(only, faulty.index_select(0, rows), labels.index_select(0, rows),
             clean_pred.index_select(0, rows), 1, clean_nll.index_select(0, rows));
  EXPECT_EQ(only.nll_increase, want);
  // The tensor path (here: double logits) sums the same rises.
  EXPECT_EQ(score_batch(faulty.to(torch::kDouble), labels, clean_pred, 1, clean_nll)
                .outcomes.nll_increase,
            want);
  // A row turned non-finite makes the rise infinite; one already non-finite adds nothing.
  auto broken = faulty.clone();
  broken[5][1] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(score_batch(broken, labels, clean_pred, 1, clean_nll).outcomes.nll_increase, INFINITY);
  EXPECT_EQ(
      score_batch(broken, labels, clean_pred, 1, sample_nll(broken, labels)).outcomes.nll_increase,
      0.0);
  // Without clean NLL nothing is summed.
  EXPECT_EQ(score_batch(faulty, labels, clean_pred).outcomes.nll_increase, 0.0);
}

}  // namespace
}  // namespace ares::models
