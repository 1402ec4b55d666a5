#pragma once
/// Deterministic training of zoo models.

#include <cstdint>
#include <string>
#include <vector>

#include "ares/data/dataset.h"
#include "ares/models/staged_model.h"
#include "ares/train/injection.h"

namespace ares::train {

/// Training settings. Example:
///   TrainOptions().epochs(5).seed(3).inject(Injection::parse("grad:fp16:1e-4"))
struct TrainOptions {
#define ARES_ARG(T, name, init) \
  T name##_ = init;             \
  TrainOptions& name(T v) {     \
    name##_ = std::move(v);     \
    return *this;               \
  }
  ARES_ARG(int, epochs, 5)
  ARES_ARG(int64_t, batch_size, 64)
  ARES_ARG(double, learning_rate, 1e-3)
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

/// Trains `model` with Adam on `data.train`, shuffling with Ares's own seeded stream and
/// seeding LibTorch's generator (initialisation is done by the caller, dropout here) from
/// options.seed, then evaluates on `data.test`. For one seed and thread count the result is
/// bit-identical from run to run, with or without injections (their streams are keyed by the
/// seed, the site's index and the step); injections at rate 0 give exactly the clean result.
/// NaN or Inf from faults never stop training: the loss and error say what they did.
/// On a GPU (options.device) faults are applied on the device, but the bit-for-bit promise is
/// the CPU's: GPU kernels may reduce in another order from run to run.
/// Throws ares::InputError when model and data shapes differ or an injection does not fit.
TrainResult train_model(models::StagedModel& model, const data::Split& data,
                        const TrainOptions& options);

/// Checks that one sample of `images` has the model's input shape; throws ares::InputError
/// naming both shapes and `what` (e.g. the dataset) otherwise. A model with an empty input
/// shape (TorchScript) accepts any.
void check_input_shape(const models::StagedModel& model, const torch::Tensor& images,
                       const std::string& what);

}  // namespace ares::train
