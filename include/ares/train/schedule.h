#pragma once
/// Learning-rate schedules for training: constant, step decay and cosine annealing, each
/// after an optional linear warm-up.

#include <cstdint>
#include <string>

#include "ares/train/train.h"

namespace ares::train {

/// A schedule as `--schedule` spells it:
///   constant            the base learning rate throughout (the default)
///   step:EVERY:GAMMA    multiplied by GAMMA every EVERY epochs (PyTorch's StepLR stepped once
///                       per epoch), epochs counted from the start of training
///   cosine              cosine annealing from the base rate towards 0 over the steps after
///                       the warm-up, updated every step: lr * (1 + cos(pi * p)) / 2 with p the
///                       fraction of those steps done
///
/// Example:
///   auto s = Schedule::parse("step:30:0.1");  // s.every == 30, s.gamma == 0.1
struct Schedule {
  enum class Kind { kConstant, kStep, kCosine };
  Kind kind = Kind::kConstant;
  int every = 0;     ///< kStep: epochs between decays (>= 1)
  double gamma = 1;  ///< kStep: factor per decay (> 0)

  /// Parses `text`; throws ares::InputError (one line, naming --schedule) otherwise.
  static Schedule parse(const std::string& text);
  /// The canonical text: "constant", "cosine" or "step:EVERY:GAMMA" (shortest GAMMA that reads
  /// back); parse(spec()) == *this.
  std::string spec() const;
};

/// The learning rate of optimizer step `step_in_epoch` (0-based) of epoch `epoch` (0-based)
/// when an epoch has `steps_per_epoch` steps: with W = warmup_epochs * steps_per_epoch and
/// g = epoch * steps_per_epoch + step_in_epoch, warm-up steps (g < W) use lr * (g + 1) / W, a
/// straight line from lr / W to lr on the last warm-up step; later steps follow the schedule
/// (Schedule) over options.epochs_ epochs. Defaults (constant, no warm-up): exactly lr.
/// Throws ares::InputError for a bad schedule text.
double learning_rate_at(const TrainOptions& options, int epoch, int64_t step_in_epoch,
                        int64_t steps_per_epoch);

}  // namespace ares::train
