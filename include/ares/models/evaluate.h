#pragma once
/// Clean evaluation: classification error counted the same way everywhere.

#include <torch/types.h>

#include "ares/models/staged_model.h"

namespace ares::models {

/// Number of wrong predictions in a batch of logits (B x C) against labels (B). The
/// prediction is the first index of the largest logit; a row holding any NaN or Inf logit
/// counts as wrong (a fault that produced a non-finite value never "accidentally" helps).
///
/// Top-k error (`top_k` > 1, `--metric topK`): a row is right when its label ranks among the
/// k first, where the label's rank is the number of logits above its own plus the number of
/// equal ones at a lower index (the order a stable descending sort gives; top-1 is the
/// argmax rule above). Non-finite rows are wrong at every k.
int64_t count_errors(const torch::Tensor& logits, const torch::Tensor& labels, int top_k = 1);

/// Per row, true where the prediction is wrong under the rule of count_errors (bool, B).
torch::Tensor wrong_mask(const torch::Tensor& logits, const torch::Tensor& labels, int top_k = 1);

/// What faults did to the predictions of a batch, sample by sample, against the clean
/// model's (the baseline: the quantized model, or the model with its clean stored values).
/// A sample is masked when neither count holds it: its logits are finite and its prediction
/// is the clean one (it may still be wrong, as the clean one was).
struct Outcomes {
  int64_t changed = 0;    ///< finite logits, prediction not the clean model's (silent corruption)
  int64_t nonfinite = 0;  ///< a NaN or Inf logit (the corruption a check could detect)
  /// Of `changed`, the samples the clean model got right: each is now wrong (TensorFI's
  /// convention counts corruption over these only).
  int64_t changed_correct = 0;
  /// The sum over the samples of their negative log-likelihood's rise: sample_nll of the
  /// faulty logits less the clean one (0 where they are equal, +Inf where only the faulty
  /// logits are non-finite). Added to the clean sum, it gives the trial's NLL, whose mean
  /// over the samples is the log of its perplexity. score_into adds the rows one by one, so
  /// that batches scored in sample order give the same bits for any batching (and rows whose
  /// rise is 0 change nothing: the fast engine, scoring only rows that may differ, agrees
  /// with the dense one).
  double nll_increase = 0;
  Outcomes& operator+=(const Outcomes& o) {
    changed += o.changed;
    nonfinite += o.nonfinite;
    changed_correct += o.changed_correct;
    nll_increase += o.nll_increase;
    return *this;
  }
};

/// Per row, the negative log-likelihood of the label in nats, -log softmax(logits)[label],
/// computed in double from the logits as stored (float32 on the CPU; other types and devices
/// are brought there first): max + log(sum exp(l - max)) - l[label], the exponentials summed
/// in index order. +Inf for a row holding a NaN or Inf logit. A double tensor (B) on the CPU.
torch::Tensor sample_nll(const torch::Tensor& logits, const torch::Tensor& labels);

/// The sum of a double tensor's values in index order (the same bits for every batching of
/// the rows whose sums are added in order).
double ordered_sum(const torch::Tensor& values);

/// The outcomes of `logits` (B x C) against the clean predictions `clean_pred` and the labels
/// (B each, on any device: they move to the logits').
Outcomes count_outcomes(const torch::Tensor& logits, const torch::Tensor& labels,
                        const torch::Tensor& clean_pred);

/// count_errors and count_outcomes of one faulty batch at once. On the CPU (float32 logits,
/// int64 labels and predictions) one pass over the logits instead of a dozen tensor
/// operations: a trial of the fast engine scores tens of batches.
struct Scored {
  int64_t errors = 0;
  Outcomes outcomes;
};
/// `errors` under the top-k rule of count_errors; the outcomes always compare top-1
/// predictions (a changed prediction is a changed argmax). With `clean_nll` (sample_nll of
/// the same rows' clean logits) the outcomes also carry the rise of the NLL over it.
Scored score_batch(const torch::Tensor& logits, const torch::Tensor& labels,
                   const torch::Tensor& clean_pred, int top_k = 1,
                   const torch::Tensor& clean_nll = {});

/// score_batch into a trial's running totals: adds the batch's outcomes to `acc`, its rows'
/// NLL rises one by one in row order, and returns its errors.
int64_t score_into(Outcomes& acc, const torch::Tensor& logits, const torch::Tensor& labels,
                   const torch::Tensor& clean_pred, int top_k, const torch::Tensor& clean_nll);

/// Error rate of `model` in eval mode over `images`/`labels`, in batches of `batch`. Each
/// batch moves to the device of the model's parameters (a no-op when it is there already).
double evaluate_error(StagedModel& model, const torch::Tensor& images, const torch::Tensor& labels,
                      int64_t batch = 1000, int top_k = 1);

/// Throws ares::InputError unless 1 <= top_k <= classes.
void check_top_k(int top_k, int64_t classes);

}  // namespace ares::models
