#pragma once
/// Clean evaluation: classification error counted the same way everywhere.

#include <torch/types.h>

#include "ares/models/staged_model.h"

namespace ares::models {

/// Number of wrong predictions in a batch of logits (B x C) against labels (B). The
/// prediction is the first index of the largest logit; a row holding any NaN or Inf logit
/// counts as wrong (a fault that produced a non-finite value never "accidentally" helps).
int64_t count_errors(const torch::Tensor& logits, const torch::Tensor& labels);

/// Per row, true where the prediction is wrong under the rule of count_errors (bool, B).
torch::Tensor wrong_mask(const torch::Tensor& logits, const torch::Tensor& labels);

/// Error rate of `model` in eval mode over `images`/`labels`, in batches of `batch`. Each
/// batch moves to the device of the model's parameters (a no-op when it is there already).
double evaluate_error(StagedModel& model, const torch::Tensor& images, const torch::Tensor& labels,
                      int64_t batch = 1000);

}  // namespace ares::models
