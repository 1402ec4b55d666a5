#pragma once
/// Deterministic training of zoo models.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "ares/data/dataset.h"
#include "ares/models/staged_model.h"
#include "ares/train/injection.h"

namespace ares::train {

/// Training settings. The defaults (Adam, a constant learning rate, no weight decay, no
/// augmentation) train as Ares always has. Example:
///   TrainOptions().epochs(5).seed(3).inject(Injection::parse("grad:fp16:1e-4"))
/// The recipe of the paper's CIFAR-10 instances:
///   TrainOptions().optimizer("sgd").learning_rate(0.1).momentum(0.9).weight_decay(5e-4)
///       .schedule("cosine").augment("crop-flip")
struct TrainOptions {
#define ARES_ARG(T, name, init) \
  T name##_ = init;             \
  TrainOptions& name(T v) {     \
    name##_ = std::move(v);     \
    return *this;               \
  }
  ARES_ARG(int, epochs, 5)
  ARES_ARG(int64_t, batch_size, 64)
  /// The base learning rate (schedule.h: warm-up and schedule scale it per step).
  ARES_ARG(double, learning_rate, 1e-3)
  /// "adam" (torch::optim::Adam, betas 0.9/0.999, eps 1e-8) or "sgd" (torch::optim::SGD,
  /// dampening 0).
  ARES_ARG(std::string, optimizer, "adam")
  /// SGD's momentum (>= 0; 0, PyTorch's default: plain SGD). Adam takes none (its betas).
  ARES_ARG(double, momentum, 0)
  /// SGD with Nesterov momentum; needs momentum > 0.
  ARES_ARG(bool, nesterov, false)
  /// L2 penalty (>= 0) added to every gradient before the step, as PyTorch's SGD and Adam
  /// weight_decay do (for Adam: coupled L2, not AdamW's decoupled decay).
  ARES_ARG(double, weight_decay, 0)
  /// Learning-rate schedule: "constant", "step:EVERY:GAMMA" or "cosine" (schedule.h).
  ARES_ARG(std::string, schedule, "constant")
  /// Epochs of linear warm-up before the schedule (0: none; less than epochs).
  ARES_ARG(int, warmup_epochs, 0)
  /// Training-data augmentation: "none" or "crop-flip" (augment.h: a random crop with 4
  /// pixels of zero padding and a horizontal flip with probability 1/2, per sample, from a
  /// stream keyed by the seed, the epoch and the sample); images (C x H x W) only.
  ARES_ARG(std::string, augment, "none")
  ARES_ARG(uint64_t, seed, 1)
  /// Train on the first N training samples only (0 = all); for quick tests.
  ARES_ARG(int64_t, limit, 0)
  ARES_ARG(bool, progress, true)
  /// Where to train: "cpu", "cuda" or "cuda:N" (models/device.h). The model moves there for
  /// training and back to the CPU at the end; batches move one at a time.
  ARES_ARG(std::string, device, "cpu")
  /// Faults during training (injection.h), applied in order at each step. Empty: clean.
  ARES_ARG(std::vector<Injection>, injections, {})
#undef ARES_ARG
  /// Appends one injection.
  TrainOptions& inject(Injection injection) {
    injections_.push_back(std::move(injection));
    return *this;
  }
};

/// What training produced.
struct TrainResult {
  double test_error = 0;  ///< float model's error on the test set
  double final_loss = 0;  ///< mean training loss of the last epoch
  double seconds = 0;
  /// Per injection (TrainOptions::injections), what it did; empty for clean training.
  std::vector<InjectionStats> injections;
  /// Parameters that are NaN or Inf after training (only faults can cause them).
  int64_t nonfinite_parameters = 0;
};

/// Checks the optimizer, momentum, Nesterov, weight decay, schedule, warm-up and augmentation
/// settings (and that augmentation has C x H x W images to work on: `model`'s input shape,
/// when it has one). Throws ares::InputError, one line starting "COMMAND: --FLAG", otherwise.
void check_recipe(const TrainOptions& options, const models::StagedModel& model,
                  const std::string& command = "train");

/// The recipe's settings as checkpoint metadata, in this order: optimizer, momentum,
/// nesterov ("true"/"false"), weight_decay, schedule (canonical, Schedule::spec()),
/// warmup_epochs, augment; numbers in the shortest form that reads back. What
/// campaign::train_instance records and a study compares before reusing a checkpoint.
std::vector<std::pair<std::string, std::string>> recipe_metadata(const TrainOptions& options);

/// The recipe in words, for reports: "Adam lr 0.001" with the defaults,
/// "SGD lr 0.1, momentum 0.9, Nesterov, weight decay 0.0005, cosine schedule, 5 warm-up
/// epochs, crop-flip augmentation" with everything set ("1 warm-up epoch").
std::string describe_recipe(const TrainOptions& options);

/// Trains `model` on `data.train` with the options' optimizer, schedule and augmentation
/// (check_recipe), shuffling and augmenting with Ares's own seeded streams and
/// seeding LibTorch's generator (initialisation is done by the caller, dropout here) from
/// options.seed, then evaluates on `data.test`. For one seed and thread count the result is
/// bit-identical from run to run, with or without injections (their streams are keyed by the
/// seed, the site's index and the step); injections at rate 0 give exactly the clean result.
/// NaN or Inf from faults never stop training: the loss and error say what they did.
/// On a GPU (options.device) faults are applied on the device, but the bit-for-bit promise is
/// the CPU's: GPU kernels may reduce in another order from run to run.
/// Throws ares::InputError when model and data shapes differ, an injection does not fit or the
/// recipe is refused (check_recipe).
TrainResult train_model(models::StagedModel& model, const data::Split& data,
                        const TrainOptions& options);

/// Checks that one sample of `images` has the model's input shape; throws ares::InputError
/// naming both shapes and `what` (e.g. the dataset) otherwise. A model with an empty input
/// shape (TorchScript) accepts any.
void check_input_shape(const models::StagedModel& model, const torch::Tensor& images,
                       const std::string& what);

}  // namespace ares::train
